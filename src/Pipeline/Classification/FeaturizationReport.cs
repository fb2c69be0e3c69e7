namespace Pipeline.Classification;

/// <summary>How featurizing a dataset went.</summary>
/// <param name="Images">Images featurized (from the cache or computed).</param>
/// <param name="CacheHits">Images whose features came from the feature cache.</param>
/// <param name="Computed">Images decoded and featurized.</param>
/// <param name="Elapsed">Wall-clock time, reading and decoding included.</param>
public sealed record FeaturizationReport(int Images, int CacheHits, int Computed, TimeSpan Elapsed)
{
    /// <summary>Images per second over the whole pass.</summary>
    public double ImagesPerSecond => Elapsed > TimeSpan.Zero ? Images / Elapsed.TotalSeconds : 0;
}
