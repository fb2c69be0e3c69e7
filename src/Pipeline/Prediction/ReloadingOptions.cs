namespace Pipeline.Prediction;

/// <summary>How a <see cref="ReloadingImageClassifier"/> watches and reloads its model file.</summary>
public sealed record ReloadingOptions
{
    /// <summary>The defaults: watch the file, reload 500 ms after the last change.</summary>
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

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Load, nameof(Load));
        Load.Validate();
        if (Debounce < TimeSpan.Zero || Debounce > TimeSpan.FromMinutes(10))
            throw new ArgumentOutOfRangeException(nameof(Debounce), Debounce, "The debounce must be between 0 and 10 minutes.");
    }
}
