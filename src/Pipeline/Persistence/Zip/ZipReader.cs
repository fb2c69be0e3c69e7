using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Pipeline.Persistence.Zip;

/// <summary>One entry of a zip whose headers have all been checked.</summary>
internal sealed record ZipEntry(string Name, ushort Method, uint Crc, long CompressedSize, long Size, long HeaderOffset, long DataOffset);

/// <summary>
/// A strict zip reader for model packages. <see cref="Open"/> reads the end record and the central directory and
/// checks every local header against it before any entry is inflated, so hostile archives are refused from their
/// headers alone: unsafe or duplicate names, declared sizes over the limits (a 10 GB entry costs nothing to reject),
/// compression ratios no real model reaches, encryption, unknown methods, entries that overlap or leave gaps (the
/// overlapping-entry bomb and hidden data), and central and local headers that disagree (so every zip tool sees
/// the same files). <see cref="Read"/> then inflates one entry into a buffer of exactly its declared size and
/// refuses it if it inflates to more or less, or if its CRC-32 differs.
/// Every refusal is an <see cref="InvalidModelPackageException"/>.
/// </summary>
internal sealed class ZipReader
{
    /// <summary>Entries up to this size may have any compression ratio (small text compresses well and costs nothing).</summary>
    public const long RatioGraceBytes = 1 << 20;

    private const long MaxCentralDirectoryBytes = 16 << 20;
    private const int MaxDataDescriptorBytes = 24;

    private readonly Stream _stream;
    private readonly long _length;

    private ZipReader(Stream stream, IReadOnlyList<ZipEntry> entries)
    {
        _stream = stream;
        _length = stream.Length;
        Entries = entries;
    }

    /// <summary>The entries in the order of their data in the file.</summary>
    public IReadOnlyList<ZipEntry> Entries { get; }

    /// <summary>True when an entry of <paramref name="size"/> bytes stored in <paramref name="compressedSize"/> bytes is a likely bomb.</summary>
    public static bool IsOverCompressed(long size, long compressedSize, double maxRatio) =>
        size > RatioGraceBytes && size > compressedSize * maxRatio;

    /// <summary>Reads and checks the directory of the zip in <paramref name="stream"/> (seekable, read from its start).</summary>
    public static ZipReader Open(Stream stream, ModelPackageLimits limits)
    {
        if (!stream.CanSeek || !stream.CanRead) throw new ArgumentException("The stream must be readable and seekable.", nameof(stream));
        var reader = new Reader(stream);
        (long directoryOffset, long directorySize, long entryCount, long directoryEnd) = ReadEndRecord(reader);
        if (entryCount > limits.MaxEntries)
            throw Fail($"the archive has {entryCount} entries, over the limit of {limits.MaxEntries}");
        if (directorySize > MaxCentralDirectoryBytes)
            throw Fail($"the central directory is {directorySize} bytes, over the limit of {MaxCentralDirectoryBytes}");
        if (directoryOffset + directorySize != directoryEnd)
            throw Fail($"the central directory (offset {directoryOffset}, {directorySize} bytes) does not end where the end record begins ({directoryEnd}); data was inserted, prepended or cut");

        byte[] directory = new byte[directorySize];
        reader.ReadAt(directoryOffset, directory);
        List<CentralEntry> central = ParseCentralDirectory(directory, entryCount, limits);
        return new ZipReader(stream, CheckLocalHeaders(reader, central, directoryOffset));
    }

