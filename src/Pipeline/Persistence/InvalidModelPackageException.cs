namespace Pipeline.Persistence;

/// <summary>
/// The one exception <see cref="ModelPackage.Load(string, ModelPackageLimits?)"/> throws for a model.zip it will not
/// load: not a zip, corrupt, hostile (path traversal, oversized or over-compressed entries), a missing or invalid
/// manifest, a format version this library does not know, or an entry whose SHA-256 does not match the manifest.
/// The message names the file, the entry and the reason, and a hint where one helps.
/// </summary>
public sealed class InvalidModelPackageException : PipelineException
{
    /// <summary>Creates the exception. <paramref name="file"/>, <paramref name="entry"/> and <paramref name="hint"/> may be null.</summary>
    public InvalidModelPackageException(string reason, string? file = null, string? entry = null, string? hint = null, Exception? inner = null)
        : base(Compose(reason, file, entry, hint), reason, inner)
    {
        File = file;
        Entry = entry;
        Hint = hint;
    }

    /// <summary>The model file, or null when loading from a stream.</summary>
    public string? File { get; }

    /// <summary>The zip entry at fault (as stored, with unsafe characters escaped), or null when the whole file is.</summary>
    public string? Entry { get; }

    /// <summary>What the user can do about it, or null.</summary>
    public string? Hint { get; }

    /// <summary>A copy naming <paramref name="file"/>, for errors found below the layer that knows the file name.</summary>
    public InvalidModelPackageException WithFile(string file) => new(Reason, file, Entry, Hint, InnerException);

    private static string Compose(string reason, string? file, string? entry, string? hint)
    {
        var text = new System.Text.StringBuilder();
        text.Append(file ?? "<model package>");
        if (entry is not null) text.Append(": entry '").Append(entry).Append('\'');
        text.Append(": ").Append(reason);
        if (hint is not null)
        {
            // Reasons and hints are written as clauses without a full stop; the hint is a sentence of its own.
            text.Append(EndsSentence(reason) ? " Hint: " : ". Hint: ").Append(hint);
            if (!EndsSentence(hint)) text.Append('.');
        }
        return text.ToString();
    }

    private static bool EndsSentence(string text) => text.TrimEnd().EndsWith('.') || text.TrimEnd().EndsWith('!') || text.TrimEnd().EndsWith('?');
}
