using System.Buffers;
using System.Runtime.InteropServices;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// Decodes the VP8L lossless bitstream (RFC 9649, section 3): the 5-byte header (signature 0x2F, 14-bit width − 1 and
/// height − 1, the alpha hint, version 0), then the transforms, the colour cache, the meta prefix codes and the
/// LZ77-coded ARGB pixels. The ALPH chunk's lossless alpha is the same stream without the header
/// (<see cref="DecodeArgb"/> with the frame's size).
/// </summary>
internal static class Vp8LDecoder
{
    /// <summary>The size and alpha hint of the VP8L stream in <paramref name="data"/>[<paramref name="start"/>..+<paramref name="length"/>].</summary>
    public static (int Width, int Height, bool HasAlpha) ReadHeader(ReadOnlySpan<byte> data, int start, int length)
    {
        if (length < WebpConstants.Vp8LHeaderSize)
            WebpThrowHelper.ThrowInvalid(start, $"the VP8L chunk is {length} bytes, too short for its {WebpConstants.Vp8LHeaderSize}-byte header");
        if (data[start] != WebpConstants.Vp8LSignature)
            WebpThrowHelper.ThrowInvalid(start, $"the VP8L stream starts with 0x{data[start]:X2}, not the signature 0x2F");
        uint header = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data[(start + 1)..]);
        int width = (int)(header & 0x3FFF) + 1, height = (int)((header >> 14) & 0x3FFF) + 1;
        bool alpha = ((header >> 28) & 1) != 0;
        uint version = header >> 29;
        if (version != 0) WebpThrowHelper.ThrowInvalid(start + 4, $"VP8L version {version} is unknown (only 0 is defined)");
        return (width, height, alpha);
    }

    /// <summary>
    /// Decodes a whole VP8L chunk into an image: RGBA when <paramref name="hasAlpha"/> (the file says the image has
    /// alpha), else RGB with the stream's alpha dropped.
    /// </summary>
    public static Image Decode(ReadOnlySpan<byte> data, int start, int length, bool hasAlpha, DecoderOptions options)
    {
        (int width, int height, _) = ReadHeader(data, start, length);
        WebpDecoderCore.CheckSize(width, height, start + 1, options);
        uint[] argb = ArrayPool<uint>.Shared.Rent(width * height);
        try
        {
            DecodeArgb(data, start + WebpConstants.Vp8LHeaderSize, start + length, width, height, argb);
            var image = new Image(width, height, hasAlpha ? PixelFormat.Rgba32 : PixelFormat.Rgb24);
            ReadOnlySpan<uint> source = argb.AsSpan(0, width * height);
            if (hasAlpha)
            {
                // 0xAARRGGBB → bytes R, G, B, A: a little-endian 0xAABBGGRR, red and blue swapped.
                Span<uint> target = MemoryMarshal.Cast<byte, uint>(image.Pixels.AsSpan());
                for (int i = 0; i < source.Length; i++)
                {
                    uint p = source[i];
                    target[i] = BitConverter.IsLittleEndian
                        ? (p & 0xFF00FF00) | ((p >> 16) & 0xFF) | ((p & 0xFF) << 16)
                        : (p << 8) | (p >> 24);
                }
            }
            else
            {
                Span<byte> pixels = image.Pixels;
                for (int i = 0, o = 0; i < source.Length; i++, o += 3)
                {
                    uint p = source[i];
                    pixels[o + 2] = (byte)p;
                    pixels[o + 1] = (byte)(p >> 8);
                    pixels[o] = (byte)(p >> 16);
                }
            }
            return image;
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(argb);
        }
    }

    /// <summary>
    /// Decodes the image stream after the header (transforms, then the entropy-coded image) in
    /// <paramref name="data"/>[<paramref name="start"/>..<paramref name="end"/>] into <paramref name="argb"/>
    /// (at least <paramref name="width"/> × <paramref name="height"/> entries), one 0xAARRGGBB value per pixel.
    /// </summary>
    public static void DecodeArgb(ReadOnlySpan<byte> data, int start, int end, int width, int height, Span<uint> argb)
    {
        var reader = new Vp8LBitReader(data, start, end);
        TransformList list = default;
        Span<Vp8LTransform> transforms = list;
        int transformCount = 0, seen = 0, codedWidth = width;
        try
        {
            while (reader.ReadBits(1) == 1)
            {
                int at = reader.Offset;
                int type = (int)reader.ReadBits(2);
                if ((seen & (1 << type)) != 0) reader.Fail(at, $"transform {TransformName(type)} appears twice (each may appear once)");
                seen |= 1 << type;
                transforms[transformCount++] = ReadTransform(ref reader, type, ref codedWidth, height);
                if (reader.IsPastEnd) WebpThrowHelper.ThrowInvalid(reader.Offset, "the VP8L stream ends inside its transforms (truncated file?)");
            }
            DecodeEntropyCodedImage(ref reader, codedWidth, height, argb, isArgbImage: true);
            for (int i = transformCount - 1; i >= 0; i--) transforms[i].Inverse(argb, height);
        }
        finally
        {
            for (int i = 0; i < transformCount; i++)
            {
                if (transforms[i].Data is { } owned) ArrayPool<uint>.Shared.Return(owned);
            }
        }
    }

    private static string TransformName(int type) => type switch
    {
        WebpConstants.PredictorTransform => "predictor",
        WebpConstants.ColorTransform => "colour",
        WebpConstants.SubtractGreenTransform => "subtract-green",
        _ => "colour-indexing",
    };

    // Reads one transform's data; colour indexing narrows the width of the image read after it.
    private static Vp8LTransform ReadTransform(ref Vp8LBitReader reader, int type, ref int width, int height)
    {
        switch (type)
        {
            case WebpConstants.PredictorTransform:
            case WebpConstants.ColorTransform:
            {
                int bits = (int)reader.ReadBits(3) + 2;
                int blocksWide = DivRoundUp(width, bits), blocksHigh = DivRoundUp(height, bits);
                uint[] blocks = ArrayPool<uint>.Shared.Rent(blocksWide * blocksHigh);
                try
                {
                    DecodeEntropyCodedImage(ref reader, blocksWide, blocksHigh, blocks, isArgbImage: false);
                }
                catch
                {
                    ArrayPool<uint>.Shared.Return(blocks);
                    throw;
                }
                return new Vp8LTransform(type, width, width, bits, blocks);
            }
            case WebpConstants.SubtractGreenTransform:
                return new Vp8LTransform(type, width, width, 0, null);
            default:
            {
                int colors = (int)reader.ReadBits(8) + 1;
                int bits = colors > 16 ? 0 : colors > 4 ? 1 : colors > 2 ? 2 : 3;
                uint[] table = ArrayPool<uint>.Shared.Rent(256);
                try
                {
                    table.AsSpan(0, 256).Clear(); // indices past the table are transparent black
                    DecodeEntropyCodedImage(ref reader, colors, 1, table, isArgbImage: false);
                    for (int i = 1; i < colors; i++) table[i] = Vp8LPredictor.AddPixels(table[i], table[i - 1]);
                }
                catch
                {
                    ArrayPool<uint>.Shared.Return(table);
                    throw;
                }
                int packedWidth = DivRoundUp(width, bits);
                var transform = new Vp8LTransform(type, width, packedWidth, bits, table);
                width = packedWidth;
                return transform;
            }
        }
    }

    private static int DivRoundUp(int value, int bits) => (value + (1 << bits) - 1) >> bits;

    // An entropy-coded image: colour cache, (for the ARGB image) meta prefix codes, prefix code groups, then pixels.
    private static void DecodeEntropyCodedImage(ref Vp8LBitReader reader, int width, int height, Span<uint> output, bool isArgbImage)
    {
        int cacheBits = 0;
        if (reader.ReadBits(1) == 1)
        {
            int at = reader.Offset;
            cacheBits = (int)reader.ReadBits(4);
            if (cacheBits is < 1 or > WebpConstants.MaxColorCacheBits)
                reader.Fail(at, $"colour cache bits {cacheBits} is out of range (1 to 11)");
        }

        int metaBits = 0, metaWidth = 0;
        uint[]? metaImage = null;
        int[]? mapping = null;
        Vp8LPrefixCodes? codes = null;
        uint[]? cache = null;
        try
        {
            int groupCount = 1, builtGroups = 1;
            if (isArgbImage && reader.ReadBits(1) == 1)
            {
                metaBits = (int)reader.ReadBits(3) + 2;
                metaWidth = DivRoundUp(width, metaBits);
                int metaHeight = DivRoundUp(height, metaBits);
                metaImage = ArrayPool<uint>.Shared.Rent(metaWidth * metaHeight);
                Span<uint> meta = metaImage.AsSpan(0, metaWidth * metaHeight);
                DecodeEntropyCodedImage(ref reader, metaWidth, metaHeight, meta, isArgbImage: false);
                // Number the groups the image uses in order of first use; the others are read but not built.
                int max = 0;
                foreach (uint p in meta) max = Math.Max(max, (int)(p >> 8) & 0xFFFF);
                groupCount = max + 1;
                mapping = ArrayPool<int>.Shared.Rent(groupCount);
                mapping.AsSpan(0, groupCount).Fill(-1);
                builtGroups = 0;
                for (int i = 0; i < meta.Length; i++)
                {
                    int group = (int)(meta[i] >> 8) & 0xFFFF;
                    if (mapping[group] < 0) mapping[group] = builtGroups++;
                    meta[i] = (uint)mapping[group];
                }
            }
            codes = Vp8LPrefixCodes.Read(ref reader, groupCount, mapping is null ? default : mapping.AsSpan(0, groupCount), builtGroups, cacheBits, width, height);
            if (cacheBits > 0)
            {
                cache = ArrayPool<uint>.Shared.Rent(1 << cacheBits);
                cache.AsSpan(0, 1 << cacheBits).Clear();
            }
            DecodePixels(ref reader, width, height, output[..(width * height)], codes, metaImage, metaBits, metaWidth, cache, cacheBits);
        }
        finally
        {
            if (metaImage is not null) ArrayPool<uint>.Shared.Return(metaImage);
            if (mapping is not null) ArrayPool<int>.Shared.Return(mapping);
            if (cache is not null) ArrayPool<uint>.Shared.Return(cache);
            codes?.Dispose();
        }
    }

    // The LZ77-coded pixels: literals, backward references and colour cache symbols, in scan-line order.
    private static void DecodePixels(ref Vp8LBitReader outerReader, int width, int height, Span<uint> output, Vp8LPrefixCodes codes,
        uint[]? metaImage, int metaBits, int metaWidth, uint[]? cache, int cacheBits)
    {
        uint[] tables = codes.Tables;
        int total = output.Length;
        int pos = 0, x = 0, y = 0;
        int metaMask = metaImage is null ? -1 : (1 << metaBits) - 1;
        Vp8LPrefixCodes.Group group = default;
        int cached = 0; // pixels before this are in the colour cache
        Vp8LBitReader reader = outerReader; // a local copy the JIT can keep in registers
        while (pos < total)
        {
            if ((x & metaMask) == 0) group = codes.GroupAt(metaImage, metaBits, metaWidth, x, y);
            int symbol = Vp8LHuffman.ReadSymbol(tables, group.Green, ref reader);
            if (symbol < WebpConstants.NumLiteralCodes)
            {
                int r = Vp8LHuffman.ReadSymbol(tables, group.Red, ref reader);
                int b = Vp8LHuffman.ReadSymbol(tables, group.Blue, ref reader);
                int a = Vp8LHuffman.ReadSymbol(tables, group.Alpha, ref reader);
                output[pos++] = (uint)(a << 24 | r << 16 | symbol << 8 | b);
                if (++x == width)
                {
                    x = 0;
                    y++;
                    EndOfRow(ref reader);
                }
            }
            else if (symbol < WebpConstants.NumLiteralCodes + WebpConstants.NumLengthCodes)
            {
                int at = reader.Offset;
                int length = PrefixValue(ref reader, symbol - WebpConstants.NumLiteralCodes);
                int distanceSymbol = Vp8LHuffman.ReadSymbol(tables, group.Distance, ref reader);
                int code = PrefixValue(ref reader, distanceSymbol);
                int back = PlaneDistance(code, width);
                if (back > pos) reader.Fail(at, $"a backward reference at pixel {pos} reaches {back} pixels back, before the first pixel");
                if (length > total - pos) reader.Fail(at, $"a backward reference of {length} pixels at pixel {pos} runs past the {total}-pixel image");
                if (back >= length)
                {
                    output.Slice(pos - back, length).CopyTo(output.Slice(pos, length));
                }
                else
                {
                    for (int i = 0; i < length; i++) output[pos + i] = output[pos + i - back];
                }
                pos += length;
                x += length;
                if (x >= width)
                {
                    y += x / width;
                    x %= width;
                    EndOfRow(ref reader);
                }
                if (pos < total) group = codes.GroupAt(metaImage, metaBits, metaWidth, x, y);
            }
            else
            {
                // Bring the cache up to date before reading from it.
                if (cache is null) WebpThrowHelper.ThrowInvalid(reader.Offset, "a colour cache symbol in an image without a colour cache");
                for (; cached < pos; cached++) cache[Vp8LColorCache.Slot(output[cached], cacheBits)] = output[cached];
                output[pos++] = cache[symbol - WebpConstants.NumLiteralCodes - WebpConstants.NumLengthCodes];
                if (++x == width)
                {
                    x = 0;
                    y++;
                    EndOfRow(ref reader);
                }
            }
            if (cache is not null && pos - cached > 4096)
            {
                for (; cached < pos; cached++) cache[Vp8LColorCache.Slot(output[cached], cacheBits)] = output[cached];
            }
        }
        outerReader = reader;
        if (reader.IsPastEnd) WebpThrowHelper.ThrowInvalid(reader.Offset, "the VP8L stream ends before its last pixel (truncated file?)");
    }

    private static void EndOfRow(ref Vp8LBitReader reader)
    {
        if (reader.IsPastEnd) WebpThrowHelper.ThrowInvalid(reader.Offset, "the VP8L stream ends inside its pixels (truncated file?)");
    }

    // A length or distance from its prefix symbol and extra bits.
    private static int PrefixValue(ref Vp8LBitReader reader, int symbol)
    {
        if (symbol < 4) return symbol + 1;
        int extraBits = (symbol - 2) >> 1;
        int offset = (2 + (symbol & 1)) << extraBits;
        return offset + (int)reader.ReadBits(extraBits) + 1;
    }

    // Distance codes 1–120 name a nearby pixel (two-dimensional); larger ones are scan-line distances plus 120.
    private static int PlaneDistance(int code, int width)
    {
        if (code > 120) return code - 120;
        ReadOnlySpan<sbyte> map = WebpConstants.DistanceMap;
        int dx = map[2 * (code - 1)], dy = map[2 * (code - 1) + 1];
        return Math.Max(1, dx + dy * width);
    }

    // The (at most four) transforms of an image, on the stack.
    [System.Runtime.CompilerServices.InlineArray(4)]
    private struct TransformList
    {
        private Vp8LTransform first;
    }
}
