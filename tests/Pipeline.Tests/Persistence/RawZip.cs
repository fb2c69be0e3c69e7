using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Pipeline.Persistence.Zip;

namespace Pipeline.Tests.Persistence;

/// <summary>
/// Builds zip files byte by byte, with every header field under the test's control, for the hostile archives
/// System.IO.Compression will not write (10 GB declared sizes, headers that disagree, overlapping entries).
/// The CRC comes from independent reference code: the bitwise <see cref="NaiveCrc32"/>.
/// </summary>
internal sealed class RawZip
{
    public sealed class Entry
    {
        public required byte[] Name;
        public required byte[] Data;          // the bytes as stored in the file (compressed for deflate)
        public ushort Method;
        public ushort Flags;
        public uint Crc;
        public long Size;                     // declared uncompressed size (central directory)
        public long CompressedSize;           // declared compressed size (central directory)
        public byte[]? LocalName;             // overrides the local header's name
        public long? LocalSize;               // overrides the local header's uncompressed size
        public long? OffsetOverride;          // overrides the central directory's local header offset
    }

    public List<Entry> Entries { get; } = [];

    /// <summary>Bytes placed before the first local header.</summary>
    public byte[] Prefix { get; set; } = [];

    public static Entry Stored(string name, byte[] content) => new()
    {
        Name = Encoding.UTF8.GetBytes(name), Data = content, Method = 0,
        Crc = NaiveCrc32.Compute(content), Size = content.Length, CompressedSize = content.Length,
    };

    public static Entry Deflated(string name, byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true)) deflate.Write(content);
        byte[] data = buffer.ToArray();
        return new Entry
        {
            Name = Encoding.UTF8.GetBytes(name), Data = data, Method = 8,
            Crc = NaiveCrc32.Compute(content), Size = content.Length, CompressedSize = data.Length,
        };
    }

    public RawZip Add(Entry entry)
    {
        Entries.Add(entry);
        return this;
    }

    public byte[] Build()
    {
        using var output = new MemoryStream();
        output.Write(Prefix);
        var offsets = new List<long>();
        foreach (Entry e in Entries)
        {
            offsets.Add(output.Position);
            byte[] name = e.LocalName ?? e.Name;
            long localSize = e.LocalSize ?? e.Size;
            byte[] h = new byte[30];
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(), 0x04034b50);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), 20);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(6), e.Flags);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(8), e.Method);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(10), 0);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(12), 0x2821);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(14), e.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(18), Saturate(e.CompressedSize));
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(22), Saturate(localSize));
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(26), (ushort)name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(28), 0);
            output.Write(h);
            output.Write(name);
            output.Write(e.Data);
        }
        long directoryStart = output.Position;
        for (int i = 0; i < Entries.Count; i++)
        {
            Entry e = Entries[i];
            long offset = e.OffsetOverride ?? offsets[i];
            byte[] extra = Zip64Extra(e.Size, e.CompressedSize, offset);
            byte[] h = new byte[46];
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(), 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), 45);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(6), (ushort)(extra.Length > 0 ? 45 : 20));
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(8), e.Flags);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(10), e.Method);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(12), 0);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(14), 0x2821);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), e.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(20), Saturate(e.CompressedSize));
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(24), Saturate(e.Size));
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(28), (ushort)e.Name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(30), (ushort)extra.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(32), 0);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(34), 0);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(36), 0);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(38), 0);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(42), Saturate(offset));
            output.Write(h);
            output.Write(e.Name);
            output.Write(extra);
        }
        long directorySize = output.Position - directoryStart;
        Span<byte> end = stackalloc byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], (ushort)Entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], (ushort)Entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], (uint)directorySize);
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], (uint)directoryStart);
        output.Write(end);
        return output.ToArray();
    }

    private static uint Saturate(long value) => value >= uint.MaxValue ? uint.MaxValue : (uint)value;

    /// <summary>The zip64 extended-information extra field for the values that do not fit 32 bits, in the spec's order.</summary>
    private static byte[] Zip64Extra(long size, long compressed, long offset)
    {
        var values = new List<long>();
        if (size >= uint.MaxValue) values.Add(size);
        if (compressed >= uint.MaxValue) values.Add(compressed);
        if (offset >= uint.MaxValue) values.Add(offset);
        if (values.Count == 0) return [];
        byte[] extra = new byte[4 + 8 * values.Count];
        BinaryPrimitives.WriteUInt16LittleEndian(extra, 0x0001);
        BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), (ushort)(8 * values.Count));
        for (int i = 0; i < values.Count; i++) BinaryPrimitives.WriteInt64LittleEndian(extra.AsSpan(4 + 8 * i), values[i]);
        return extra;
    }
}