    /// <summary>Inflates <paramref name="entry"/>, checking its size and CRC-32.</summary>
    public byte[] Read(ZipEntry entry)
    {
        var data = new byte[entry.Size];
        try
        {
            if (entry.Method == ZipLayout.MethodStored)
            {
                new Reader(_stream).ReadAt(entry.DataOffset, data, entry.Name);
            }
            else
            {
                using var compressed = new WindowStream(_stream, entry.DataOffset, entry.CompressedSize);
                using var inflater = new DeflateStream(compressed, CompressionMode.Decompress);
                int read = inflater.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
                if (read < data.Length)
                    throw Fail($"inflates to {read} bytes, short of the {entry.Size} declared (truncated or corrupt)", entry.Name);
                if (inflater.ReadByte() >= 0)
                    throw Fail($"inflates past its declared size of {entry.Size} bytes", entry.Name);
            }
        }
        catch (InvalidDataException e)
        {
            throw Fail($"corrupt deflate data ({e.Message})", entry.Name, inner: e);
        }
        uint crc = System.IO.Hashing.Crc32.HashToUInt32(data);
        if (crc != entry.Crc)
            throw Fail($"CRC-32 is {crc:x8}, the header says {entry.Crc:x8}: the entry is corrupt", entry.Name);
        return data;
    }

    private readonly record struct CentralEntry(string Name, byte[] RawName, ushort Flags, ushort Method, uint Crc, long CompressedSize, long Size, long HeaderOffset);

