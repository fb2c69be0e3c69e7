using System.Buffers;
using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// Decodes one VP8 key frame (RFC 6386): the frame header, then macroblock by macroblock the modes (first partition)
/// and the coefficients (token partitions, one per macroblock row in turn), prediction plus inverse transforms into
/// Y, U and V planes, the loop filter one macroblock row behind, then libwebp's conversion to RGB.
/// <para>
/// The planes cover whole macroblocks plus a border row above (127) and a border column to the left (129), the
/// spec's values for pixels outside the frame, so prediction needs no special cases but DC's. Prediction reads
/// unfiltered neighbours, as the spec requires: a row is filtered only once the row below it is reconstructed.
/// </para>
/// <para>
/// Failure modes follow libwebp: a partition that a decision needs to read past is truncated data; everything is
/// checked before it is used, so any input either decodes or throws <see cref="InvalidImageException"/>.
/// </para>
/// </summary>
[SkipLocalsInit] // the stack buffers are written before they are read
internal sealed unsafe class Vp8DecoderCore
{
    // Bits of the non-zero context kept per macroblock column (above) and for the macroblock to the left:
    // 4 luma blocks (bits 0–3), 2 U (4–5), 2 V (6–7) and the Y2 block (8).
    private const int NzYShift = 0, NzUShift = 4, NzY2Bit = 1 << 8;

    // Block kinds after residual parsing: nothing to add, a DC-only block, a full inverse DCT.
    private const byte KindNone = 0, KindDc = 1, KindFull = 2;

    private readonly Vp8FrameHeader _header;
    private readonly byte[] _buf;
    private readonly int _length;
    private readonly long _fileOffset;
    private readonly int _mbWidth;
    private readonly int _mbHeight;
    private readonly int _yStride;
    private readonly int _uvStride;

    private Vp8BoolDecoder _first;
    private readonly Vp8BoolDecoder[] _partitions;
    private readonly int[] _partitionEnds;

    private readonly int[] _aboveNz;
    private int _leftNz;
    private readonly byte[] _aboveModes;
    private readonly byte[] _leftModes = new byte[4];
    private readonly byte[] _subblockModes = new byte[16];

    /// <summary>
    /// Per macroblock: index into <see cref="Vp8FrameHeader.FilterLevels"/> (bits 0–2) and "filter inner edges" (bit 3).
    /// Rented for the decode (it grows with the picture), written for every macroblock before the filter reads it.
    /// </summary>
    private byte[] _filterInfo = [];

    private Vp8DecoderCore(Vp8FrameHeader header, byte[] buf, int length, long fileOffset)
    {
        _header = header;
        _buf = buf;
        _length = length;
        _fileOffset = fileOffset;
        _mbWidth = header.MbWidth;
        _mbHeight = header.MbHeight;
        _yStride = 16 * _mbWidth + 1;
        _uvStride = 8 * _mbWidth + 1;
        _partitions = new Vp8BoolDecoder[8];
        _partitionEnds = new int[8];
        _aboveNz = new int[_mbWidth];
        _aboveModes = new byte[4 * _mbWidth];
    }

