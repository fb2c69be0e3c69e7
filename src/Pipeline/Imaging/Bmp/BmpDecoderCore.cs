using System.Buffers.Binary;
using System.Numerics;

namespace Pipeline.Imaging.Bmp;

/// <summary>
/// Decodes the pixels of a bitmap whose headers <see cref="BmpInfoHeader"/> validated: palette images (1/2/4/8 bits,
/// uncompressed or RLE4/RLE8), 16- and 32-bit pixels through channel masks, and 24-bit BGR; bottom-up or top-down.
/// <list type="bullet">
/// <item>Mask channels narrower than 8 bits are widened by bit replication (5 bits: v·8 + v/4; exact for 1, 2, 4, 5, 6
/// bits). ImageMagick 6 does the same for 5 and 6 bits but shifts 4- and 1-bit channels without replicating (an
/// opaque ARGB1555 pixel gets alpha 128 there).</item>
/// <item>Alpha: 32-bit BI_RGB pixels carry alpha in their fourth byte, and masks may define an alpha channel; as
/// browsers and ImageMagick do, an image whose alpha values are all 0 is taken as opaque (writers that leave the
/// byte unused fill it with zeros). The output is RGBA only when alpha is in use.</item>
/// <item>RLE: pixels skipped by delta and end-of-line codes take palette entry 0, as ImageMagick does.</item>
/// <item>A palette index beyond the palette is an error; a file whose last row lacks its padding is accepted.</item>
/// </list>
/// </summary>
internal static class BmpDecoderCore
{
    /// <summary>Decodes <paramref name="data"/> (which starts with "BM").</summary>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions options)
    {
        BmpInfoHeader h = BmpInfoHeader.Parse(data);
        long pixels = (long)h.Width * h.Height;
        if (pixels > options.MaxPixels)
            BmpThrowHelper.ThrowInvalid(BmpConstants.FileHeaderSize + 4,
                $"the image is {h.Width}x{h.Height} = {pixels} pixels, over the {options.MaxPixels}-pixel limit (DecoderOptions.MaxPixels)");
        if (pixels * 4 > Array.MaxLength || h.Stride > int.MaxValue)
            BmpThrowHelper.ThrowInvalid(BmpConstants.FileHeaderSize + 4, $"the image is {h.Width}x{h.Height}: too large to decode into one array");

        uint dataOffset = BinaryPrimitives.ReadUInt32LittleEndian(data[10..]);
        uint[] palette = h.Indexed ? ReadPalette(data, h, dataOffset) : [];
        int headerEnd = h.PaletteOffset + (h.Indexed ? palette.Length * h.PaletteEntrySize : 0);
        // Some writers leave bfOffBits 0; the pixels then follow the palette.
        if (dataOffset == 0) dataOffset = (uint)headerEnd;
        if (dataOffset < h.PaletteOffset || dataOffset >= data.Length)
            BmpThrowHelper.ThrowInvalid(10, $"the pixel data offset {dataOffset} is outside the file's {h.PaletteOffset}..{data.Length - 1} range");
        ReadOnlySpan<byte> pixelData = data[(int)dataOffset..];

        if (h.Compression is BmpConstants.BiRle8 or BmpConstants.BiRle4)
            return DecodeRle(pixelData, h, palette, dataOffset);

        long needed = h.Stride * (h.Height - 1) + ((long)h.Width * h.BitsPerPixel + 7) / 8;
        if (pixelData.Length < needed)
            BmpThrowHelper.ThrowInvalid(data.Length, $"the pixel data needs {needed} bytes from offset {dataOffset}, the file has {pixelData.Length} (truncated file?)");

        if (h.Indexed) return DecodeIndexed(pixelData, h, palette, dataOffset);
        if (h.BitsPerPixel == 24) return DecodeBgr24(pixelData, h);
        return DecodeMasked(pixelData, h);
    }

