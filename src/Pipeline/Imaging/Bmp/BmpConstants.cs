namespace Pipeline.Imaging.Bmp;

/// <summary>The numbers of the Windows bitmap format (BITMAPFILEHEADER and the BITMAP*HEADER family) the decoder needs.</summary>
internal static class BmpConstants
{
    /// <summary>BITMAPFILEHEADER: "BM", file size, two reserved words, offset of the pixel data.</summary>
    public const int FileHeaderSize = 14;

    /// <summary>BITMAPCOREHEADER (OS/2 1.x, Windows 2): 16-bit width and height, 3-byte palette entries.</summary>
    public const int CoreHeaderSize = 12;

    /// <summary>BITMAPINFOHEADER (Windows 3).</summary>
    public const int InfoHeaderSize = 40;

    /// <summary>BITMAPV2INFOHEADER (INFO + RGB masks) and BITMAPV3INFOHEADER (+ alpha mask), written by Adobe.</summary>
    public const int V2HeaderSize = 52, V3HeaderSize = 56;

    /// <summary>OS/2 2.x BITMAPINFOHEADER2: 16 to 64 bytes, the first 40 laid out like BITMAPINFOHEADER.</summary>
    public const int Os2MinHeaderSize = 16, Os2MaxHeaderSize = 64;

    /// <summary>BITMAPV4HEADER and BITMAPV5HEADER: masks, colour space, and (V5) rendering intent and profile.</summary>
    public const int V4HeaderSize = 108, V5HeaderSize = 124;

    /// <summary>biCompression values.</summary>
    public const uint BiRgb = 0, BiRle8 = 1, BiRle4 = 2, BiBitfields = 3, BiJpeg = 4, BiPng = 5, BiAlphaBitfields = 6;

    /// <summary>RLE escape codes, after a zero count byte.</summary>
    public const byte RleEndOfLine = 0, RleEndOfBitmap = 1, RleDelta = 2;

    /// <summary>
    /// The most pixels one byte of RLE data can paint: an encoded run paints at most 255 pixels with its 2 bytes
    /// (127.5 a byte, rounded up); an absolute run paints 1 pixel a byte (RLE8) or 2 (RLE4).
    /// </summary>
    public const int RleMaxPixelsPerByte = 128;

    /// <summary>
    /// The most pixels an RLE bitmap may leave to its skip codes: end-of-line (2 bytes) skips the rest of a row, a
    /// delta (4 bytes) up to 255 rows and 255 columns, end-of-bitmap (2 bytes) everything left, so skips alone let a
    /// 60-byte file claim 10000x10000 and cost a 381 MB allocation. With this allowance (one megapixel, about 4 MB of
    /// output and indices) an image may have at most <see cref="RleMaxPixelsPerByte"/> pixels per byte of data plus
    /// 2^20: a real RLE image paints its pixels with runs (even a uniform 10000x10000 one takes 820 KB, 122 pixels a
    /// byte), and one relying on skips keeps working up to a megapixel left unpainted.
    /// </summary>
    public const long RleSkippedPixelAllowance = 1 << 20;

    /// <summary>The default masks of 16-bit BI_RGB images: X1R5G5B5.</summary>
    public const uint Rgb555Red = 0x7C00, Rgb555Green = 0x03E0, Rgb555Blue = 0x001F;

    /// <summary>The layout of 32-bit BI_RGB images: B, G, R, then a byte that may hold alpha (see the decoder).</summary>
    public const uint Rgb888Red = 0x00FF0000, Rgb888Green = 0x0000FF00, Rgb888Blue = 0x000000FF, Rgb888Alpha = 0xFF000000;
}
