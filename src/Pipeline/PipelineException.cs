namespace Pipeline;

/// <summary>
/// The base of the library's typed errors for input it cannot use: an image (<see cref="Imaging.InvalidImageException"/>),
/// a dataset (<see cref="Datasets.InvalidDatasetException"/>), a network file (<see cref="Graph.InvalidModelException"/>),
/// a model.zip (<see cref="Persistence.InvalidModelPackageException"/>) or a backbone that cannot be found or downloaded
/// (<see cref="Featurizers.Backbones.BackboneUnavailableException"/>, network failures of a download included). Catch it
/// to handle all of them in one place; argument errors, file I/O errors and cancellation are not among them.
/// </summary>
public abstract class PipelineException : Exception
{
    /// <summary>Creates the exception with its full <paramref name="message"/> and the bare <paramref name="reason"/>.</summary>
    private protected PipelineException(string message, string reason, Exception? inner)
        : base(message, inner)
    {
        Reason = reason;
    }

    /// <summary>What was wrong, without the file, position or hint that <see cref="Exception.Message"/> adds.</summary>
    public string Reason { get; }
}
