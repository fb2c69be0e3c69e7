using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Pipeline.Persistence.Zip;

namespace Pipeline.Featurizers.Cache;

/// <summary>
/// The file format of one cache entry. All integers and floats little-endian.
/// <code>
/// offset  size      field
///  0      4         magic "PLFC"
///  4      2         format version (1)
///  6      2         header size (48)
///  8      4         dims: the number of float32 values (1 .. 16M)
/// 12      4         CRC-32 of bytes 0..12 and 16..end (every byte but this field)
/// 16      32        the key, so a file in the wrong place or a hash-prefix collision is never taken for the entry
/// 48      4·dims    the features, float32
/// </code>
/// The file's length must be exactly 48 + 4·dims. A torn, truncated or corrupted file fails these checks and is a miss,
/// never wrong data; that is why entries are not fsynced.
/// </summary>
internal static class FeatureCacheEntry
{
    public const int HeaderSize = 48;
    public const ushort Version = 1;
    public const int MaxDims = 1 << 24;
    private static ReadOnlySpan<byte> Magic => "PLFC"u8;

    /// <summary>The file's bytes for <paramref name="features"/> under <paramref name="key"/>.</summary>
    public static byte[] Encode(in FeatureCacheKey key, ReadOnlySpan<float> features)
    {
        if (features.Length == 0 || features.Length > MaxDims)
            throw new ArgumentException($"A cached feature vector has 1 to {MaxDims} values, not {features.Length}.", nameof(features));
        byte[] file = new byte[HeaderSize + 4 * features.Length];
        Span<byte> span = file;
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], HeaderSize);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], features.Length);
        key.CopyTo(span[16..]);
        Span<byte> payload = span[HeaderSize..];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(features).CopyTo(payload);
        }
        else
        {
            for (int i = 0; i < features.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(payload[(4 * i)..], features[i]);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], Checksum(span));
        return file;
    }

    /// <summary>The features in <paramref name="file"/> if it is an intact entry for <paramref name="key"/>, else null.</summary>
    public static float[]? Decode(ReadOnlySpan<byte> file, in FeatureCacheKey key)
    {
        if (file.Length < HeaderSize || !file.StartsWith(Magic)) return null;
        if (BinaryPrimitives.ReadUInt16LittleEndian(file[4..]) != Version || BinaryPrimitives.ReadUInt16LittleEndian(file[6..]) != HeaderSize) return null;
        int dims = BinaryPrimitives.ReadInt32LittleEndian(file[8..]);
        if (dims <= 0 || dims > MaxDims || file.Length != HeaderSize + 4L * dims) return null;
        Span<byte> expectedKey = stackalloc byte[32];
        key.CopyTo(expectedKey);
        if (!file.Slice(16, 32).SequenceEqual(expectedKey)) return null;
        if (BinaryPrimitives.ReadUInt32LittleEndian(file[12..]) != Checksum(file)) return null;

        var features = new float[dims];
        ReadOnlySpan<byte> payload = file[HeaderSize..];
        if (BitConverter.IsLittleEndian)
        {
            payload.CopyTo(MemoryMarshal.AsBytes(features.AsSpan()));
        }
        else
        {
            for (int i = 0; i < dims; i++) features[i] = BinaryPrimitives.ReadSingleLittleEndian(payload[(4 * i)..]);
        }
        return features;
    }

    private static uint Checksum(ReadOnlySpan<byte> file)
    {
        // The CRC-32 of the file without its checksum field (bytes 12-15).
        var crc = new System.IO.Hashing.Crc32();
        crc.Append(file[..12]);
        crc.Append(file[16..]);
        return crc.GetCurrentHashAsUInt32();
    }
}
