namespace Pipeline.Persistence;

/// <summary>
/// Bounds <see cref="ModelPackage.Load(string, ModelPackageLimits?)"/> enforces from the zip headers, before it
/// inflates anything. The defaults fit every backbone in the registry with room to spare.
/// </summary>
public sealed record ModelPackageLimits
{
    /// <summary>The defaults.</summary>
    public static ModelPackageLimits Default { get; } = new();

    /// <summary>The largest uncompressed entry, in bytes (default 1 GiB; at most <see cref="Array.MaxLength"/>).</summary>
    public long MaxEntryBytes { get; init; } = 1L << 30;

    /// <summary>The largest total of all uncompressed entries, in bytes (default 2 GiB).</summary>
    public long MaxTotalBytes { get; init; } = 2L << 30;

    /// <summary>The most entries an archive may hold (default 1024).</summary>
    public int MaxEntries { get; init; } = 1024;

    /// <summary>The largest manifest.json, in bytes (default 16 MiB).</summary>
    public int MaxManifestBytes { get; init; } = 16 << 20;

    /// <summary>
    /// The highest uncompressed:compressed ratio allowed for entries over 1 MiB (default 100). Deflate can reach about
    /// 1000:1 on constant data, which is how zip bombs work; weights and images compress far less than 100:1.
    /// </summary>
    public double MaxCompressionRatio { get; init; } = 100;

    internal void Validate()
    {
        if (MaxEntryBytes < 0 || MaxEntryBytes > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(MaxEntryBytes), MaxEntryBytes, $"must be between 0 and {Array.MaxLength}");
        if (MaxTotalBytes < 0) throw new ArgumentOutOfRangeException(nameof(MaxTotalBytes), MaxTotalBytes, "must not be negative");
        if (MaxEntries < 1) throw new ArgumentOutOfRangeException(nameof(MaxEntries), MaxEntries, "must be at least 1");
        if (MaxManifestBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxManifestBytes), MaxManifestBytes, "must be at least 1");
        if (!(MaxCompressionRatio >= 1)) throw new ArgumentOutOfRangeException(nameof(MaxCompressionRatio), MaxCompressionRatio, "must be at least 1");
    }
}
