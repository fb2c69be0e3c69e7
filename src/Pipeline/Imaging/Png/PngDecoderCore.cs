using System.Buffers;
using System.Buffers.Binary;

namespace Pipeline.Imaging.Png;

/// <summary>
/// Decodes one PNG held in memory. First it walks every chunk to IEND, checking bounds, CRCs and order and collecting
/// IHDR, PLTE, tRNS and the IDAT data; only then, with the sizes validated, it allocates and inflates the scanlines,
/// reconstructs them and converts them to pixels (passing Adam7's seven sub-images through the same path).
/// <para>
/// Strict where the structure is at stake: a bad CRC on a critical chunk, an unknown critical chunk, chunks out of order,
/// a missing IEND, a bad filter type, a palette index without a PLTE entry, or short image data all throw. Lenient with
/// optional data, as libpng is: ancillary chunks are skipped (their CRC is checked, and a bad one just drops the chunk),
/// a tRNS of the wrong size is ignored, a tRNS longer than PLTE is cut to it, extra image data is ignored.
/// </para>
/// </summary>
internal sealed class PngDecoderCore : IDisposable
{
    private readonly PngHeader _header;
    private readonly PngPixelConverter _converter;
    private readonly PngIdatMap _idat;
    private readonly byte[] _compressed;   // the IDAT data, concatenated (pooled)
    private readonly long _expectedBytes;  // inflated size IHDR implies: every row with its filter byte

    private PngDecoderCore(PngHeader header, PngPixelConverter converter, PngIdatMap idat, byte[] compressed, long expectedBytes)
    {
        _header = header;
        _converter = converter;
        _idat = idat;
        _compressed = compressed;
        _expectedBytes = expectedBytes;
    }

    /// <summary>The validated header.</summary>
    public PngHeader Header => _header;

