namespace Pipeline.Imaging.Webp;

/// <summary>
/// What the frame header of a VP8 key frame says (RFC 6386 sections 9 and 19): size, segmentation, loop filter,
/// token partitions, quantizers and coefficient probabilities. <see cref="ParseUncompressed"/> reads the uncompressed first
/// 10 bytes, <see cref="ParseCompressed"/> the header at the start of the first partition, leaving the first partition's decoder just
/// after it, at the per-macroblock modes.
/// </summary>
internal sealed class Vp8FrameHeader
{
    /// <summary>Bytes before the first partition on a key frame: frame tag (3), start code (3), width and height (2 + 2).</summary>
    public const int UncompressedSize = 10;

    /// <summary>Picture width in pixels (1..16383; the 2-bit upscaling hint is ignored, as libwebp does).</summary>
    public int Width { get; private set; }

    /// <summary>Picture height in pixels.</summary>
    public int Height { get; private set; }

    /// <summary>Width in 16×16 macroblocks.</summary>
    public int MbWidth => (Width + 15) >> 4;

    /// <summary>Height in 16×16 macroblocks.</summary>
    public int MbHeight => (Height + 15) >> 4;

    /// <summary>Whether macroblocks carry a segment id (only when the map is updated; otherwise all are segment 0).</summary>
    public bool UpdateSegmentMap { get; private set; }

    /// <summary>Probabilities of the segment id tree.</summary>
    public byte[] SegmentProbabilities { get; } = [255, 255, 255];

    /// <summary>The simple loop filter (luma only) rather than the normal one.</summary>
    public bool SimpleFilter { get; private set; }

    /// <summary>Frame loop filter level 0..63; 0 turns the filter off for the whole frame, whatever the segments say.</summary>
    public int FilterLevel { get; private set; }

    /// <summary>Loop filter sharpness 0..7.</summary>
    public int Sharpness { get; private set; }

    /// <summary>Per-segment loop filter level, already combined with the frame level and the mode deltas: [segment * 2 + (B_PRED ? 1 : 0)].</summary>
    public int[] FilterLevels { get; } = new int[8];

    /// <summary>Number of token partitions: 1, 2, 4 or 8.</summary>
    public int PartitionCount { get; private set; }

    /// <summary>
    /// Dequantization factors per segment, six each: Y DC, Y AC, Y2 DC, Y2 AC, chroma DC, chroma AC
    /// (<see cref="QuantizerStride"/> apart).
    /// </summary>
    public int[] Quantizers { get; } = new int[4 * QuantizerStride];

    /// <summary>Distance between segments in <see cref="Quantizers"/>.</summary>
    public const int QuantizerStride = 6;

    /// <summary>Coefficient probabilities [type][band][context][node], defaults with this frame's updates.</summary>
    public byte[] CoefficientProbabilities { get; } = new byte[Vp8Tables.CoefficientProbabilityCount];

    /// <summary>Probability that a macroblock has coefficients, or -1 when every macroblock does (mb_no_skip_coeff = 0).</summary>
    public int SkipProbability { get; private set; }

    /// <summary>Size of the first partition in bytes.</summary>
    public int FirstPartitionSize { get; private set; }

    /// <summary>
    /// Reads the 10 uncompressed bytes of the key frame at <paramref name="payload"/>[0..] (the file offset of which is
    /// <paramref name="fileOffset"/>), checks them and the size limit, and returns the header with the picture size.
    /// </summary>
    public static Vp8FrameHeader ParseUncompressed(ReadOnlySpan<byte> payload, long fileOffset, DecoderOptions options)
    {
        if (payload.Length < 3) WebpThrowHelper.ThrowInvalid(fileOffset + payload.Length, "the VP8 chunk ends inside the frame tag");
        int tag = payload[0] | (payload[1] << 8) | (payload[2] << 16);
        if ((tag & 1) != 0) WebpThrowHelper.ThrowInvalid(fileOffset, "an inter frame: WebP holds only key frames");
        int version = (tag >> 1) & 7;
        if (version > 3) WebpThrowHelper.ThrowInvalid(fileOffset, $"VP8 version {version} is unknown (0 to 3)");
        if (((tag >> 4) & 1) == 0) WebpThrowHelper.ThrowInvalid(fileOffset, "the key frame is marked as not shown");
        int firstPartitionSize = tag >> 5;
        if (payload.Length < UncompressedSize) WebpThrowHelper.ThrowInvalid(fileOffset + payload.Length, "the VP8 chunk ends inside the key frame header");
        if (payload[3] != 0x9D || payload[4] != 0x01 || payload[5] != 0x2A)
            WebpThrowHelper.ThrowInvalid(fileOffset + 3, $"bad VP8 start code {payload[3]:X2} {payload[4]:X2} {payload[5]:X2} (expected 9D 01 2A)");
        int width = (payload[6] | (payload[7] << 8)) & 0x3FFF;
        int height = (payload[8] | (payload[9] << 8)) & 0x3FFF;
        if (width == 0 || height == 0) WebpThrowHelper.ThrowInvalid(fileOffset + 6, $"the key frame is {width}x{height}");
        WebpDecoderCore.CheckSize(width, height, fileOffset + 6, options);
        if (firstPartitionSize > payload.Length - UncompressedSize)
            WebpThrowHelper.ThrowInvalid(fileOffset, $"the first partition ({firstPartitionSize} bytes) runs past the end of the {payload.Length}-byte VP8 chunk");
        return new Vp8FrameHeader { Width = width, Height = height, FirstPartitionSize = firstPartitionSize };
    }

