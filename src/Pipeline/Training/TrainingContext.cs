namespace Pipeline.Training;

/// <summary>
/// How a training run executes and reports, as opposed to what it learns (<see cref="HeadOptions"/>): none of these
/// settings changes the resulting head's weights or predictions, not even by one bit.
/// </summary>
public sealed record TrainingContext
{
    /// <summary>Threads to use, the caller's included; 0 (default) means <see cref="Environment.ProcessorCount"/>;
    /// at most <see cref="Tensors.Parallelism.ThreadLimits.Max"/>.</summary>
    public int MaxThreads { get; init; }

    /// <summary>Receives one report per L-BFGS iteration or MLP epoch, on the training thread.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>Stops training between iterations or epochs with <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// The classes' names, by label index, for messages such as why calibration was skipped; null names classes by
    /// index.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    internal static TrainingContext Default { get; } = new();
}
