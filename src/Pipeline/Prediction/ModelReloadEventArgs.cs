namespace Pipeline.Prediction;

/// <summary>A new model file was loaded and is now serving predictions.</summary>
public sealed class ModelReloadedEventArgs(string path, int generation, string sha256) : EventArgs
{
    /// <summary>The model file.</summary>
    public string Path { get; } = path;

    /// <summary>How many models have served, this one included (1 is the model loaded at construction).</summary>
    public int Generation { get; } = generation;

    /// <summary>The SHA-256 of the file that was loaded.</summary>
    public string Sha256 { get; } = sha256;
}

/// <summary>A changed model file could not be loaded; the previous model keeps serving.</summary>
public sealed class ModelReloadFailedEventArgs(string path, Exception error) : EventArgs
{
    /// <summary>The model file.</summary>
    public string Path { get; } = path;

    /// <summary>Why it could not be loaded: usually an <see cref="Persistence.InvalidModelPackageException"/> or an <see cref="IOException"/>.</summary>
    public Exception Error { get; } = error;
}