    /// <summary>Reads the compressed frame header from the first partition (RFC 6386 section 19.2).</summary>
    public void ParseCompressed(ref Vp8BoolDecoder br)
    {
        br.ReadFlag(); // colour space: only 0 is defined, and libwebp ignores it
        br.ReadFlag(); // clamping type: reconstruction always clamps, which is exact either way

        // Segmentation (section 9.3).
        bool segmentation = br.ReadFlag();
        // A key frame starts from absolute segment values of zero, as libwebp decodes it: with segmentation on and no
        // segment data sent, every segment gets quantizer index 0 and filter level 0 (libvpx would keep the frame's).
        bool absolute = true;
        Span<int> segmentQuantizer = stackalloc int[4];
        Span<int> segmentFilter = stackalloc int[4];
        if (segmentation)
        {
            UpdateSegmentMap = br.ReadFlag();
            if (br.ReadFlag())
            {
                absolute = br.ReadFlag();
                for (int s = 0; s < 4; s++) segmentQuantizer[s] = br.ReadFlag() ? br.ReadSignedLiteral(7) : 0;
                for (int s = 0; s < 4; s++) segmentFilter[s] = br.ReadFlag() ? br.ReadSignedLiteral(6) : 0;
            }
            if (UpdateSegmentMap)
            {
                for (int s = 0; s < 3; s++) SegmentProbabilities[s] = br.ReadFlag() ? (byte)br.ReadLiteral(8) : (byte)255;
            }
        }

        // Loop filter (section 9.4).
        SimpleFilter = br.ReadFlag();
        FilterLevel = br.ReadLiteral(6);
        Sharpness = br.ReadLiteral(3);
        bool useDeltas = br.ReadFlag();
        Span<int> refDeltas = stackalloc int[4];
        Span<int> modeDeltas = stackalloc int[4];
        if (useDeltas && br.ReadFlag())
        {
            for (int i = 0; i < 4; i++) if (br.ReadFlag()) refDeltas[i] = br.ReadSignedLiteral(6);
            for (int i = 0; i < 4; i++) if (br.ReadFlag()) modeDeltas[i] = br.ReadSignedLiteral(6);
        }

        PartitionCount = 1 << br.ReadLiteral(2);

        // Quantizer indices (section 9.6).
        int baseIndex = br.ReadLiteral(7);
        int yDcDelta = br.ReadFlag() ? br.ReadSignedLiteral(4) : 0;
        int y2DcDelta = br.ReadFlag() ? br.ReadSignedLiteral(4) : 0;
        int y2AcDelta = br.ReadFlag() ? br.ReadSignedLiteral(4) : 0;
        int uvDcDelta = br.ReadFlag() ? br.ReadSignedLiteral(4) : 0;
        int uvAcDelta = br.ReadFlag() ? br.ReadSignedLiteral(4) : 0;
        for (int s = 0; s < 4; s++)
        {
            int q = segmentation ? segmentQuantizer[s] + (absolute ? 0 : baseIndex) : baseIndex;
            Span<int> m = Quantizers.AsSpan(s * QuantizerStride, QuantizerStride);
            m[0] = Vp8Tables.DcQuantizer[Math.Clamp(q + yDcDelta, 0, 127)];
            m[1] = Vp8Tables.AcQuantizer[Math.Clamp(q, 0, 127)];
            m[2] = Vp8Tables.DcQuantizer[Math.Clamp(q + y2DcDelta, 0, 127)] * 2;
            m[3] = Math.Max(8, Vp8Tables.AcQuantizer[Math.Clamp(q + y2AcDelta, 0, 127)] * 155 / 100);
            m[4] = Vp8Tables.DcQuantizer[Math.Clamp(q + uvDcDelta, 0, 117)]; // the spec caps chroma DC at 132 = dc_qlookup[117]
            m[5] = Vp8Tables.AcQuantizer[Math.Clamp(q + uvAcDelta, 0, 127)];
        }

        // Filter level per segment and prediction kind (section 9.3, 9.4; the intra-frame reference delta is refDeltas[0]
        // and the B_PRED mode delta is modeDeltas[0]).
        for (int s = 0; s < 4; s++)
        {
            int level = segmentation ? segmentFilter[s] + (absolute ? 0 : FilterLevel) : FilterLevel;
            for (int i4x4 = 0; i4x4 < 2; i4x4++)
            {
                int l = level;
                if (useDeltas)
                {
                    l += refDeltas[0];
                    if (i4x4 == 1) l += modeDeltas[0];
                }
                FilterLevels[s * 2 + i4x4] = Math.Clamp(l, 0, 63);
            }
        }

        br.ReadFlag(); // refresh_entropy_probs: meaningless for a single frame

        // Coefficient probability updates (section 13.4).
        ReadOnlySpan<byte> defaults = Vp8Tables.DefaultCoefficientProbabilities;
        ReadOnlySpan<byte> updates = Vp8Tables.CoefficientUpdateProbabilities;
        for (int i = 0; i < CoefficientProbabilities.Length; i++)
            CoefficientProbabilities[i] = br.ReadBool(updates[i]) ? (byte)br.ReadLiteral(8) : defaults[i];

        SkipProbability = br.ReadFlag() ? br.ReadLiteral(8) : -1;
    }
}
