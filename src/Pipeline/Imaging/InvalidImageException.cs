namespace Pipeline.Imaging;

/// <summary>
/// The one exception every decoder throws for input it cannot or will not decode: corrupt, truncated,
/// unsupported or over the configured limits. The message names the file, the format, the byte offset and the reason.
/// </summary>
public sealed class InvalidImageException : PipelineException
{
    /// <summary>Creates the exception; <paramref name="offset"/> is -1 when no byte position applies.</summary>
    public InvalidImageException(string? file, ImageFormat format, long offset, string reason, Exception? inner = null)
        : base(Compose(file, format, offset, reason), reason, inner)
    {
        File = file;
        Format = format;
        Offset = offset;
    }

    /// <summary>The file's path, or null when decoding from memory or a stream without a name.</summary>
    public string? File { get; }

    /// <summary>The format being decoded (<see cref="ImageFormat.Unknown"/> when detection failed).</summary>
    public ImageFormat Format { get; }

    /// <summary>The byte offset at which the problem was found, or -1.</summary>
    public long Offset { get; }

    /// <summary>The message without the file: format, offset and reason, for a list that names each file itself.</summary>
    public string Detail => Describe(Format, Offset, Reason);

    /// <summary>A copy naming <paramref name="file"/>, for decoders that learn the file name only at the boundary.</summary>
    public InvalidImageException WithFile(string file) => new(file, Format, Offset, Reason, InnerException);

    private static string Compose(string? file, ImageFormat format, long offset, string reason)
        => $"{file ?? "<memory>"}: {Describe(format, offset, reason)}";

    private static string Describe(ImageFormat format, long offset, string reason)
    {
        if (format == ImageFormat.Unknown && offset <= 0) return reason; // nothing was decoded: no format, no position
        string at = offset >= 0 ? $" at byte {offset}" : string.Empty;
        return $"invalid {format} image{at}: {reason}";
    }
}
