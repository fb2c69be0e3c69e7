namespace Pipeline.Imaging.Webp;

/// <summary>
/// The numbers of the WebP container and of the VP8L lossless bitstream (RFC 9649, "WebP Image Format") the decoders need.
/// </summary>
internal static class WebpConstants
{
    /// <summary>"RIFF", the 32-bit little-endian RIFF size, "WEBP": the first 12 bytes of every file.</summary>
    public const int RiffHeaderSize = 12;

    /// <summary>A chunk starts with its FourCC and a 32-bit little-endian payload size; payloads are padded to even sizes.</summary>
    public const int ChunkHeaderSize = 8;

    // FourCCs as little-endian integers of their four ASCII letters (the order they are read from the file).
    public const uint Riff = 0x46464952; // "RIFF"
    public const uint Webp = 0x50424557; // "WEBP"
    public const uint Vp8 = 0x20385056; // "VP8 "
    public const uint Vp8L = 0x4C385056; // "VP8L"
    public const uint Vp8X = 0x58385056; // "VP8X"
    public const uint Alph = 0x48504C41; // "ALPH"
    public const uint Anim = 0x4D494E41; // "ANIM"
    public const uint Anmf = 0x464D4E41; // "ANMF"

    /// <summary>The VP8X payload: a flags byte, 3 reserved bytes, canvas width − 1 and height − 1 as 24-bit numbers.</summary>
    public const int Vp8XSize = 10;

    /// <summary>VP8X flags: the file has an ICC profile, alpha, EXIF, XMP, or is an animation.</summary>
    public const byte IccFlag = 0x20, AlphaFlag = 0x10, ExifFlag = 0x08, XmpFlag = 0x04, AnimationFlag = 0x02;

    /// <summary>The ANIM payload (background colour, loop count) and the ANMF header before a frame's chunks.</summary>
    public const int AnimSize = 6, AnmfHeaderSize = 16;

    /// <summary>Canvas and frame sides are stored as side − 1 in 24 bits: at most 2^24.</summary>
    public const int MaxCanvasSide = 1 << 24;

    /// <summary>The first byte of a VP8L stream.</summary>
    public const byte Vp8LSignature = 0x2F;

    /// <summary>The VP8L header: the signature byte, then 14-bit width − 1, 14-bit height − 1, the alpha hint and a 3-bit version (0).</summary>
    public const int Vp8LHeaderSize = 5;

    /// <summary>Transform types, each at most once per image.</summary>
    public const int PredictorTransform = 0, ColorTransform = 1, SubtractGreenTransform = 2, ColorIndexingTransform = 3;

    /// <summary>Colour cache sizes are 2^1 to 2^11 entries.</summary>
    public const int MaxColorCacheBits = 11;

    /// <summary>Green symbols: 256 literals, then 24 LZ77 length prefixes, then colour cache indices.</summary>
    public const int NumLiteralCodes = 256, NumLengthCodes = 24, NumDistanceCodes = 40;

    /// <summary>Prefix codes are at most 15 bits long; code-length codes at most 7.</summary>
    public const int MaxCodeLength = 15;

    /// <summary>The 19 code-length code symbols: 0–15 literal lengths, 16 repeat previous, 17 and 18 runs of zeros.</summary>
    public const int NumCodeLengthCodes = 19;

    /// <summary>The length a code-length code 16 repeats before any non-zero length was read.</summary>
    public const int DefaultCodeLength = 8;

    /// <summary>The order in which the code-length code lengths are stored.</summary>
    public static ReadOnlySpan<byte> CodeLengthCodeOrder => [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    /// <summary>
    /// Distance codes 1–120 name a pixel near the current one: (dx, dy) = columns to the left (negative: right) and rows
    /// up, stored here as pairs. The scan-line distance is dx + dy × width (at least 1).
    /// </summary>
    public static ReadOnlySpan<sbyte> DistanceMap =>
    [
        0, 1, 1, 0, 1, 1, -1, 1, 0, 2, 2, 0, 1, 2, -1, 2,
        2, 1, -2, 1, 2, 2, -2, 2, 0, 3, 3, 0, 1, 3, -1, 3,
        3, 1, -3, 1, 2, 3, -2, 3, 3, 2, -3, 2, 0, 4, 4, 0,
        1, 4, -1, 4, 4, 1, -4, 1, 3, 3, -3, 3, 2, 4, -2, 4,
        4, 2, -4, 2, 0, 5, 3, 4, -3, 4, 4, 3, -4, 3, 5, 0,
        1, 5, -1, 5, 5, 1, -5, 1, 2, 5, -2, 5, 5, 2, -5, 2,
        4, 4, -4, 4, 3, 5, -3, 5, 5, 3, -5, 3, 0, 6, 6, 0,
        1, 6, -1, 6, 6, 1, -6, 1, 2, 6, -2, 6, 6, 2, -6, 2,
        4, 5, -4, 5, 5, 4, -5, 4, 3, 6, -3, 6, 6, 3, -6, 3,
        0, 7, 7, 0, 1, 7, -1, 7, 5, 5, -5, 5, 7, 1, -7, 1,
        4, 6, -4, 6, 6, 4, -6, 4, 2, 7, -2, 7, 7, 2, -7, 2,
        3, 7, -3, 7, 7, 3, -7, 3, 5, 6, -5, 6, 6, 5, -6, 5,
        8, 0, 4, 7, -4, 7, 7, 4, -7, 4, 8, 1, 8, 2, 6, 6,
        -6, 6, 8, 3, 5, 7, -5, 7, 7, 5, -7, 5, 8, 4, 6, 7,
        -6, 7, 7, 6, -7, 6, 8, 5, 7, 7, -7, 7, 8, 6, 8, 7,
    ];

    /// <summary>The ALPH header byte: bits 0–1 compression, 2–3 filtering, 4–5 pre-processing, 6–7 reserved (0).</summary>
    public const int AlphaRaw = 0, AlphaLossless = 1;

    /// <summary>ALPH filtering methods.</summary>
    public const int FilterNone = 0, FilterHorizontal = 1, FilterVertical = 2, FilterGradient = 3;

    /// <summary>The FourCC as text, for messages ("VP8L"); bytes outside printable ASCII are shown as hex.</summary>
    public static string FourCcName(uint fourCc)
    {
        Span<char> name = stackalloc char[4];
        for (int i = 0; i < 4; i++)
        {
            char c = (char)((fourCc >> (8 * i)) & 0xFF);
            if (c is < ' ' or > '~') return $"0x{System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(fourCc):X8}";
            name[i] = c;
        }
        return new string(name);
    }
}
