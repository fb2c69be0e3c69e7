namespace Pipeline.Featurizers.Backbones;

/// <summary>How <see cref="BackboneStore"/> downloads: retries, back-off and time limits.</summary>
public sealed record BackboneDownloadOptions
{
    /// <summary>The defaults: 5 attempts, back-off from 1 s doubling up to 30 s, 60 s stall limit, 30 min lock wait.</summary>
    public static BackboneDownloadOptions Default { get; } = new();

    /// <summary>Attempts before giving up (each resumes where the previous one stopped when the server allows).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The wait after the first failed attempt; it doubles after each further one (with ±20 % jitter).</summary>
    public TimeSpan InitialRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts, including a server's Retry-After.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>An attempt fails when no response or no data arrives for this long.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long to wait for another process that is downloading the same file.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(30);

    internal void Validate()
    {
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "must be at least 1");
        if (InitialRetryDelay < TimeSpan.Zero || MaxRetryDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(InitialRetryDelay), "delays must not be negative");
        if (StallTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(StallTimeout), StallTimeout, "must be positive");
        if (LockTimeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(LockTimeout), LockTimeout, "must not be negative");
    }
}
