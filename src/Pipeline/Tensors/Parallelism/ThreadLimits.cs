namespace Pipeline.Tensors.Parallelism;

/// <summary>
/// The thread counts every options record accepts (<c>Threads</c> on trainer, network, featurizer and classifier
/// options): 0 for one per processor, or 1 to <see cref="Max"/>.
/// </summary>
public static class ThreadLimits
{
    /// <summary>
    /// The most threads one pool may start. Each thread reserves a stack and a scratch slot per kernel plan: tens of
    /// thousands abort the runtime or exhaust memory, and far fewer are already slower than one per core.
    /// </summary>
    public const int Max = 256;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/>, naming <paramref name="setting"/>, unless 0 ≤ <paramref name="threads"/> ≤ <see cref="Max"/>.</summary>
    /// <param name="threads">The requested count; 0 means one per processor.</param>
    /// <param name="setting">The setting's name as the caller wrote it, e.g. <c>TrainerOptions.Threads</c>.</param>
    public static void Validate(int threads, string setting)
    {
        if (threads is < 0 or > Max)
            throw new ArgumentOutOfRangeException(setting, threads, $"{setting} = {threads} is out of range: use 0 (one per processor) to {Max}.");
    }

    /// <summary>
    /// The threads a pool gets for a validated request: <paramref name="threads"/>, or one per processor for 0 (at most
    /// <see cref="Max"/>, which a pool refuses to exceed, so the default still works on a machine with more processors).
    /// </summary>
    internal static int Resolve(int threads) => threads > 0 ? threads : Math.Min(Environment.ProcessorCount, Max);
}
