namespace Pipeline.Datasets;

/// <summary>
/// The one exception of dataset loading for data that exists but cannot be used as a whole: a folder with no class
/// folders, a manifest that is not valid CSV/TSV or names no path and label columns, a dataset with no images. Single
/// bad files are not errors: they are listed in <see cref="ImageDataset.Excluded"/>. The message names the file and,
/// for a manifest, the line.
/// </summary>
public sealed class InvalidDatasetException : PipelineException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The dataset folder or manifest file.</param>
    /// <param name="reason">What is wrong.</param>
    /// <param name="line">The manifest line (1-based) at fault, or 0.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public InvalidDatasetException(string source, string reason, long line = 0, Exception? inner = null)
        : base($"{source}{(line > 0 ? $" (line {line})" : "")}: {reason}", reason, inner)
    {
        DatasetPath = source;
        Line = line;
    }

    /// <summary>The dataset folder or manifest file.</summary>
    public string DatasetPath { get; }

    /// <summary>The manifest line (1-based) at fault, or 0.</summary>
    public long Line { get; }

    /// <summary>The files (and classes) left out before the data was found unusable, all of them: often the thing to fix.</summary>
    public IReadOnlyList<ExcludedFile> Excluded { get; init; } = [];
}