    private static uint[] ReadPalette(ReadOnlySpan<byte> data, BmpInfoHeader h, uint dataOffset)
    {
        // The palette may be shorter than announced when the pixel data starts earlier: use what fits before it.
        long available = (dataOffset > h.PaletteOffset ? Math.Min(dataOffset, (uint)data.Length) : data.Length) - h.PaletteOffset;
        int count = (int)Math.Min(h.PaletteCount, Math.Max(0, available) / h.PaletteEntrySize);
        if (count == 0)
            BmpThrowHelper.ThrowInvalid(h.PaletteOffset, $"a {h.BitsPerPixel}-bit image needs a palette and there is no room for one");
        var palette = new uint[count];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> entry = data.Slice(h.PaletteOffset + i * h.PaletteEntrySize, 3);
            palette[i] = entry[2] | (uint)entry[1] << 8 | (uint)entry[0] << 16; // B, G, R → little-endian RGB
        }
        return palette;
    }

    private static int OutputRow(BmpInfoHeader h, int storedRow) => h.TopDown ? storedRow : h.Height - 1 - storedRow;

    private static Image DecodeIndexed(ReadOnlySpan<byte> pixelData, BmpInfoHeader h, uint[] palette, uint dataOffset)
    {
        var image = new Image(h.Width, h.Height, PixelFormat.Rgb24, GC.AllocateUninitializedArray<byte>(h.Width * h.Height * 3));
        int bits = h.BitsPerPixel, perByte = 8 / bits, mask = (1 << bits) - 1;
        int stride = (int)h.Stride;
        for (int row = 0; row < h.Height; row++)
        {
            ReadOnlySpan<byte> source = pixelData[(row * stride)..];
            Span<byte> target = image.Row(OutputRow(h, row));
            for (int x = 0; x < h.Width; x++)
            {
                int index = bits == 8 ? source[x] : (source[x / perByte] >> (8 - bits - x % perByte * bits)) & mask;
                if (index >= palette.Length)
                    BmpThrowHelper.ThrowInvalid(dataOffset + (long)row * stride + x * bits / 8,
                        $"pixel ({x}, {OutputRow(h, row)}) uses palette index {index}; the palette has {palette.Length} entries");
                uint rgb = palette[index];
                target[3 * x] = (byte)rgb;
                target[3 * x + 1] = (byte)(rgb >> 8);
                target[3 * x + 2] = (byte)(rgb >> 16);
            }
        }
        return image;
    }

    private static Image DecodeBgr24(ReadOnlySpan<byte> pixelData, BmpInfoHeader h)
    {
        var image = new Image(h.Width, h.Height, PixelFormat.Rgb24, GC.AllocateUninitializedArray<byte>(h.Width * h.Height * 3));
        int stride = (int)h.Stride;
        for (int row = 0; row < h.Height; row++)
        {
            ReadOnlySpan<byte> source = pixelData.Slice(row * stride, 3 * h.Width);
            Span<byte> target = image.Row(OutputRow(h, row));
            for (int i = 0; i < target.Length; i += 3)
            {
                target[i] = source[i + 2];
                target[i + 1] = source[i + 1];
                target[i + 2] = source[i];
            }
        }
        return image;
    }

    // 16- and 32-bit pixels: each channel through its mask, widened to 8 bits.
    private static Image DecodeMasked(ReadOnlySpan<byte> pixelData, BmpInfoHeader h)
    {
        var red = new Channel(h.RedMask);
        var green = new Channel(h.GreenMask);
        var blue = new Channel(h.BlueMask);
        var alpha = new Channel(h.AlphaMask);
        bool wide = h.BitsPerPixel == 32;
        bool hasAlpha = h.AlphaMask != 0;
        int channels = hasAlpha ? 4 : 3;
        byte[] output = GC.AllocateUninitializedArray<byte>(h.Width * h.Height * channels);
        int stride = (int)h.Stride;
        uint alphaSeen = 0;
        for (int row = 0; row < h.Height; row++)
        {
            ReadOnlySpan<byte> source = pixelData[(row * stride)..];
            Span<byte> target = output.AsSpan(OutputRow(h, row) * h.Width * channels, h.Width * channels);
            for (int x = 0, o = 0; x < h.Width; x++, o += channels)
            {
                uint pixel = wide ? BinaryPrimitives.ReadUInt32LittleEndian(source[(4 * x)..]) : BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * x)..]);
                target[o] = red.Extract(pixel);
                target[o + 1] = green.Extract(pixel);
                target[o + 2] = blue.Extract(pixel);
                if (hasAlpha)
                {
                    byte a = alpha.Extract(pixel);
                    alphaSeen |= a;
                    target[o + 3] = a;
                }
            }
        }
        if (!hasAlpha) return new Image(h.Width, h.Height, PixelFormat.Rgb24, output);
        if (alphaSeen != 0) return new Image(h.Width, h.Height, PixelFormat.Rgba32, output);
        // Every alpha value is 0: the writer did not use the channel, so the image is opaque.
        var rgb = new byte[h.Width * h.Height * 3];
        for (int i = 0, o = 0; o < rgb.Length; i += 4, o += 3)
        {
            rgb[o] = output[i];
            rgb[o + 1] = output[i + 1];
            rgb[o + 2] = output[i + 2];
        }
        return new Image(h.Width, h.Height, PixelFormat.Rgb24, rgb);
    }

    private static Image DecodeRle(ReadOnlySpan<byte> rle, BmpInfoHeader h, uint[] palette, uint dataOffset)
    {
        int width = h.Width, height = h.Height;
        bool four = h.Compression == BmpConstants.BiRle4;
        long paintable = (long)rle.Length * BmpConstants.RleMaxPixelsPerByte;
        if ((long)width * height > paintable + BmpConstants.RleSkippedPixelAllowance)
            BmpThrowHelper.ThrowInvalid(dataOffset, $"{rle.Length} bytes of RLE data cannot describe a {width}x{height} image: " +
                $"its runs paint at most {paintable} pixels (255 per 2-byte run) and skip codes may leave at most " +
                $"{BmpConstants.RleSkippedPixelAllowance} more unpainted");
        var indices = new byte[width * height]; // skipped pixels stay index 0
        int x = 0, y = 0, pos = 0;
        while (true)
        {
            if (y >= height) break; // everything after the last row is ignored
            if (pos + 2 > rle.Length)
                BmpThrowHelper.ThrowInvalid(dataOffset + pos, "the RLE data ends before its end-of-bitmap code (truncated file?)");
            int count = rle[pos], value = rle[pos + 1];
            pos += 2;
            if (count > 0)
            {
                // An encoded run: count pixels of one index (RLE4: the two nibbles alternate). Runs past the row end are cut.
                for (int i = 0; i < count && x < width; i++, x++)
                    indices[y * width + x] = (byte)(four ? (i % 2 == 0 ? value >> 4 : value & 0xF) : value);
                continue;
            }
            switch (value)
            {
                case BmpConstants.RleEndOfLine:
                    x = 0;
                    y++;
                    continue;
                case BmpConstants.RleEndOfBitmap:
                    y = height;
                    continue;
                case BmpConstants.RleDelta:
                    if (pos + 2 > rle.Length)
                        BmpThrowHelper.ThrowInvalid(dataOffset + pos, "the RLE data ends inside a delta code");
                    x += rle[pos];
                    y += rle[pos + 1];
                    pos += 2;
                    continue;
                default:
                {
                    // An absolute run of `value` literal indices, padded to a 16-bit boundary.
                    int bytes = four ? (value + 1) / 2 : value;
                    if (pos + bytes > rle.Length)
                        BmpThrowHelper.ThrowInvalid(dataOffset + pos, $"an RLE absolute run of {value} pixels runs past the end of the data");
                    for (int i = 0; i < value && x < width; i++, x++)
                        indices[y * width + x] = (byte)(four ? (i % 2 == 0 ? rle[pos + i / 2] >> 4 : rle[pos + i / 2] & 0xF) : rle[pos + i]);
                    pos += bytes + (bytes & 1);
                    continue;
                }
            }
        }

        var image = new Image(width, height, PixelFormat.Rgb24);
        for (int row = 0; row < height; row++)
        {
            Span<byte> target = image.Row(OutputRow(h, row));
            for (int i = 0; i < width; i++)
            {
                int index = indices[row * width + i];
                if (index >= palette.Length)
                    BmpThrowHelper.ThrowInvalid(dataOffset, $"pixel ({i}, {OutputRow(h, row)}) uses palette index {index}; the palette has {palette.Length} entries");
                uint rgb = palette[index];
                target[3 * i] = (byte)rgb;
                target[3 * i + 1] = (byte)(rgb >> 8);
                target[3 * i + 2] = (byte)(rgb >> 16);
            }
        }
        return image;
    }

    // One mask channel: shift the bits down, then widen them to 8 bits by replication (or keep the top 8).
    private readonly struct Channel
    {
        private readonly uint _mask;
        private readonly int _shift;
        private readonly byte[] _widen;

        public Channel(uint mask)
        {
            _mask = mask;
            _shift = mask == 0 ? 0 : BitOperations.TrailingZeroCount(mask);
            int bits = BitOperations.PopCount(mask);
            if (bits > 8)
            {
                _shift += bits - 8; // keep the top 8 bits
                bits = 8;
            }
            _widen = new byte[1 << bits];
            for (int v = 0; v < _widen.Length && bits > 0; v++)
            {
                // Repeat the bits until 8 are filled and keep the top 8: 5-bit 10110 → 10110101.
                int repeated = 0, filled = 0;
                for (; filled < 8; filled += bits) repeated = repeated << bits | v;
                _widen[v] = (byte)(repeated >> (filled - 8));
            }
        }

        public byte Extract(uint pixel) => _mask == 0 ? (byte)0 : _widen[(pixel & _mask) >> _shift & (uint)(_widen.Length - 1)];
    }
}
