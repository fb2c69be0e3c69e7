namespace Pipeline.Imaging.Png;

/// <summary>The numbers of the PNG specification (ISO/IEC 15948, W3C PNG 2nd edition) the codec needs.</summary>
internal static class PngConstants
{
    /// <summary>The eight bytes every PNG file starts with.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Chunk lengths are 31-bit: the specification caps them at 2^31 − 1.</summary>
    public const uint MaxChunkLength = int.MaxValue;

    /// <summary>A chunk is a 4-byte length, a 4-byte type, the data and a 4-byte CRC.</summary>
    public const int ChunkOverhead = 12;

    /// <summary>IHDR's data is always 13 bytes: width, height, bit depth, colour type, compression, filter, interlace.</summary>
    public const int HeaderLength = 13;

    // Chunk types as big-endian integers of their four ASCII letters.
    public const uint Ihdr = 0x49484452; // "IHDR"
    public const uint Plte = 0x504C5445; // "PLTE"
    public const uint Idat = 0x49444154; // "IDAT"
    public const uint Iend = 0x49454E44; // "IEND"
    public const uint Trns = 0x74524E53; // "tRNS"

    /// <summary>Bit 5 of a chunk type's first letter is set (lowercase) for ancillary chunks, clear for critical ones.</summary>
    public const uint AncillaryBit = 0x20000000;

    /// <summary>The five row filters of filter method 0.</summary>
    public const byte FilterNone = 0, FilterSub = 1, FilterUp = 2, FilterAverage = 3, FilterPaeth = 4;

    /// <summary>
    /// Slack after every scanline buffer: the SIMD unfilters read and write (unchanged) up to 8 bytes past the
    /// last pixel, so buffers carry this much padding instead of a scalar tail loop.
    /// </summary>
    public const int RowPadding = 16;

    /// <summary>
    /// Deflate cannot expand one compressed byte into more than 1032 bytes (a 258-byte match coded in two bits);
    /// image data that would need more than this ratio cannot be in the file, so it is rejected before allocating.
    /// </summary>
    public const int MaxDeflateRatio = 1032;

    /// <summary>Adam7's seven passes: first column, first row, column step and row step of each.</summary>
    public static ReadOnlySpan<byte> Adam7XStart => [0, 4, 0, 2, 0, 1, 0];

    /// <inheritdoc cref="Adam7XStart"/>
    public static ReadOnlySpan<byte> Adam7YStart => [0, 0, 4, 0, 2, 0, 1];

    /// <inheritdoc cref="Adam7XStart"/>
    public static ReadOnlySpan<byte> Adam7XStep => [8, 8, 4, 4, 2, 2, 1];

    /// <inheritdoc cref="Adam7XStart"/>
    public static ReadOnlySpan<byte> Adam7YStep => [8, 8, 8, 4, 4, 2, 2];

    /// <summary>The chunk type as text, for messages ("IDAT"); bytes outside printable ASCII are shown as hex.</summary>
    public static string ChunkName(uint type)
    {
        Span<char> name = stackalloc char[4];
        for (int i = 0; i < 4; i++)
        {
            byte b = (byte)(type >> (24 - 8 * i));
            if (b is < 0x20 or > 0x7E) return $"0x{type:X8}";
            name[i] = (char)b;
        }
        return new string(name);
    }
}
