using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Featurizers.Cache;

/// <summary>
/// The key of a cached feature vector: SHA-256 over a domain tag, the SHA-256 of the image file's bytes and the
/// featurizer's fingerprint. A changed image or a changed featurizer gives a different key, so a stale entry is never
/// reused. The fingerprint must change whenever anything that affects the features changes: the backbone's SHA-256,
/// the tap, the pooling, the preprocessing and input size, and the version of the kernels that compute them.
/// </summary>
public readonly struct FeatureCacheKey : IEquatable<FeatureCacheKey>
{
    private static readonly byte[] Domain = "pipeline-feature-cache-key-v1\0"u8.ToArray();
    private readonly ulong _a, _b, _c, _d;

    private FeatureCacheKey(ReadOnlySpan<byte> hash)
    {
        _a = BinaryPrimitives.ReadUInt64BigEndian(hash);
        _b = BinaryPrimitives.ReadUInt64BigEndian(hash[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(hash[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(hash[24..]);
    }

    /// <summary>The key of the image file whose bytes are <paramref name="imageBytes"/>, featurized by <paramref name="featurizerFingerprint"/>.</summary>
    public static FeatureCacheKey Create(ReadOnlySpan<byte> imageBytes, string featurizerFingerprint)
    {
        Span<byte> imageHash = stackalloc byte[32];
        SHA256.HashData(imageBytes, imageHash);
        return FromImageSha256(imageHash, featurizerFingerprint);
    }

    /// <summary>The key from an image's SHA-256 (32 bytes), for callers that hashed the file already.</summary>
    public static FeatureCacheKey FromImageSha256(ReadOnlySpan<byte> imageSha256, string featurizerFingerprint)
    {
        if (imageSha256.Length != 32) throw new ArgumentException("A SHA-256 is 32 bytes.", nameof(imageSha256));
        ArgumentException.ThrowIfNullOrEmpty(featurizerFingerprint);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Domain);
        hash.AppendData(imageSha256);
        hash.AppendData(Encoding.UTF8.GetBytes(featurizerFingerprint));
        Span<byte> key = stackalloc byte[32];
        hash.GetHashAndReset(key);
        return new FeatureCacheKey(key);
    }

    /// <summary>Writes the key's 32 bytes to <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>The key as 64 lowercase hex digits (also the entry's file name).</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[32];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <inheritdoc/>
    public bool Equals(FeatureCacheKey other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is FeatureCacheKey other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => (int)_a;

    /// <summary>Equality.</summary>
    public static bool operator ==(FeatureCacheKey left, FeatureCacheKey right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(FeatureCacheKey left, FeatureCacheKey right) => !left.Equals(right);
}
