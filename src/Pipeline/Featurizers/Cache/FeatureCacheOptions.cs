namespace Pipeline.Featurizers.Cache;

/// <summary>Settings of a <see cref="FeatureCache"/>.</summary>
public sealed record FeatureCacheOptions
{
    /// <summary>The defaults: a 2 GiB bound.</summary>
    public static FeatureCacheOptions Default { get; } = new();

    /// <summary>
    /// The most disk space the entries may take (file sizes rounded up to 4 KiB blocks). Past it, the least recently
    /// used entries are deleted until the cache is back under 90 % of the bound. Default 2 GiB.
    /// </summary>
    public long MaxBytes { get; init; } = 2L << 30;

    /// <summary>
    /// Only read the cache, for a folder the process may not or cannot write (shared, or on a read-only disk): hits are
    /// served, and nothing in the folder is created, changed or deleted (misses are not stored, a corrupt entry stays,
    /// access times are not refreshed, nothing is trimmed). Default false.
    /// </summary>
    public bool ReadOnly { get; init; }
}
