using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Pipeline.Persistence.Zip;

/// <summary>
/// Writes a zip whose bytes depend only on the entries given, in the order given: fixed timestamps
/// (<see cref="ZipLayout.FixedDosDate"/>), a fixed deflate level, no extra fields, no data descriptors, no comments,
/// no attributes. Sizes and CRCs are known before each local header is written, so the output stream may be
/// forward-only. Entries are deflated only when that saves at least 1/8 of their size and stays within the reader's
/// compression-ratio bound; otherwise they are stored. Float weights save about 7 % and are stored, so loading a large
/// backbone costs a read, not an inflate; quantized weights (about 20 %) and JSON deflate.
/// Zip64 is never written: the archive must stay under 4 GiB.
/// </summary>
internal sealed class ZipWriter(Stream output)
{
    /// <summary>zlib level 6, pinned rather than taken from <see cref="CompressionLevel.Optimal"/>, whose meaning may change.</summary>
    public const int DeflateLevel = 6;

    private readonly List<CentralRecord> _central = [];
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);
    private long _position;
    private bool _finished;

    private readonly record struct CentralRecord(byte[] Name, ushort Method, uint Crc, uint CompressedSize, uint Size, uint Offset);

    /// <summary>Appends one entry.</summary>
    /// <param name="name">The entry's name; it must pass <see cref="EntryNames.Validate"/>.</param>
    /// <param name="content">The uncompressed bytes.</param>
    /// <param name="compress">False forces the entry to be stored (e.g. the manifest, so its text is visible at the start of the file).</param>
    public void Add(string name, ReadOnlySpan<byte> content, bool compress)
    {
        if (_finished) throw new InvalidOperationException("The zip is already finished.");
        string? problem = EntryNames.Validate(name);
        if (problem is not null) throw new ArgumentException($"Entry name '{name}': {problem}.", nameof(name));
        if (!_names.Add(name)) throw new ArgumentException($"Entry name '{name}' is used twice (names are compared ignoring case).", nameof(name));

        uint crc = System.IO.Hashing.Crc32.HashToUInt32(content);
        ushort method = ZipLayout.MethodStored;
        ReadOnlySpan<byte> data = content;
        byte[]? deflated = compress && content.Length > 0 ? Deflate(content) : null;
        if (deflated is not null && deflated.Length <= content.Length - content.Length / 8
            && !ZipReader.IsOverCompressed(content.Length, deflated.Length, ModelPackageLimits.Default.MaxCompressionRatio))
        {
            method = ZipLayout.MethodDeflate;
            data = deflated;
        }

        byte[] nameBytes = Encoding.ASCII.GetBytes(name);
        if (_position + ZipLayout.LocalHeaderSize + nameBytes.Length + data.Length > uint.MaxValue - 1)
            throw new InvalidOperationException("The zip would exceed 4 GiB; zip64 is not written.");
        var record = new CentralRecord(nameBytes, method, crc, (uint)data.Length, (uint)content.Length, (uint)_position);
        _central.Add(record);

        Span<byte> header = stackalloc byte[ZipLayout.LocalHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, ZipLayout.LocalHeaderSignature);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], VersionNeeded(method));
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header[8..], method);
        BinaryPrimitives.WriteUInt16LittleEndian(header[10..], ZipLayout.FixedDosTime);
        BinaryPrimitives.WriteUInt16LittleEndian(header[12..], ZipLayout.FixedDosDate);
        BinaryPrimitives.WriteUInt32LittleEndian(header[14..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(header[18..], record.CompressedSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header[22..], record.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(header[26..], (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(header[28..], 0);
        Write(header);
        Write(nameBytes);
        Write(data);
    }

    /// <summary>Writes the central directory and the end record. The stream is left open and unflushed.</summary>
    public void Finish()
    {
        if (_finished) throw new InvalidOperationException("The zip is already finished.");
        _finished = true;
        if (_central.Count > ushort.MaxValue - 1) throw new InvalidOperationException("Too many entries for a zip without zip64.");
        long directoryStart = _position;
        Span<byte> header = stackalloc byte[ZipLayout.CentralHeaderSize];
        foreach (CentralRecord record in _central)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header, ZipLayout.CentralHeaderSignature);
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], ZipLayout.VersionMadeBy);
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], VersionNeeded(record.Method));
            BinaryPrimitives.WriteUInt16LittleEndian(header[8..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(header[10..], record.Method);
            BinaryPrimitives.WriteUInt16LittleEndian(header[12..], ZipLayout.FixedDosTime);
            BinaryPrimitives.WriteUInt16LittleEndian(header[14..], ZipLayout.FixedDosDate);
            BinaryPrimitives.WriteUInt32LittleEndian(header[16..], record.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(header[20..], record.CompressedSize);
            BinaryPrimitives.WriteUInt32LittleEndian(header[24..], record.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(header[28..], (ushort)record.Name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(header[30..], 0); // extra
            BinaryPrimitives.WriteUInt16LittleEndian(header[32..], 0); // comment
            BinaryPrimitives.WriteUInt16LittleEndian(header[34..], 0); // disk
            BinaryPrimitives.WriteUInt16LittleEndian(header[36..], 0); // internal attributes
            BinaryPrimitives.WriteUInt32LittleEndian(header[38..], 0); // external attributes
            BinaryPrimitives.WriteUInt32LittleEndian(header[42..], record.Offset);
            Write(header);
            Write(record.Name);
        }
        long directorySize = _position - directoryStart;
        if (_position + ZipLayout.EndOfCentralDirectorySize > uint.MaxValue - 1)
            throw new InvalidOperationException("The zip would exceed 4 GiB; zip64 is not written.");

        Span<byte> end = stackalloc byte[ZipLayout.EndOfCentralDirectorySize];
        BinaryPrimitives.WriteUInt32LittleEndian(end, ZipLayout.EndOfCentralDirectorySignature);
        BinaryPrimitives.WriteUInt16LittleEndian(end[4..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(end[6..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], (ushort)_central.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], (ushort)_central.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], (uint)directorySize);
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], (uint)directoryStart);
        BinaryPrimitives.WriteUInt16LittleEndian(end[20..], 0);
        Write(end);
    }

    private static ushort VersionNeeded(ushort method) => method == ZipLayout.MethodDeflate ? ZipLayout.VersionDeflate : ZipLayout.VersionStored;

    private static byte[] Deflate(ReadOnlySpan<byte> content)
    {
        using var buffer = new MemoryStream(capacity: content.Length / 2 + 64);
        using (var deflate = new DeflateStream(buffer, new ZLibCompressionOptions { CompressionLevel = DeflateLevel, CompressionStrategy = ZLibCompressionStrategy.Default }, leaveOpen: true))
            deflate.Write(content);
        return buffer.ToArray();
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        output.Write(bytes);
        _position += bytes.Length;
    }
}