    /// <summary>Reads and validates every chunk of <paramref name="data"/>; the image data is decoded later.</summary>
    public static PngDecoderCore Open(ReadOnlySpan<byte> data, DecoderOptions options)
    {
        if (!data.StartsWith(PngConstants.Signature))
            PngThrowHelper.ThrowInvalid(0, "the PNG signature is missing or damaged");

        PngHeader? header = null;
        ReadOnlySpan<byte> palette = default, transparency = default;
        bool sawPalette = false;
        var idat = new PngIdatMap();
        bool idatEnded = false;
        long pos = PngConstants.Signature.Length;
        while (true)
        {
            if (data.Length - pos < 8)
                PngThrowHelper.ThrowInvalid(pos, header is null ? "the file ends before IHDR" : "the file ends before IEND (truncated file?)");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[(int)pos..]);
            uint type = BinaryPrimitives.ReadUInt32BigEndian(data[(int)(pos + 4)..]);
            if (!IsValidChunkType(type))
                PngThrowHelper.ThrowInvalid(pos + 4, $"chunk type {PngConstants.ChunkName(type)} is not four ASCII letters (corrupt chunk length before it?)");
            if (length > PngConstants.MaxChunkLength)
                PngThrowHelper.ThrowInvalid(pos, $"{PngConstants.ChunkName(type)} chunk length {length} exceeds the 2^31-1 maximum");
            if (data.Length - pos - PngConstants.ChunkOverhead < length)
                PngThrowHelper.ThrowInvalid(pos, $"{PngConstants.ChunkName(type)} chunk of {length} bytes runs past the end of the file (truncated file?)");
            ReadOnlySpan<byte> chunk = data.Slice((int)pos + 8, (int)length);
            bool critical = (type & PngConstants.AncillaryBit) == 0;
            uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(data[(int)(pos + 8 + length)..]);
            uint crc = System.IO.Hashing.Crc32.HashToUInt32(data.Slice((int)pos + 4, (int)length + 4));
            if (header is null && type != PngConstants.Ihdr)
                PngThrowHelper.ThrowInvalid(pos, $"the first chunk is {PngConstants.ChunkName(type)}; it must be IHDR");

            if (crc != storedCrc)
            {
                if (critical)
                    PngThrowHelper.ThrowInvalid(pos + 8 + length, $"{PngConstants.ChunkName(type)} chunk CRC is 0x{storedCrc:X8}, computed 0x{crc:X8} (corrupt data)");
                // A damaged ancillary chunk is dropped, as libpng does by default.
            }
            else if (type == PngConstants.Ihdr)
            {
                if (header is not null) PngThrowHelper.ThrowInvalid(pos, "a second IHDR chunk");
                header = PngHeader.Parse(chunk, pos);
                CheckLimits(header.Value, options, pos);
            }
            else if (type == PngConstants.Idat)
            {
                if (idatEnded) PngThrowHelper.ThrowInvalid(pos, "IDAT chunks are not consecutive (another chunk between them)");
                if (header!.Value.ColorType == PngColorType.Indexed && !sawPalette)
                    PngThrowHelper.ThrowInvalid(pos, "an indexed-colour image needs a PLTE chunk before IDAT");
                idat.Add(pos + 8, (int)length);
            }
            else if (type == PngConstants.Iend)
            {
                break;
            }
            else
            {
                if (idat.Segments.Count > 0) idatEnded = true;
                if (type == PngConstants.Plte)
                {
                    if (idat.Segments.Count > 0) PngThrowHelper.ThrowInvalid(pos, "PLTE after IDAT");
                    if (sawPalette) PngThrowHelper.ThrowInvalid(pos, "a second PLTE chunk");
                    if (length % 3 != 0 || length is 0 or > 768)
                        PngThrowHelper.ThrowInvalid(pos, $"PLTE length {length} is not 3 to 768 bytes in RGB triples");
                    sawPalette = true;
                    // Greyscale images may not carry a palette and true-colour ones use it only as a hint: ignored.
                    if (header!.Value.ColorType == PngColorType.Indexed) palette = chunk;
                }
                else if (type == PngConstants.Trns)
                {
                    if (idat.Segments.Count > 0) PngThrowHelper.ThrowInvalid(pos, "tRNS after IDAT");
                    transparency = ValidTransparency(header!.Value, chunk, palette, sawPalette, pos);
                }
                else if (critical)
                {
                    PngThrowHelper.ThrowInvalid(pos, $"unknown critical chunk {PngConstants.ChunkName(type)}: the image cannot be decoded without understanding it");
                }
            }
            pos += PngConstants.ChunkOverhead + length;
        }

        PngHeader h = header!.Value;
        if (idat.Segments.Count == 0) PngThrowHelper.ThrowInvalid(pos, "no IDAT chunk: the file holds no image data");
        long expected = ExpectedImageBytes(h);
        if (expected > (long)PngConstants.MaxDeflateRatio * idat.TotalLength + 64)
            PngThrowHelper.ThrowInvalid(idat.FirstChunkOffset,
                $"{idat.TotalLength} bytes of IDAT data cannot inflate to the {expected} bytes a {h.Width}x{h.Height} image needs (truncated file?)");

