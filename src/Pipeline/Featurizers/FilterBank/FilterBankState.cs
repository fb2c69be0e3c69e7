using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Pipeline.Featurizers.FilterBank;

/// <summary>
/// What the filter bank learns, and its bytes in model.zip (<c>featurizer/filterbank.bin</c>).
/// <code>
/// offset  size         field
/// 0       4            magic "PFBK"
/// 4       4            format version (uint32 LE) = 1
/// 8       4            patch length D (uint32 LE): patchSize² × 3
/// 12      4            centroid count K (uint32 LE)
/// 16      4·D          patch mean m (float32 LE)
/// …       4·D·D        ZCA matrix W, row-major (float32 LE, symmetric)
/// …       4·K·D        centroids in whitened space, row-major (float32 LE)
/// end−32  32           SHA-256 of every preceding byte
/// </code>
/// A newer version is refused with a hint to upgrade; any other mismatch is an <see cref="InvalidDataException"/>
/// naming the field.
/// </summary>
internal sealed class FilterBankState
{
    public const int FormatVersion = 1;
    private const int HeaderSize = 16;
    private static ReadOnlySpan<byte> Magic => "PFBK"u8;

    public FilterBankState(int patchLength, int centroids, float[] mean, float[] whitening, float[] centroidRows)
    {
        if (mean.Length != patchLength || whitening.Length != patchLength * patchLength || centroidRows.Length != (long)centroids * patchLength)
            throw new ArgumentException("Filter bank arrays do not match D and K.");
        PatchLength = patchLength;
        CentroidCount = centroids;
        Mean = mean;
        Whitening = whitening;
        Centroids = centroidRows;
    }

    /// <summary>D: values per patch.</summary>
    public int PatchLength { get; }

    /// <summary>K: the number of filters.</summary>
    public int CentroidCount { get; }

    /// <summary>m: the mean of the normalized training patches (D).</summary>
    public float[] Mean { get; }

    /// <summary>W: the symmetric ZCA matrix (D × D).</summary>
    public float[] Whitening { get; }

    /// <summary>The centroids, whitened (K × D).</summary>
    public float[] Centroids { get; }

    public byte[] Serialize()
    {
        long length = HeaderSize + 4L * (PatchLength + (long)PatchLength * PatchLength + (long)CentroidCount * PatchLength) + 32;
        var bytes = new byte[checked((int)length)];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)PatchLength);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), (uint)CentroidCount);
        int offset = HeaderSize;
        foreach (float[] array in new[] { Mean, Whitening, Centroids })
            foreach (float v in array)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(offset), v);
                offset += 4;
            }
        SHA256.HashData(bytes.AsSpan(0, offset), bytes.AsSpan(offset));
        return bytes;
    }

    /// <summary>Reads state bytes, checking them against the spec's patch length and centroid count.</summary>
    /// <exception cref="InvalidDataException">Truncated, corrupt, foreign or newer bytes, or a mismatch with the spec.</exception>
    public static FilterBankState Deserialize(ReadOnlySpan<byte> bytes, int expectedPatchLength, int expectedCentroids)
    {
        if (bytes.Length < HeaderSize + 32 || !bytes.StartsWith(Magic))
            throw new InvalidDataException("Filter bank state: not a filter bank (no 'PFBK' header); the model package is inconsistent.");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        if (version != FormatVersion)
            throw new InvalidDataException(version > FormatVersion
                ? $"Filter bank state: format version {version} is newer than this library's {FormatVersion}; upgrade the library to load this model."
                : $"Filter bank state: format version {version} is unknown.");
        uint d = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]), k = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        if (d != expectedPatchLength || k != expectedCentroids)
            throw new InvalidDataException($"Filter bank state: D = {d}, K = {k}, but the spec says D = {expectedPatchLength}, K = {expectedCentroids}.");
        long expectedLength = HeaderSize + 4L * (d + (long)d * d + (long)k * d) + 32;
        if (bytes.Length != expectedLength)
            throw new InvalidDataException($"Filter bank state: {bytes.Length} bytes, expected {expectedLength} for D = {d}, K = {k} (truncated or padded).");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes[..^32], hash);
        if (!hash.SequenceEqual(bytes[^32..]))
            throw new InvalidDataException("Filter bank state: the SHA-256 does not match (corrupt bytes).");

        int offset = HeaderSize;
        static float[] Read(ReadOnlySpan<byte> source, ref int offset, long count)
        {
            var values = new float[count];
            for (long i = 0; i < count; i++, offset += 4) values[i] = BinaryPrimitives.ReadSingleLittleEndian(source[offset..]);
            return values;
        }
        float[] mean = Read(bytes, ref offset, d), whitening = Read(bytes, ref offset, (long)d * d), centroids = Read(bytes, ref offset, (long)k * d);
        foreach (float[] array in new[] { mean, whitening, centroids })
            foreach (float v in array)
                if (!float.IsFinite(v)) throw new InvalidDataException("Filter bank state: a value is not finite.");
        return new FilterBankState((int)d, (int)k, mean, whitening, centroids);
    }
}
