namespace Pipeline.Datasets;

/// <summary>A class as read from a folder, a manifest or code, before its files are sniffed.</summary>
/// <param name="Name">The label.</param>
/// <param name="Path">The class folder, or the manifest (or source description) for a class of rows.</param>
/// <param name="IsFolder">Whether <paramref name="Path"/> is the class's own folder.</param>
internal sealed record ClassSource(string Name, string Path, bool IsFolder)
{
    /// <summary>What was left out of the class before sniffing (unreadable subfolders, manifest rows whose file is missing), then what the sniff refuses.</summary>
    public List<ClassSummary.Item> LeftOut { get; } = [];

    /// <summary>Why the class has no usable image when nothing of it was left out: it had no file at all.</summary>
    public string EmptyReason => IsFolder ? "its folder holds no files" : "it has no file";
}
