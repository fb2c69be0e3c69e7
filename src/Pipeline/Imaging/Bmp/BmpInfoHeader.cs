using System.Buffers.Binary;
using System.Numerics;

namespace Pipeline.Imaging.Bmp;

/// <summary>
/// The parts of a bitmap's headers the decoder uses, from any of the header versions, validated: size, orientation,
/// bits per pixel, compression, palette placement and channel masks.
/// </summary>
internal sealed record BmpInfoHeader
{
    /// <summary>Width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Height in pixels (the absolute value of the stored height).</summary>
    public required int Height { get; init; }

    /// <summary>Rows stored top row first (negative stored height); normally the bottom row comes first.</summary>
    public required bool TopDown { get; init; }

    /// <summary>Bits per pixel: 1, 2, 4, 8 (palette), 16, 24 or 32.</summary>
    public required int BitsPerPixel { get; init; }

    /// <summary>biCompression (BI_RGB, BI_RLE8, BI_RLE4, BI_BITFIELDS, BI_ALPHABITFIELDS).</summary>
    public required uint Compression { get; init; }

    /// <summary>The DIB header's own size, which says which version it is.</summary>
    public required int HeaderSize { get; init; }

    /// <summary>Bytes per palette entry: 3 (BGR) for the core header, 4 (BGRX) otherwise.</summary>
    public required int PaletteEntrySize { get; init; }

    /// <summary>Palette entries the header announces (biClrUsed, or 2^bpp when 0 or too many).</summary>
    public required int PaletteCount { get; init; }

    /// <summary>File offset of the palette: right after the header and any separate masks.</summary>
    public required int PaletteOffset { get; init; }

    /// <summary>Channel masks for 16- and 32-bit pixels (0 for an absent channel).</summary>
    public uint RedMask { get; init; }

    /// <inheritdoc cref="RedMask"/>
    public uint GreenMask { get; init; }

    /// <inheritdoc cref="RedMask"/>
    public uint BlueMask { get; init; }

    /// <inheritdoc cref="RedMask"/>
    public uint AlphaMask { get; init; }

    /// <summary>Bytes per stored row: rows are padded to a multiple of 4 bytes.</summary>
    public long Stride => ((long)Width * BitsPerPixel + 31) / 32 * 4;

    /// <summary>Whether pixels are palette indices.</summary>
    public bool Indexed => BitsPerPixel <= 8;

    /// <summary>Reads and validates the headers of <paramref name="data"/> (which starts with "BM").</summary>
    public static BmpInfoHeader Parse(ReadOnlySpan<byte> data)
    {
        const int at = BmpConstants.FileHeaderSize;
        if (data.Length < at + 4) BmpThrowHelper.ThrowInvalid(data.Length, "the file ends inside the file header");
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(data[at..]);
        bool known = size is BmpConstants.CoreHeaderSize or BmpConstants.InfoHeaderSize or BmpConstants.V2HeaderSize
            or BmpConstants.V3HeaderSize or BmpConstants.V4HeaderSize or BmpConstants.V5HeaderSize
            || size is >= BmpConstants.Os2MinHeaderSize and <= BmpConstants.Os2MaxHeaderSize;
        if (!known)
            BmpThrowHelper.ThrowInvalid(at, $"DIB header size {size} is not one of the known versions (12, 16-64, 108, 124)");
        if (data.Length < at + size)
            BmpThrowHelper.ThrowInvalid(at, $"the {size}-byte DIB header runs past the end of the {data.Length}-byte file");
        ReadOnlySpan<byte> h = data.Slice(at, (int)size);

        if (size == BmpConstants.CoreHeaderSize)
        {
            int bpp = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            if (bpp is not (1 or 4 or 8 or 24))
                BmpThrowHelper.ThrowInvalid(at + 10, $"{bpp} bits per pixel is not valid in a BITMAPCOREHEADER (1, 4, 8, 24)");
            int width = BinaryPrimitives.ReadUInt16LittleEndian(h[4..]), height = BinaryPrimitives.ReadUInt16LittleEndian(h[6..]);
            if (width == 0 || height == 0) BmpThrowHelper.ThrowInvalid(at + 4, $"the image is {width}x{height}");
            return new BmpInfoHeader
            {
                Width = width, Height = height, TopDown = false, BitsPerPixel = bpp, Compression = BmpConstants.BiRgb,
                HeaderSize = (int)size, PaletteEntrySize = 3, PaletteCount = bpp <= 8 ? 1 << bpp : 0, PaletteOffset = at + (int)size,
            };
        }

        int storedWidth = BinaryPrimitives.ReadInt32LittleEndian(h[4..]);
        int storedHeight = BinaryPrimitives.ReadInt32LittleEndian(h[8..]);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(h[14..]);
        uint compression = size >= 20 ? BinaryPrimitives.ReadUInt32LittleEndian(h[16..]) : BmpConstants.BiRgb;
        uint colorsUsed = size >= 36 ? BinaryPrimitives.ReadUInt32LittleEndian(h[32..]) : 0;
        if (storedWidth <= 0 || storedHeight == 0 || storedHeight == int.MinValue)
            BmpThrowHelper.ThrowInvalid(at + 4, $"the image is {storedWidth}x{storedHeight}: the width must be positive and the height non-zero");
        bool os2 = size is >= BmpConstants.Os2MinHeaderSize and <= BmpConstants.Os2MaxHeaderSize
            and not BmpConstants.InfoHeaderSize and not BmpConstants.V2HeaderSize and not BmpConstants.V3HeaderSize;
        ValidateCompression(compression, bits, os2, at + 16);

        uint red = 0, green = 0, blue = 0, alpha = 0;
        int paletteOffset = at + (int)size;
        bool bitfields = compression is BmpConstants.BiBitfields or BmpConstants.BiAlphaBitfields;
        if (bitfields)
        {
            // Masks live inside V2+ headers; after a 40-byte header they follow it (3 of them, 4 for BI_ALPHABITFIELDS).
            int maskCount = compression == BmpConstants.BiAlphaBitfields ? 4 : 3;
            ReadOnlySpan<byte> masks;
            if (size >= BmpConstants.V2HeaderSize)
            {
                masks = h[40..];
                maskCount = size >= BmpConstants.V3HeaderSize ? 4 : 3;
            }
            else
            {
                if (data.Length < paletteOffset + 4 * maskCount)
                    BmpThrowHelper.ThrowInvalid(paletteOffset, "the file ends inside the BI_BITFIELDS masks");
                masks = data.Slice(paletteOffset, 4 * maskCount);
                paletteOffset += 4 * maskCount;
            }
            red = BinaryPrimitives.ReadUInt32LittleEndian(masks);
            green = BinaryPrimitives.ReadUInt32LittleEndian(masks[4..]);
            blue = BinaryPrimitives.ReadUInt32LittleEndian(masks[8..]);
            alpha = maskCount == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(masks[12..]) : 0;
            ValidateMasks(bits, at + 40, red, green, blue, alpha);
        }
        else if (bits == 16)
        {
            (red, green, blue) = (BmpConstants.Rgb555Red, BmpConstants.Rgb555Green, BmpConstants.Rgb555Blue);
        }
        else if (bits == 32)
        {
            (red, green, blue, alpha) = (BmpConstants.Rgb888Red, BmpConstants.Rgb888Green, BmpConstants.Rgb888Blue, BmpConstants.Rgb888Alpha);
        }

        int paletteCount = 0;
        if (bits <= 8)
            paletteCount = colorsUsed == 0 || colorsUsed > 1u << bits ? 1 << bits : (int)colorsUsed;
        return new BmpInfoHeader
        {
            Width = storedWidth, Height = Math.Abs(storedHeight), TopDown = storedHeight < 0, BitsPerPixel = bits,
            Compression = compression, HeaderSize = (int)size, PaletteEntrySize = 4, PaletteCount = paletteCount,
            PaletteOffset = paletteOffset, RedMask = red, GreenMask = green, BlueMask = blue, AlphaMask = alpha,
        };
    }

