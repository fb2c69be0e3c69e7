namespace Pipeline.Persistence.Zip;

/// <summary>
/// The parts of the zip format (PKWARE APPNOTE 6.3) this project writes and reads. All integers are little-endian.
/// <code>
/// local file header   (30 + n + m bytes)  signature 0x04034b50, version needed, flags, method, DOS time, DOS date,
///                                         CRC-32, compressed size, uncompressed size, name length n, extra length m
/// file data
/// ... one pair per entry ...
/// central directory   (46 + n + m + k bytes per entry) signature 0x02014b50, version made by, version needed,
///                                         flags, method, time, date, CRC-32, sizes, n, m, comment length k,
///                                         disk number, internal and external attributes, local header offset
/// [zip64 end record (56 bytes, 0x06064b50) and its locator (20 bytes, 0x07064b50): read, never written]
/// end of central dir  (22 + k bytes)     signature 0x06054b50, disk numbers, entry counts, directory size and offset
/// </code>
/// </summary>
internal static class ZipLayout
{
    public const uint LocalHeaderSignature = 0x04034b50;
    public const uint CentralHeaderSignature = 0x02014b50;
    public const uint EndOfCentralDirectorySignature = 0x06054b50;
    public const uint Zip64EndOfCentralDirectorySignature = 0x06064b50;
    public const uint Zip64LocatorSignature = 0x07064b50;

    public const int LocalHeaderSize = 30;
    public const int CentralHeaderSize = 46;
    public const int EndOfCentralDirectorySize = 22;
    public const int Zip64LocatorSize = 20;
    public const int Zip64EndOfCentralDirectorySize = 56;

    public const ushort MethodStored = 0;
    public const ushort MethodDeflate = 8;

    /// <summary>"Version needed to extract" for stored (1.0) and deflated (2.0) entries.</summary>
    public const ushort VersionStored = 10;
    public const ushort VersionDeflate = 20;

    /// <summary>"Version made by": MS-DOS attribute compatibility (high byte 0), spec 2.0. No Unix mode bits to vary.</summary>
    public const ushort VersionMadeBy = 20;

    public const ushort FlagEncrypted = 1 << 0;
    public const ushort FlagDataDescriptor = 1 << 3;
    public const ushort FlagStrongEncryption = 1 << 6;
    public const ushort FlagUtf8 = 1 << 11;
    public const ushort FlagMaskedHeaders = 1 << 13;

    public const ushort Zip64ExtraId = 0x0001;

    /// <summary>Every entry's timestamp: 2000-01-01 00:00:00 in MS-DOS format (date = (year-1980)&lt;&lt;9 | month&lt;&lt;5 | day).</summary>
    public const ushort FixedDosDate = ((2000 - 1980) << 9) | (1 << 5) | 1;

    /// <summary>Midnight.</summary>
    public const ushort FixedDosTime = 0;

    /// <summary>True when <paramref name="head"/>, a file's first bytes, opens with a local file header's signature.</summary>
    public static bool StartsWithLocalHeader(ReadOnlySpan<byte> head)
        => head.Length >= sizeof(uint) && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(head) == LocalHeaderSignature;
}
