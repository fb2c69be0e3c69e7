using System.Security.Cryptography;
using System.Text;
using Pipeline.Persistence;

namespace Pipeline.Featurizers;

/// <summary>
/// Builds featurizer fingerprints: <c>&lt;kind&gt;-&lt;SHA-256 hex&gt;</c> over the kind, its algorithm version, the
/// library version (the kernels that compute the features change with it, and cached features must never outlive a
/// change in their last bit), and the parts that define the featurizer (spec JSON, learned state, backbone hash).
/// </summary>
internal static class FeaturizerFingerprint
{
    public static string Compute(string kind, int algorithmVersion, params ReadOnlySpan<ReadOnlyMemory<byte>> parts)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{kind}\0algorithm {algorithmVersion}\0library {ModelFormat.LibraryVersion}\0"));
        Span<byte> length = stackalloc byte[8];
        foreach (ReadOnlyMemory<byte> part in parts)
        {
            // Length-prefixed, so that moving bytes from one part to the next changes the fingerprint.
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(length, part.Length);
            hash.AppendData(length);
            hash.AppendData(part.Span);
        }
        return kind + "-" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
