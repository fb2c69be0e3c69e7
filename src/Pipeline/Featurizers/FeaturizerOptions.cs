namespace Pipeline.Featurizers;

/// <summary>How a featurizer runs; none of these settings changes the features it computes.</summary>
public sealed record FeaturizerOptions
{
    /// <summary>The defaults: every processor, batches of 8.</summary>
    public static FeaturizerOptions Default { get; } = new();

    /// <summary>Threads to use, the caller's included; 0 (default) means one per processor; at most <see cref="Tensors.Parallelism.ThreadLimits.Max"/>.</summary>
    public int Threads { get; init; }

    /// <summary>Images handed to the featurizer at a time (default 8): the unit of decoding ahead, progress and cache writes. A backbone still runs one image per call, spread over the threads.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a thread count outside 0 to <see cref="Tensors.Parallelism.ThreadLimits.Max"/> or a batch size outside 1 to 256.</summary>
    public void Validate()
    {
        Tensors.Parallelism.ThreadLimits.Validate(Threads, "FeaturizerOptions.Threads");
        if (BatchSize is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be 1 to 256.");
    }
}
