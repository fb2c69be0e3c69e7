namespace Pipeline.Imaging.Gif;

/// <summary>The numbers of the GIF87a/GIF89a specification the decoder needs.</summary>
internal static class GifConstants
{
    /// <summary>The header ("GIF87a" or "GIF89a") and logical screen descriptor: 6 + 7 bytes.</summary>
    public const int HeaderSize = 13;

    /// <summary>Block introducers.</summary>
    public const byte ExtensionIntroducer = 0x21, ImageSeparator = 0x2C, Trailer = 0x3B;

    /// <summary>Extension labels: the Graphic Control Extension carries the transparent colour index.</summary>
    public const byte GraphicControlLabel = 0xF9;

    /// <summary>Packed-field bits: colour table present, interlaced image, GCE transparency flag.</summary>
    public const byte ColorTableFlag = 0x80, InterlaceFlag = 0x40, TransparencyFlag = 0x01;

    /// <summary>LZW codes are at most 12 bits: the string table holds 4096 entries.</summary>
    public const int MaxCodeBits = 12, MaxCodes = 1 << MaxCodeBits;

    /// <summary>
    /// The LZW minimum code sizes the specification allows (2–8; codes are then 3 to 12 bits). Size 1 is rejected: its
    /// 2-bit first codes cannot name the first new table entry (4), so decoders disagree on what it means.
    /// </summary>
    public const int MinLzwCodeSize = 2, MaxLzwCodeSize = 8;

    /// <summary>
    /// How many logical-screen pixels a file may claim beyond what its first frame's LZW data could fill. Screen
    /// pixels the frame leaves uncovered are transparent and cost no data, so the screen size alone let a 35-byte
    /// file with a 1x1 frame allocate a 10000x10000 RGBA image (400 MB). A code yields at most
    /// <see cref="MaxCodes"/> pixels, so the screen may hold at most that many per code the data holds plus this
    /// allowance: one megapixel (4 MB of RGBA), so small animations whose first frame is a small patch of a larger
    /// screen decode as before, and the output of a larger screen grows with the file as a frame's does.
    /// </summary>
    public const long UncoveredScreenAllowance = 1 << 20;

    /// <summary>Interlaced rows come in four passes: first row and row step of each.</summary>
    public static ReadOnlySpan<byte> InterlaceStart => [0, 4, 2, 1];

    /// <inheritdoc cref="InterlaceStart"/>
    public static ReadOnlySpan<byte> InterlaceStep => [8, 8, 4, 2];
}
