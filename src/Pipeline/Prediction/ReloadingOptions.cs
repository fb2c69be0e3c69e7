namespace Pipeline.Prediction;

/// <summary>How a <see cref="ReloadingImageClassifier"/> watches and reloads its model file.</summary>
public sealed record ReloadingOptions
{
    /// <summary>The defaults: watch the file, reload 500 ms after the last change, and look at it every 5 s besides.</summary>
    public static ReloadingOptions Default { get; } = new();

    /// <summary>How each model is loaded (threads, decoder limits, backbone cache, warm-up before it serves).</summary>
    public ImageClassifierOptions Load { get; init; } = ImageClassifierOptions.Default;

    /// <summary>Watch the file for changes (default true). When false, only <see cref="ReloadingImageClassifier.Reload"/> reloads.</summary>
    public bool WatchForChanges { get; init; } = true;

    /// <summary>
    /// How long the file must stay unchanged before a reload (default 500 ms): a writer that saves in several steps is
    /// seen once, at the end. The trainer's saves are atomic renames, seen as one change.
    /// </summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How often the watched file's length, last write time and (on Linux) inode are compared with the last seen, besides
    /// the file watcher's events (default 5 s; <see cref="TimeSpan.Zero"/> turns it off). It costs one stat a time and
    /// catches what events miss: a folder above the model's replaced, a network file system, a lost watch.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Load, nameof(Load));
        Load.Validate();
        if (Debounce < TimeSpan.Zero || Debounce > TimeSpan.FromMinutes(10))
            throw new ArgumentOutOfRangeException(nameof(Debounce), Debounce, "The debounce must be between 0 and 10 minutes.");
        if (PollInterval != TimeSpan.Zero && (PollInterval < TimeSpan.FromMilliseconds(10) || PollInterval > TimeSpan.FromHours(1)))
            throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval, "The poll interval must be zero (off) or between 10 ms and 1 hour.");
    }
}