    /// <summary>Decodes the key frame in <paramref name="data"/>[<paramref name="start"/>..+<paramref name="length"/>] into RGB.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, int start, int length, DecoderOptions options)
    {
        if (start < 0 || length < 0 || start > data.Length || length > data.Length - start)
            WebpThrowHelper.ThrowInvalid(data.Length, $"the {length}-byte VP8 chunk at byte {start} runs past the end of the file");
        ReadOnlySpan<byte> payload = data.Slice(start, length);
        Vp8FrameHeader header = Vp8FrameHeader.ParseUncompressed(payload, start, options);
        byte[] buf = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            payload.CopyTo(buf);
            return new Vp8DecoderCore(header, buf, length, start).Run();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    private Image Run()
    {
        int firstEnd = Vp8FrameHeader.UncompressedSize + _header.FirstPartitionSize;
        _first = new Vp8BoolDecoder(_buf, Vp8FrameHeader.UncompressedSize, firstEnd);
        _header.ParseCompressed(ref _first);
        if (_first.IsPastEnd)
            WebpThrowHelper.ThrowInvalid(_fileOffset + firstEnd, $"the frame header runs past the end of the {_header.FirstPartitionSize}-byte first partition");
        SetUpPartitions(firstEnd);

        int yRows = 16 * _mbHeight + 1, uvRows = 8 * _mbHeight + 1;
        int ySize = _yStride * yRows, uvSize = _uvStride * uvRows;
        _filterInfo = ArrayPool<byte>.Shared.Rent(_mbWidth * _mbHeight);
        byte[] yPlane = ArrayPool<byte>.Shared.Rent(ySize);
        byte[] uPlane = ArrayPool<byte>.Shared.Rent(uvSize);
        byte[] vPlane = ArrayPool<byte>.Shared.Rent(uvSize);
        try
        {
            InitBorders(yPlane, _yStride, yRows);
            InitBorders(uPlane, _uvStride, uvRows);
            InitBorders(vPlane, _uvStride, uvRows);
            short* coeffs = stackalloc short[25 * 16];
            new Span<short>(coeffs, 25 * 16).Clear();
            byte* kinds = stackalloc byte[24];
            fixed (byte* y = yPlane, u = uPlane, v = vPlane)
            {
                byte* y0 = y + _yStride + 1, u0 = u + _uvStride + 1, v0 = v + _uvStride + 1;
                for (int mbY = 0; mbY < _mbHeight; mbY++)
                {
                    _leftNz = 0;
                    _leftModes.AsSpan().Clear();
                    int partition = mbY & (_header.PartitionCount - 1);
                    for (int mbX = 0; mbX < _mbWidth; mbX++)
                    {
                        DecodeMacroblock(mbX, mbY, ref _partitions[partition], coeffs, kinds,
                            y0 + 16 * (mbY * _yStride + mbX), u0 + 8 * (mbY * _uvStride + mbX), v0 + 8 * (mbY * _uvStride + mbX));
                        if (_first.IsPastEnd)
                            WebpThrowHelper.ThrowInvalid(_fileOffset + firstEnd,
                                $"the first partition ends inside the modes of macroblock ({mbX}, {mbY}) (truncated file?)");
                        if (_partitions[partition].IsPastEnd)
                            WebpThrowHelper.ThrowInvalid(_fileOffset + _partitionEnds[partition],
                                $"token partition {partition} ends inside the coefficients of macroblock ({mbX}, {mbY}) (truncated file?)");
                    }
                    // The row above is filtered once this row, which predicts from its unfiltered bottom pixels, is
                    // reconstructed; filtering it changes only it and the 3 rows of pixels above it, so nothing still
                    // to be predicted from sees a filtered pixel, and rows are filtered in raster order as the spec says.
                    if (mbY > 0 && _header.FilterLevel != 0) FilterRow(mbY - 1, y0, u0, v0);
                }
                if (_header.FilterLevel != 0) FilterRow(_mbHeight - 1, y0, u0, v0);
            }

            var image = new Image(_header.Width, _header.Height, PixelFormat.Rgb24);
            Vp8YuvToRgb.Convert(yPlane.AsSpan(_yStride + 1), _yStride, uPlane.AsSpan(_uvStride + 1), vPlane.AsSpan(_uvStride + 1), _uvStride,
                _header.Width, _header.Height, image.Pixels);
            return image;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(yPlane);
            ArrayPool<byte>.Shared.Return(uPlane);
            ArrayPool<byte>.Shared.Return(vPlane);
            ArrayPool<byte>.Shared.Return(_filterInfo);
        }
    }

    /// <summary>Reads the token partition sizes after the first partition; every partition must lie inside the chunk.</summary>
    private void SetUpPartitions(int firstEnd)
    {
        int count = _header.PartitionCount;
        int table = firstEnd;
        int tableSize = 3 * (count - 1);
        if (_length - table < tableSize)
            WebpThrowHelper.ThrowInvalid(_fileOffset + _length, $"the sizes of the {count} token partitions run past the end of the VP8 chunk");
        int pos = table + tableSize;
        for (int i = 0; i < count; i++)
        {
            int end;
            if (i < count - 1)
            {
                int entry = table + 3 * i;
                int size = _buf[entry] | (_buf[entry + 1] << 8) | (_buf[entry + 2] << 16);
                if (size > _length - pos)
                    WebpThrowHelper.ThrowInvalid(_fileOffset + entry, $"token partition {i} ({size} bytes) runs past the end of the VP8 chunk");
                end = pos + size;
            }
            else
            {
                end = _length;
                if (end <= pos) WebpThrowHelper.ThrowInvalid(_fileOffset + _length, $"the last token partition ({i}) is empty (truncated file?)");
            }
            _partitions[i] = new Vp8BoolDecoder(_buf, pos, end);
            _partitionEnds[i] = end;
            pos = end;
        }
    }

    /// <summary>Fills the border row above the plane with 127 and the border column to its left with 129.</summary>
    private static void InitBorders(byte[] plane, int stride, int rows)
    {
        plane.AsSpan(0, stride).Fill(127);
        for (int r = 1; r < rows; r++) plane[r * stride] = 129;
    }

    private void DecodeMacroblock(int mbX, int mbY, ref Vp8BoolDecoder tokens, short* coeffs, byte* kinds, byte* y, byte* u, byte* v)
    {
        ref Vp8BoolDecoder br = ref _first;

        // Modes (section 19.3, macroblock_header).
        int segment = 0;
        if (_header.UpdateSegmentMap)
        {
            byte[] p = _header.SegmentProbabilities;
            segment = !br.ReadBool(p[0]) ? (br.ReadBool(p[1]) ? 1 : 0) : (br.ReadBool(p[2]) ? 3 : 2);
        }
        bool skip = _header.SkipProbability >= 0 && br.ReadBool(_header.SkipProbability);
        bool i4x4 = !br.ReadBool(145);
        int yMode = Vp8Prediction.BPred;
        if (!i4x4)
        {
            yMode = br.ReadBool(156)
                ? (br.ReadBool(128) ? Vp8Prediction.TmPred : Vp8Prediction.HPred)
                : (br.ReadBool(163) ? Vp8Prediction.VPred : Vp8Prediction.DcPred);
            // For the contexts of later subblock modes a 16×16 mode counts as its subblock counterpart.
            byte implied = yMode switch
            {
                Vp8Prediction.DcPred => Vp8Prediction.BDc,
                Vp8Prediction.VPred => Vp8Prediction.BVe,
                Vp8Prediction.HPred => Vp8Prediction.BHe,
                _ => Vp8Prediction.BTm,
            };
            _aboveModes.AsSpan(4 * mbX, 4).Fill(implied);
            _leftModes.AsSpan().Fill(implied);
        }
        else
        {
            ReadSubblockModes(ref br, mbX);
        }
        int uvMode = !br.ReadBool(142) ? Vp8Prediction.DcPred
            : !br.ReadBool(114) ? Vp8Prediction.VPred
            : br.ReadBool(183) ? Vp8Prediction.TmPred : Vp8Prediction.HPred;

        // Coefficients.
        bool nonZero = false;
        if (!skip)
        {
            nonZero = ReadResiduals(ref tokens, mbX, segment, i4x4, coeffs, kinds);
        }
        else
        {
            // A macroblock without coefficients leaves zero contexts, except the Y2 one when it has no Y2 block.
            int keep = i4x4 ? NzY2Bit : 0;
            _aboveNz[mbX] &= keep;
            _leftNz &= keep;
            new Span<byte>(kinds, 24).Clear();
        }

        _filterInfo[mbY * _mbWidth + mbX] = (byte)(segment * 2 + (i4x4 ? 1 : 0) + (i4x4 || nonZero ? 8 : 0));

        // Reconstruction.
        if (i4x4) ReconstructSubblocks(mbX, mbY, y, coeffs, kinds);
        else
        {
            Vp8Prediction.PredictBlock(y, _yStride, 16, yMode, mbY > 0, mbX > 0);
            for (int b = 0; b < 16; b++) AddResidual(kinds[b], coeffs + 16 * b, y + 4 * ((b >> 2) * _yStride + (b & 3)), _yStride);
        }
        Vp8Prediction.PredictBlock(u, _uvStride, 8, uvMode, mbY > 0, mbX > 0);
        Vp8Prediction.PredictBlock(v, _uvStride, 8, uvMode, mbY > 0, mbX > 0);
        for (int b = 0; b < 4; b++)
        {
            int offset = 4 * ((b >> 1) * _uvStride + (b & 1));
            AddResidual(kinds[16 + b], coeffs + 16 * (16 + b), u + offset, _uvStride);
            AddResidual(kinds[20 + b], coeffs + 16 * (20 + b), v + offset, _uvStride);
        }
    }

    /// <summary>Reads the 16 subblock modes of a B_PRED macroblock, each in the context of the modes above and to the left.</summary>
    private void ReadSubblockModes(ref Vp8BoolDecoder br, int mbX)
    {
        ReadOnlySpan<byte> table = Vp8Tables.KeyFrameSubblockModeProbabilities;
        byte[] modes = _subblockModes;
        for (int by = 0; by < 4; by++)
        {
            int left = _leftModes[by];
            for (int bx = 0; bx < 4; bx++)
            {
                int above = by == 0 ? _aboveModes[4 * mbX + bx] : modes[4 * (by - 1) + bx];
                ReadOnlySpan<byte> p = table.Slice((above * 10 + left) * 9, 9);
                int mode;
                if (!br.ReadBool(p[0])) mode = Vp8Prediction.BDc;
                else if (!br.ReadBool(p[1])) mode = Vp8Prediction.BTm;
                else if (!br.ReadBool(p[2])) mode = Vp8Prediction.BVe;
                else if (!br.ReadBool(p[3]))
                    mode = !br.ReadBool(p[4]) ? Vp8Prediction.BHe : !br.ReadBool(p[5]) ? Vp8Prediction.BRd : Vp8Prediction.BVr;
                else
                    mode = !br.ReadBool(p[6]) ? Vp8Prediction.BLd : !br.ReadBool(p[7]) ? Vp8Prediction.BVl : !br.ReadBool(p[8]) ? Vp8Prediction.BHd : Vp8Prediction.BHu;
                modes[4 * by + bx] = (byte)mode;
                left = mode;
            }
            _leftModes[by] = (byte)left;
        }
        for (int bx = 0; bx < 4; bx++) _aboveModes[4 * mbX + bx] = modes[12 + bx];
    }

    /// <summary>
    /// Reads and dequantizes the coefficients of one macroblock into <paramref name="coeffs"/> (16 luma blocks, 4 U,
    /// 4 V, 16 values each, raster order), recording each block's kind; returns whether any block has a non-zero value.
    /// </summary>
    private bool ReadResiduals(ref Vp8BoolDecoder br, int mbX, int segment, bool i4x4, short* coeffs, byte* kinds)
    {
        ReadOnlySpan<int> q = _header.Quantizers.AsSpan(segment * Vp8FrameHeader.QuantizerStride, Vp8FrameHeader.QuantizerStride);
        int above = _aboveNz[mbX], left = _leftNz;
        int first = 0;
        int lumaType = Vp8Tables.TypeYWithDc;
        if (!i4x4)
        {
            short* y2 = coeffs + 24 * 16;
            int ctx = ((above >> 8) & 1) + ((left >> 8) & 1);
            int nz = ReadBlock(ref br, Vp8Tables.TypeY2, ctx, q[2], q[3], 0, y2);
            int flag = nz > 0 ? NzY2Bit : 0;
            above = (above & ~NzY2Bit) | flag;
            left = (left & ~NzY2Bit) | flag;
            if (nz > 1)
            {
                Vp8Transforms.InverseWht(y2, coeffs);
            }
            else
            {
                short dc = (short)((y2[0] + 3) >> 3);
                for (int b = 0; b < 16; b++) coeffs[16 * b] = dc;
            }
            new Span<short>(y2, 16).Clear();
            first = 1;
            lumaType = Vp8Tables.TypeYAfterY2;
        }

        bool any = false;
        int aboveY = (above >> NzYShift) & 15, leftY = (left >> NzYShift) & 15;
        for (int by = 0; by < 4; by++)
        {
            int l = (leftY >> by) & 1;
            for (int bx = 0; bx < 4; bx++)
            {
                int b = 4 * by + bx;
                short* block = coeffs + 16 * b;
                int ctx = l + ((aboveY >> bx) & 1);
                int nz = ReadBlock(ref br, lumaType, ctx, q[0], q[1], first, block);
                l = nz > first ? 1 : 0;
                aboveY = (aboveY & ~(1 << bx)) | (l << bx);
                byte kind = nz > 1 ? KindFull : block[0] != 0 ? KindDc : KindNone;
                kinds[b] = kind;
                any |= kind != KindNone;
            }
            leftY = (leftY & ~(1 << by)) | (l << by);
        }

        int aboveUv = (above >> NzUShift) & 15, leftUv = (left >> NzUShift) & 15;
        for (int plane = 0; plane < 2; plane++)
        {
            int shift = 2 * plane;
            for (int by = 0; by < 2; by++)
            {
                int l = (leftUv >> (shift + by)) & 1;
                for (int bx = 0; bx < 2; bx++)
                {
                    int b = 16 + 4 * plane + 2 * by + bx;
                    short* block = coeffs + 16 * b;
                    int ctx = l + ((aboveUv >> (shift + bx)) & 1);
                    int nz = ReadBlock(ref br, Vp8Tables.TypeChroma, ctx, q[4], q[5], 0, block);
                    l = nz > 0 ? 1 : 0;
                    aboveUv = (aboveUv & ~(1 << (shift + bx))) | (l << (shift + bx));
                    byte kind = nz > 1 ? KindFull : block[0] != 0 ? KindDc : KindNone;
                    kinds[b] = kind;
                    any |= kind != KindNone;
                }
                leftUv = (leftUv & ~(1 << (shift + by))) | (l << (shift + by));
            }
        }

        _aboveNz[mbX] = (above & NzY2Bit) | aboveY | (aboveUv << NzUShift);
        _leftNz = (left & NzY2Bit) | leftY | (leftUv << NzUShift);
        return any;
    }

    /// <summary>
    /// Reads the tokens of one block from scan position <paramref name="n"/> (section 13) into <paramref name="block"/>,
    /// dequantized (DC factor at position 0, AC factor elsewhere). Returns the scan position after the last token read
    /// before the end of block (16 when there was no end-of-block token), which is how libwebp derives the
    /// neighbours' context and the transform to use.
    /// </summary>
    private int ReadBlock(ref Vp8BoolDecoder br, int type, int ctx, int dcFactor, int acFactor, int n, short* block)
    {
        byte[] probs = _header.CoefficientProbabilities;
        ReadOnlySpan<byte> bands = Vp8Tables.Bands;
        ReadOnlySpan<byte> zigzag = Vp8Tables.Zigzag;
        int typeBase = type * Vp8Tables.ProbabilitiesPerType;
        int p = typeBase + bands[n] * Vp8Tables.ProbabilitiesPerBand + ctx * Vp8Tables.NodesPerContext;
        for (; n < 16; n++)
        {
            if (!br.ReadBool(probs[p])) return n; // end of block
            while (!br.ReadBool(probs[p + 1]))
            {
                // A zero: the next token cannot be an end of block, and its context is 0.
                if (++n == 16) return 16;
                p = typeBase + bands[n] * Vp8Tables.ProbabilitiesPerBand;
            }
            int value, nextCtx;
            if (!br.ReadBool(probs[p + 2]))
            {
                value = 1;
                nextCtx = 1;
            }
            else
            {
                value = ReadLargeValue(ref br, probs, p);
                nextCtx = 2;
            }
            int signed = br.ReadSigned(value) * (n > 0 ? acFactor : dcFactor);
            block[zigzag[n]] = (short)signed; // 16-bit storage, as libwebp keeps coefficients
            p = typeBase + bands[n + 1] * Vp8Tables.ProbabilitiesPerBand + nextCtx * Vp8Tables.NodesPerContext;
        }
        return 16;
    }

    /// <summary>Reads a token of value 2 or more from tree node 3 on, with its extra bits (DCT_CAT1..6).</summary>
    private static int ReadLargeValue(ref Vp8BoolDecoder br, byte[] probs, int p)
    {
        if (!br.ReadBool(probs[p + 3]))
        {
            if (!br.ReadBool(probs[p + 4])) return 2;
            return br.ReadBool(probs[p + 5]) ? 4 : 3;
        }
        if (!br.ReadBool(probs[p + 6]))
        {
            if (!br.ReadBool(probs[p + 7])) return 5 + ReadExtra(ref br, Vp8Tables.Cat1Probabilities);
            return 7 + ReadExtra(ref br, Vp8Tables.Cat2Probabilities);
        }
        if (!br.ReadBool(probs[p + 8]))
        {
            if (!br.ReadBool(probs[p + 9])) return 11 + ReadExtra(ref br, Vp8Tables.Cat3Probabilities);
            return 19 + ReadExtra(ref br, Vp8Tables.Cat4Probabilities);
        }
        if (!br.ReadBool(probs[p + 10])) return 35 + ReadExtra(ref br, Vp8Tables.Cat5Probabilities);
        return 67 + ReadExtra(ref br, Vp8Tables.Cat6Probabilities);
    }

    private static int ReadExtra(ref Vp8BoolDecoder br, ReadOnlySpan<byte> probs)
    {
        int v = 0;
        foreach (byte prob in probs) v = (v << 1) | (br.ReadBool(prob) ? 1 : 0);
        return v;
    }

    /// <summary>Adds a block's inverse transform to the prediction at <paramref name="dst"/> and clears the block for the next macroblock.</summary>
    private static void AddResidual(byte kind, short* block, byte* dst, int stride)
    {
        if (kind == KindNone) return;
        if (kind == KindDc) Vp8Transforms.InverseDcOnlyAdd(block[0], dst, stride);
        else Vp8Transforms.InverseDctAdd(block, dst, stride);
        new Span<short>(block, 16).Clear();
    }

    /// <summary>Predicts and reconstructs the 16 subblocks of a B_PRED macroblock in raster order.</summary>
    private void ReconstructSubblocks(int mbX, int mbY, byte* y, short* coeffs, byte* kinds)
    {
        int stride = _yStride;
        // The 4 pixels above and to the right of the macroblock, which subblocks 3, 7, 11 and 15 all use.
        byte* aboveRight = stackalloc byte[4];
        if (mbY == 0) new Span<byte>(aboveRight, 4).Fill(127);
        else if (mbX == _mbWidth - 1) new Span<byte>(aboveRight, 4).Fill(y[-stride + 15]);
        else new ReadOnlySpan<byte>(y - stride + 16, 4).CopyTo(new Span<byte>(aboveRight, 4));

        byte* edge = stackalloc byte[Vp8Prediction.EdgeSize];
        for (int b = 0; b < 16; b++)
        {
            int bx = b & 3, by = b >> 2;
            byte* dst = y + 4 * (by * stride + bx);
            edge[0] = dst[3 * stride - 1];
            edge[1] = dst[2 * stride - 1];
            edge[2] = dst[stride - 1];
            edge[3] = dst[-1];
            byte* above = dst - stride;
            for (int i = -1; i < 4; i++) edge[5 + i] = above[i];
            byte* right = bx == 3 ? aboveRight : above + 4;
            for (int i = 0; i < 4; i++) edge[9 + i] = right[i];
            Vp8Prediction.PredictSubblock(dst, stride, _subblockModes[b], edge);
            AddResidual(kinds[b], coeffs + 16 * b, dst, stride);
        }
    }

    /// <summary>Runs the loop filter over one row of macroblocks, left to right (section 15).</summary>
    private void FilterRow(int mbY, byte* y0, byte* u0, byte* v0)
    {
        int sharpness = _header.Sharpness;
        bool simple = _header.SimpleFilter;
        {
            for (int mbX = 0; mbX < _mbWidth; mbX++)
            {
                int info = _filterInfo[mbY * _mbWidth + mbX];
                int level = _header.FilterLevels[info & 7];
                if (level == 0) continue;
                bool inner = (info & 8) != 0;
                int interior = level;
                if (sharpness > 0)
                {
                    interior >>= sharpness > 4 ? 2 : 1;
                    if (interior > 9 - sharpness) interior = 9 - sharpness;
                }
                if (interior < 1) interior = 1;
                int mbLimit = (level + 2) * 2 + interior;
                int subLimit = level * 2 + interior;
                int hev = level >= 40 ? 2 : level >= 15 ? 1 : 0;
                byte* y = y0 + 16 * (mbY * _yStride + mbX);
                int ys = _yStride;
                if (simple)
                {
                    if (mbX > 0) Vp8LoopFilter.SimpleEdge(y, 1, ys, 16, mbLimit);
                    if (inner) for (int x = 4; x < 16; x += 4) Vp8LoopFilter.SimpleEdge(y + x, 1, ys, 16, subLimit);
                    if (mbY > 0) Vp8LoopFilter.SimpleEdge(y, ys, 1, 16, mbLimit);
                    if (inner) for (int r = 4; r < 16; r += 4) Vp8LoopFilter.SimpleEdge(y + r * ys, ys, 1, 16, subLimit);
                    continue;
                }
                int cs = _uvStride;
                byte* u = u0 + 8 * (mbY * cs + mbX);
                byte* v = v0 + 8 * (mbY * cs + mbX);
                if (mbX > 0)
                {
                    Vp8LoopFilter.MacroblockEdge(y, 1, ys, 16, mbLimit, interior, hev);
                    Vp8LoopFilter.MacroblockEdge(u, 1, cs, 8, mbLimit, interior, hev);
                    Vp8LoopFilter.MacroblockEdge(v, 1, cs, 8, mbLimit, interior, hev);
                }
                if (inner)
                {
                    for (int x = 4; x < 16; x += 4) Vp8LoopFilter.SubblockEdge(y + x, 1, ys, 16, subLimit, interior, hev);
                    Vp8LoopFilter.SubblockEdge(u + 4, 1, cs, 8, subLimit, interior, hev);
                    Vp8LoopFilter.SubblockEdge(v + 4, 1, cs, 8, subLimit, interior, hev);
                }
                if (mbY > 0)
                {
                    Vp8LoopFilter.MacroblockEdge(y, ys, 1, 16, mbLimit, interior, hev);
                    Vp8LoopFilter.MacroblockEdge(u, cs, 1, 8, mbLimit, interior, hev);
                    Vp8LoopFilter.MacroblockEdge(v, cs, 1, 8, mbLimit, interior, hev);
                }
                if (inner)
                {
                    for (int r = 4; r < 16; r += 4) Vp8LoopFilter.SubblockEdge(y + r * ys, ys, 1, 16, subLimit, interior, hev);
                    Vp8LoopFilter.SubblockEdge(u + 4 * cs, cs, 1, 8, subLimit, interior, hev);
                    Vp8LoopFilter.SubblockEdge(v + 4 * cs, cs, 1, 8, subLimit, interior, hev);
                }
            }
        }
    }
}
