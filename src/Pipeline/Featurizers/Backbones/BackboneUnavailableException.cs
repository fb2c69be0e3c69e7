namespace Pipeline.Featurizers.Backbones;

/// <summary>
/// The one exception of backbone resolution: a name that is neither a file nor a registry entry, a file that is not a
/// model, or a download that failed (offline, HTTP error, wrong size or SHA-256). For a registry backbone the message
/// says exactly which URL to fetch by hand, where to put the file, and its expected size and SHA-256.
/// </summary>
public sealed class BackboneUnavailableException : PipelineException
{
    /// <summary>Creates the exception for something that is not a registry download (a missing or unrecognised file).</summary>
    public BackboneUnavailableException(string nameOrPath, string reason, Exception? inner = null)
        : base(reason, reason, inner)
    {
        Backbone = nameOrPath;
    }

    /// <summary>Creates the exception for a registry backbone that could not be downloaded or verified.</summary>
    public BackboneUnavailableException(BackboneEntry entry, string expectedPath, string reason, Exception? inner = null)
        : base(ComposeDownload(entry, expectedPath, reason), reason, inner)
    {
        Backbone = entry.Name;
        Url = entry.Url;
        ExpectedPath = expectedPath;
        Sha256 = entry.Sha256;
        Size = entry.Size;
    }

    /// <summary>The name or path that was asked for.</summary>
    public string Backbone { get; }

    /// <summary>The URL to download by hand, for a registry backbone.</summary>
    public Uri? Url { get; }

    /// <summary>Where the downloaded file must be saved, for a registry backbone.</summary>
    public string? ExpectedPath { get; }

    /// <summary>The file's expected SHA-256, for a registry backbone.</summary>
    public string? Sha256 { get; }

    /// <summary>The file's expected size in bytes, for a registry backbone, else 0.</summary>
    public long Size { get; }

    private static string ComposeDownload(BackboneEntry entry, string expectedPath, string reason) =>
        $"Backbone '{entry.Name}' is not available: {reason}{Environment.NewLine}"
        + $"To install it by hand, download{Environment.NewLine}"
        + $"  {entry.Url}{Environment.NewLine}"
        + $"and save it as{Environment.NewLine}"
        + $"  {expectedPath}{Environment.NewLine}"
        + $"({entry.Size} bytes, SHA-256 {entry.Sha256}).";
}