    private static void ValidateCompression(uint compression, int bits, bool os2, long offset)
    {
        switch (compression)
        {
            case BmpConstants.BiRgb:
                if (bits is not (1 or 2 or 4 or 8 or 16 or 24 or 32))
                    BmpThrowHelper.ThrowInvalid(offset - 2, bits == 0
                        ? "0 bits per pixel (an embedded JPEG or PNG) is unsupported"
                        : $"{bits} bits per pixel is unsupported (1, 2, 4, 8, 16, 24, 32)");
                return;
            case BmpConstants.BiRle8 when bits == 8:
            case BmpConstants.BiRle4 when bits == 4:
                return;
            case BmpConstants.BiRle8:
            case BmpConstants.BiRle4:
                BmpThrowHelper.ThrowInvalid(offset, $"RLE{(compression == BmpConstants.BiRle8 ? 8 : 4)} compression with {bits} bits per pixel");
                return;
            case BmpConstants.BiBitfields when os2:
                BmpThrowHelper.ThrowInvalid(offset, "unsupported: OS/2 Huffman 1D compression");
                return;
            case BmpConstants.BiJpeg when os2:
                BmpThrowHelper.ThrowInvalid(offset, "unsupported: OS/2 RLE24 compression");
                return;
            case BmpConstants.BiBitfields:
            case BmpConstants.BiAlphaBitfields:
                if (bits is not (16 or 32))
                    BmpThrowHelper.ThrowInvalid(offset, $"BI_BITFIELDS with {bits} bits per pixel (only 16 and 32)");
                return;
            case BmpConstants.BiJpeg:
            case BmpConstants.BiPng:
                BmpThrowHelper.ThrowInvalid(offset, $"unsupported: embedded {(compression == BmpConstants.BiJpeg ? "JPEG" : "PNG")} compression");
                return;
            default:
                BmpThrowHelper.ThrowInvalid(offset, $"unsupported compression {compression}");
                return;
        }
    }

    private static void ValidateMasks(int bits, long offset, params ReadOnlySpan<uint> masks)
    {
        foreach (uint mask in masks)
        {
            if (mask == 0) continue;
            bool contiguous = BitOperations.PopCount(mask) == 32 - BitOperations.LeadingZeroCount(mask) - BitOperations.TrailingZeroCount(mask);
            if (!contiguous || (bits == 16 && mask > 0xFFFF))
                BmpThrowHelper.ThrowInvalid(offset, $"channel mask 0x{mask:X8} is not a run of bits within a {bits}-bit pixel");
        }
        if ((masks[0] | masks[1] | masks[2]) == 0)
            BmpThrowHelper.ThrowInvalid(offset, "the red, green and blue masks are all zero");
    }
}
