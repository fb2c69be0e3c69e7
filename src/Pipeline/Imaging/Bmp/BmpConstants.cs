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

    /// <summary>The default masks of 16-bit BI_RGB images: X1R5G5B5.</summary>
    public const uint Rgb555Red = 0x7C00, Rgb555Green = 0x03E0, Rgb555Blue = 0x001F;

    /// <summary>The layout of 32-bit BI_RGB images: B, G, R, then a byte that may hold alpha (see the decoder).</summary>
    public const uint Rgb888Red = 0x00FF0000, Rgb888Green = 0x0000FF00, Rgb888Blue = 0x000000FF, Rgb888Alpha = 0xFF000000;
}