        byte[] compressed = ArrayPool<byte>.Shared.Rent((int)idat.TotalLength);
        int at = 0;
        foreach ((long offset, int length) in idat.Segments)
        {
            data.Slice((int)offset, length).CopyTo(compressed.AsSpan(at));
            at += length;
        }
        return new PngDecoderCore(h, new PngPixelConverter(h, palette, transparency), idat, compressed, expected);
    }

    /// <summary>Decodes the pixels: RGBA when the image has alpha or tRNS, else RGB, 8 bits per sample.</summary>
    public Image DecodeImage()
    {
        int channels = _converter.OutputChannels;
        byte[] pixels = GC.AllocateUninitializedArray<byte>(_header.Width * _header.Height * channels);
        var sink = new ImageSink(_converter, pixels, _header.Width, channels, _idat.FirstChunkOffset);
        DecodeRows(ref sink);
        return new Image(_header.Width, _header.Height, channels == 4 ? PixelFormat.Rgba32 : PixelFormat.Rgb24, pixels);
    }

    /// <summary>Decodes the pixels at 16 bits per sample (see <see cref="PngSamples16"/>).</summary>
    public PngSamples16 DecodeSamples16()
    {
        int channels = _converter.OutputChannels;
        var samples = new ushort[(long)_header.Width * _header.Height * channels];
        var sink = new Samples16Sink(_converter, samples, _header.Width, channels, _idat.FirstChunkOffset);
        DecodeRows(ref sink);
        return new PngSamples16(_header.Width, _header.Height, channels, samples);
    }

    /// <inheritdoc/>
    public void Dispose() => ArrayPool<byte>.Shared.Return(_compressed);

    // Inflates, unfilters and hands every scanline of every pass to the sink.
    private void DecodeRows<TSink>(ref TSink sink) where TSink : struct, IRowSink
    {
        int passes = _header.Interlaced ? 7 : 1;
        long maxRowBytes = _header.RowBytes(_header.Width);
        int bufferLength = (int)maxRowBytes + 1 + PngConstants.RowPadding;
        byte[] current = ArrayPool<byte>.Shared.Rent(bufferLength);
        byte[] prior = ArrayPool<byte>.Shared.Rent(bufferLength);
        try
        {
            using var reader = new PngImageDataReader(_compressed, (int)_idat.TotalLength, _idat, _expectedBytes);
            int bpp = _header.FilterStride;
            for (int pass = 0; pass < passes; pass++)
            {
                (int x0, int y0, int dx, int dy) = _header.Interlaced
                    ? (PngConstants.Adam7XStart[pass], PngConstants.Adam7YStart[pass], PngConstants.Adam7XStep[pass], PngConstants.Adam7YStep[pass])
                    : (0, 0, 1, 1);
                int width = PassExtent(_header.Width, x0, dx), height = PassExtent(_header.Height, y0, dy);
                if (width == 0 || height == 0) continue; // an empty pass has no scanlines at all
                int rowBytes = (int)_header.RowBytes(width);
                Array.Clear(prior, 0, bufferLength);
                for (int row = 0; row < height; row++)
                {
                    reader.Read(current.AsSpan(0, rowBytes + 1));
                    byte filter = current[0];
                    if (filter > PngConstants.FilterPaeth)
                        PngThrowHelper.ThrowInvalid(_idat.FirstChunkOffset,
                            $"scanline {row}{(passes > 1 ? $" of Adam7 pass {pass + 1}" : "")} has filter type {filter} (valid: 0 to 4)");
                    PngFilters.Unfilter(filter, current.AsSpan(1, bufferLength - 1), prior.AsSpan(1, bufferLength - 1), rowBytes, bpp);
                    sink.Row(current.AsSpan(1, rowBytes), y0 + row * dy, x0, dx, width);
                    (current, prior) = (prior, current);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(prior);
        }
    }

    private static int PassExtent(int size, int start, int step) => size > start ? (size - start + step - 1) / step : 0;

    /// <summary>The inflated size of the image data: every scanline of every non-empty pass plus its filter byte.</summary>
    public static long ExpectedImageBytes(PngHeader h)
    {
        if (!h.Interlaced) return h.Height * (h.RowBytes(h.Width) + 1);
        long total = 0;
        for (int pass = 0; pass < 7; pass++)
        {
            int width = PassExtent(h.Width, PngConstants.Adam7XStart[pass], PngConstants.Adam7XStep[pass]);
            int height = PassExtent(h.Height, PngConstants.Adam7YStart[pass], PngConstants.Adam7YStep[pass]);
            if (width > 0 && height > 0) total += height * (h.RowBytes(width) + 1);
        }
        return total;
    }

    private static void CheckLimits(PngHeader h, DecoderOptions options, long pos)
    {
        long pixels = (long)h.Width * h.Height;
        if (pixels > options.MaxPixels)
            PngThrowHelper.ThrowInvalid(pos, $"the image is {h.Width}x{h.Height} = {pixels} pixels, over the {options.MaxPixels}-pixel limit (DecoderOptions.MaxPixels)");
        // Output is at most 4 bytes a pixel and one array; a scanline is at most 8 bytes a pixel.
        if (pixels * 4 > Array.MaxLength || h.RowBytes(h.Width) + 1 + PngConstants.RowPadding > Array.MaxLength)
            PngThrowHelper.ThrowInvalid(pos, $"the image is {h.Width}x{h.Height}: too large to decode into one array");
    }

    private static ReadOnlySpan<byte> ValidTransparency(PngHeader h, ReadOnlySpan<byte> chunk, ReadOnlySpan<byte> palette, bool sawPalette, long pos)
    {
        switch (h.ColorType)
        {
            case PngColorType.Indexed:
                if (!sawPalette) PngThrowHelper.ThrowInvalid(pos, "tRNS before PLTE");
                // More alpha values than palette entries: the extra ones can never be used.
                return chunk[..Math.Min(chunk.Length, palette.Length / 3)];
            case PngColorType.Grayscale:
                return chunk.Length == 2 ? chunk : default;
            case PngColorType.Truecolor:
                return chunk.Length == 6 ? chunk : default;
            default:
                return default; // tRNS is not allowed with an alpha channel; ignored as libpng does.
        }
    }

    private static bool IsValidChunkType(uint type)
    {
        for (int shift = 0; shift < 32; shift += 8)
        {
            uint c = (type >> shift) & 0xFF;
            if (c is not ((>= 'A' and <= 'Z') or (>= 'a' and <= 'z'))) return false;
        }
        return true;
    }

    // Receives each reconstructed scanline: the pixels of image row y at columns x0, x0 + dx, … (count of them).
    private interface IRowSink
    {
        void Row(ReadOnlySpan<byte> scanline, int y, int x0, int dx, int count);
    }

    private struct ImageSink(PngPixelConverter converter, byte[] pixels, int width, int channels, long offset) : IRowSink
    {
        private byte[]? _scratch;

        public void Row(ReadOnlySpan<byte> scanline, int y, int x0, int dx, int count)
        {
            int stride = width * channels;
            Span<byte> target = pixels.AsSpan(y * stride, stride);
            if (dx == 1)
            {
                Check(converter.ToRgba8(scanline, target, count), y, x0, dx, offset);
                return;
            }
            _scratch ??= new byte[stride];
            Check(converter.ToRgba8(scanline, _scratch, count), y, x0, dx, offset);
            for (int i = 0, x = x0; i < count; i++, x += dx)
                _scratch.AsSpan(i * channels, channels).CopyTo(target[(x * channels)..]);
        }
    }

    private struct Samples16Sink(PngPixelConverter converter, ushort[] samples, int width, int channels, long offset) : IRowSink
    {
        private ushort[]? _scratch;

        public void Row(ReadOnlySpan<byte> scanline, int y, int x0, int dx, int count)
        {
            long stride = (long)width * channels;
            _scratch ??= new ushort[stride];
            Check(converter.ToRgba16(scanline, _scratch, count), y, x0, dx, offset);
            for (int i = 0, x = x0; i < count; i++, x += dx)
                _scratch.AsSpan(i * channels, channels).CopyTo(samples.AsSpan((int)(y * stride + x * channels)));
        }
    }

    private static void Check(int badPixel, int y, int x0, int dx, long offset)
    {
        if (badPixel < 0) return;
        PngThrowHelper.ThrowInvalid(offset, $"pixel ({x0 + badPixel * dx}, {y}) uses a palette index beyond the PLTE entries");
    }
}