    private static (long Offset, long Size, long Count, long End) ReadEndRecord(Reader reader)
    {
        long length = reader.Length;
        if (length < ZipLayout.EndOfCentralDirectorySize)
            throw Fail($"the file is {length} bytes long, too short to be a zip");
        int tail = (int)Math.Min(length, ZipLayout.EndOfCentralDirectorySize + ushort.MaxValue);
        byte[] buffer = new byte[tail];
        reader.ReadAt(length - tail, buffer);

        int at = -1;
        for (int i = tail - ZipLayout.EndOfCentralDirectorySize; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(i)) == ZipLayout.EndOfCentralDirectorySignature
                && BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(i + 20)) == tail - i - ZipLayout.EndOfCentralDirectorySize)
            {
                at = i;
                break;
            }
        }
        if (at < 0)
            throw Fail("no end-of-central-directory record: this is not a zip file, or it is truncated",
                hint: "a model package is the model.zip that 'train' or ModelPackage.Save writes; if it was copied, copy it again");
        ReadOnlySpan<byte> end = buffer.AsSpan(at);
        long endOffset = length - tail + at;
        ushort disk = BinaryPrimitives.ReadUInt16LittleEndian(end[4..]);
        ushort directoryDisk = BinaryPrimitives.ReadUInt16LittleEndian(end[6..]);
        long countOnDisk = BinaryPrimitives.ReadUInt16LittleEndian(end[8..]);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(end[10..]);
        long size = BinaryPrimitives.ReadUInt32LittleEndian(end[12..]);
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(end[16..]);

        bool zip64 = count == ushort.MaxValue || countOnDisk == ushort.MaxValue || size == uint.MaxValue || offset == uint.MaxValue;
        if (!zip64)
        {
            if (disk != 0 || directoryDisk != 0 || countOnDisk != count)
                throw Fail("multi-volume (spanned) zips are not supported");
            return (offset, size, count, endOffset);
        }

        if (endOffset < ZipLayout.Zip64LocatorSize)
            throw Fail("the end record asks for zip64 but the zip64 locator is missing");
        byte[] locator = new byte[ZipLayout.Zip64LocatorSize];
        reader.ReadAt(endOffset - ZipLayout.Zip64LocatorSize, locator);
        if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != ZipLayout.Zip64LocatorSignature)
            throw Fail("the end record asks for zip64 but the zip64 locator is missing");
        long recordOffset = BinaryPrimitives.ReadInt64LittleEndian(locator.AsSpan(8));
        if (BinaryPrimitives.ReadUInt32LittleEndian(locator.AsSpan(4)) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(locator.AsSpan(16)) != 1)
            throw Fail("multi-volume (spanned) zips are not supported");
        if (recordOffset < 0 || recordOffset != endOffset - ZipLayout.Zip64LocatorSize - ZipLayout.Zip64EndOfCentralDirectorySize)
            throw Fail($"the zip64 end record is not where its locator says ({recordOffset})");
        byte[] record = new byte[ZipLayout.Zip64EndOfCentralDirectorySize];
        reader.ReadAt(recordOffset, record);
        ReadOnlySpan<byte> r = record;
        if (BinaryPrimitives.ReadUInt32LittleEndian(r) != ZipLayout.Zip64EndOfCentralDirectorySignature)
            throw Fail("the zip64 end record has a bad signature");
        if (BinaryPrimitives.ReadUInt32LittleEndian(r[16..]) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(r[20..]) != 0
            || BinaryPrimitives.ReadInt64LittleEndian(r[24..]) != BinaryPrimitives.ReadInt64LittleEndian(r[32..]))
            throw Fail("multi-volume (spanned) zips are not supported");
        count = BinaryPrimitives.ReadInt64LittleEndian(r[32..]);
        size = BinaryPrimitives.ReadInt64LittleEndian(r[40..]);
        offset = BinaryPrimitives.ReadInt64LittleEndian(r[48..]);
        if (count < 0 || size < 0 || offset < 0)
            throw Fail("the zip64 end record holds a negative count, size or offset");
        return (offset, size, count, recordOffset);
    }

    private static List<CentralEntry> ParseCentralDirectory(ReadOnlySpan<byte> directory, long expectedCount, ModelPackageLimits limits)
    {
        var entries = new List<CentralEntry>((int)Math.Min(expectedCount, 1024));
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        long total = 0;
        int at = 0;
        while (at < directory.Length)
        {
            if (entries.Count == expectedCount)
                throw Fail($"the central directory holds more than the {expectedCount} entries the end record declares");
            if (directory.Length - at < ZipLayout.CentralHeaderSize)
                throw Fail($"central directory entry {entries.Count} is truncated");
            ReadOnlySpan<byte> h = directory[at..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(h) != ZipLayout.CentralHeaderSignature)
                throw Fail($"central directory entry {entries.Count} has a bad signature at directory byte {at}");
            ushort versionNeeded = BinaryPrimitives.ReadUInt16LittleEndian(h[6..]);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            ushort method = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            long disk = BinaryPrimitives.ReadUInt16LittleEndian(h[34..]);
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]);
            int recordLength = ZipLayout.CentralHeaderSize + nameLength + extraLength + commentLength;
            if (directory.Length - at < recordLength)
                throw Fail($"central directory entry {entries.Count} runs past the end of the directory");
            byte[] rawName = h.Slice(ZipLayout.CentralHeaderSize, nameLength).ToArray();
            string shown = EntryNames.Display(rawName);
            ReadZip64Extra(h.Slice(ZipLayout.CentralHeaderSize + nameLength, extraLength), shown, ref size, ref compressed, ref offset, ref disk);

            string name = Encoding.Latin1.GetString(rawName);
            string? problem = EntryNames.Validate(name);
            if (problem is not null)
                throw Fail($"unsafe entry name: {problem}", shown, "a model package never holds such a name; the file was not written by this library or was tampered with");
            if (!names.Add(name))
                throw Fail("the name appears twice (names are compared ignoring case)", shown);
            if ((flags & (ZipLayout.FlagEncrypted | ZipLayout.FlagStrongEncryption | ZipLayout.FlagMaskedHeaders)) != 0)
                throw Fail("the entry is encrypted", shown);
            if ((versionNeeded & 0xFF) > 45)
                throw Fail($"the entry needs zip feature version {(versionNeeded & 0xFF) / 10}.{(versionNeeded & 0xFF) % 10}; only 4.5 and below are read", shown);
            if (method != ZipLayout.MethodStored && method != ZipLayout.MethodDeflate)
                throw Fail($"compression method {method} is not supported (only stored and deflate)", shown);
            if (disk != 0)
                throw Fail("multi-volume (spanned) zips are not supported", shown);
            if (size > limits.MaxEntryBytes)
                throw Fail($"declares {size} bytes uncompressed, over the limit of {limits.MaxEntryBytes}", shown,
                    "if this model is genuine, load it with a larger ModelPackageLimits.MaxEntryBytes");
            total += size;
            if (total > limits.MaxTotalBytes)
                throw Fail($"the entries declare over {limits.MaxTotalBytes} bytes uncompressed in total", shown,
                    "if this model is genuine, load it with a larger ModelPackageLimits.MaxTotalBytes");
            if (method == ZipLayout.MethodStored && compressed != size)
                throw Fail($"a stored entry declares {compressed} bytes stored but {size} bytes uncompressed", shown);
            if (method == ZipLayout.MethodDeflate && IsOverCompressed(size, compressed, limits.MaxCompressionRatio))
                throw Fail($"over-compressed: {compressed} bytes declared to inflate to {size} (ratio {(double)size / Math.Max(1, compressed):0}:1, limit {limits.MaxCompressionRatio:0}:1); a zip bomb?", shown);

            entries.Add(new CentralEntry(name, rawName, flags, method, crc, compressed, size, offset));
            at += recordLength;
        }
        if (entries.Count != expectedCount)
            throw Fail($"the central directory holds {entries.Count} entries, the end record declares {expectedCount}");
        return entries;
    }

    /// <summary>Replaces 32-bit fields saturated at 0xFFFFFFFF (0xFFFF for the disk) by their zip64 values, in the spec's order.</summary>
    private static void ReadZip64Extra(ReadOnlySpan<byte> extra, string entry, ref long size, ref long compressed, ref long offset, ref long disk)
    {
        bool needSize = size == uint.MaxValue, needCompressed = compressed == uint.MaxValue, needOffset = offset == uint.MaxValue, needDisk = disk == ushort.MaxValue;
        while (extra.Length >= 4)
        {
            ushort id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (length > extra.Length - 4) throw Fail("an extra field runs past its header", entry);
            ReadOnlySpan<byte> data = extra.Slice(4, length);
            extra = extra[(4 + length)..];
            if (id != ZipLayout.Zip64ExtraId) continue;
            int needed = (needSize ? 8 : 0) + (needCompressed ? 8 : 0) + (needOffset ? 8 : 0) + (needDisk ? 4 : 0);
            if (data.Length < needed) throw Fail("the zip64 extra field is too short", entry);
            if (needSize) { size = BinaryPrimitives.ReadInt64LittleEndian(data); data = data[8..]; }
            if (needCompressed) { compressed = BinaryPrimitives.ReadInt64LittleEndian(data); data = data[8..]; }
            if (needOffset) { offset = BinaryPrimitives.ReadInt64LittleEndian(data); data = data[8..]; }
            if (needDisk) disk = BinaryPrimitives.ReadUInt32LittleEndian(data);
            if (size < 0 || compressed < 0 || offset < 0) throw Fail("the zip64 extra field holds a negative size or offset", entry);
            return;
        }
        if (needSize || needCompressed || needOffset || needDisk)
            throw Fail("a size or offset is saturated but there is no zip64 extra field", entry);
    }

    private static List<ZipEntry> CheckLocalHeaders(Reader reader, List<CentralEntry> central, long directoryOffset)
    {
        central.Sort((a, b) => a.HeaderOffset.CompareTo(b.HeaderOffset));
        var entries = new List<ZipEntry>(central.Count);
        Span<byte> h = stackalloc byte[ZipLayout.LocalHeaderSize];
        long expected = 0;
        for (int i = 0; i < central.Count; i++)
        {
            CentralEntry c = central[i];
            string shown = EntryNames.Display(c.RawName);
            // Entries tile the file from byte 0 to the central directory: no overlap (the overlapping-entry bomb), no
            // gaps (hidden data), except room for a data descriptor after an entry whose flags announce one.
            long slack = i > 0 && (central[i - 1].Flags & ZipLayout.FlagDataDescriptor) != 0 ? MaxDataDescriptorBytes : 0;
            if (c.HeaderOffset < expected || c.HeaderOffset > expected + slack)
                throw Fail(c.HeaderOffset < expected
                    ? $"the local header at {c.HeaderOffset} overlaps the previous entry, which ends at {expected}"
                    : $"the local header at {c.HeaderOffset} leaves a gap after the previous entry, which ends at {expected}", shown);
            if (c.HeaderOffset > directoryOffset - ZipLayout.LocalHeaderSize)
                throw Fail($"the local header at {c.HeaderOffset} runs into the central directory", shown);
            reader.ReadAt(c.HeaderOffset, h, shown);
            if (BinaryPrimitives.ReadUInt32LittleEndian(h) != ZipLayout.LocalHeaderSignature)
                throw Fail($"no local header at {c.HeaderOffset}", shown);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(h[6..]);
            ushort method = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(h[14..]);
            uint compressed = BinaryPrimitives.ReadUInt32LittleEndian(h[18..]);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(h[22..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[26..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            if (method != c.Method || (flags & ~ZipLayout.FlagUtf8) != (c.Flags & ~ZipLayout.FlagUtf8))
                throw Fail("the local header's method or flags differ from the central directory's", shown);
            if ((flags & ZipLayout.FlagDataDescriptor) == 0
                && (crc != c.Crc || (compressed != uint.MaxValue && compressed != c.CompressedSize) || (size != uint.MaxValue && size != c.Size)))
                throw Fail("the local header's CRC or sizes differ from the central directory's", shown);
            long dataOffset = c.HeaderOffset + ZipLayout.LocalHeaderSize + nameLength + extraLength;
            if (nameLength != c.RawName.Length || dataOffset > directoryOffset)
                throw Fail("the local header's name differs from the central directory's", shown);
            byte[] localName = new byte[nameLength];
            reader.ReadAt(c.HeaderOffset + ZipLayout.LocalHeaderSize, localName, shown);
            if (!localName.SequenceEqual(c.RawName))
                throw Fail($"the local header names it '{EntryNames.Display(localName)}' (a zip that shows different files to different tools)", shown);
            // Written as a subtraction: zip64 sizes reach 2^63, and the sum could wrap.
            if (c.CompressedSize > directoryOffset - dataOffset)
                throw Fail($"its {c.CompressedSize} bytes of data run past the start of the central directory ({directoryOffset})", shown);
            long dataEnd = dataOffset + c.CompressedSize;
            entries.Add(new ZipEntry(c.Name, c.Method, c.Crc, c.CompressedSize, c.Size, c.HeaderOffset, dataOffset));
            expected = dataEnd;
        }
        long tailSlack = central.Count > 0 && (central[^1].Flags & ZipLayout.FlagDataDescriptor) != 0 ? MaxDataDescriptorBytes : 0;
        if (directoryOffset < expected || directoryOffset > expected + tailSlack)
            throw Fail($"{directoryOffset - expected} bytes of unaccounted data lie between the last entry and the central directory");
        return entries;
    }

    private static InvalidModelPackageException Fail(string reason, string? entry = null, string? hint = null, Exception? inner = null) =>
        new(reason, entry: entry, hint: hint, inner: inner);

    /// <summary>Bounds-checked positioned reads; a short read (a file cut while being read) is a typed error.</summary>
    private readonly struct Reader(Stream stream)
    {
        public long Length { get; } = stream.Length;

        public void ReadAt(long offset, Span<byte> buffer, string? entry = null)
        {
            if (offset < 0 || offset > Length - buffer.Length)
                throw Fail($"needs bytes {offset}..{offset + buffer.Length} of a {Length}-byte file (truncated?)", entry);
            stream.Position = offset;
            try
            {
                stream.ReadExactly(buffer);
            }
            catch (EndOfStreamException e)
            {
                throw Fail($"the file ended early while reading bytes {offset}..{offset + buffer.Length}", entry, inner: e);
            }
        }
    }

    /// <summary>A read-only view of bytes [offset, offset + length) of a seekable stream, for the inflater to read from.</summary>
    private sealed class WindowStream(Stream inner, long offset, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            long remaining = length - _position;
            if (remaining <= 0 || buffer.Length == 0) return 0;
            if (buffer.Length > remaining) buffer = buffer[..(int)remaining];
            inner.Position = offset + _position;
            int read = inner.Read(buffer);
            _position += read;
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
