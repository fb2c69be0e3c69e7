namespace Pipeline.Datasets;

/// <summary>A class as read from a folder, a manifest or code, before its files are sniffed.</summary>
/// <param name="Name">The label.</param>
/// <param name="Path">The class folder, or the manifest (or source description) for a class of rows.</param>
/// <param name="IsFolder">Whether <paramref name="Path"/> is the class's own folder.</param>
internal sealed record ClassSource(string Name, string Path, bool IsFolder)
{
    /// <summary>What was left out of the class before sniffing (unreadable subfolders, manifest rows whose file is missing), then what the sniff refuses.</summary>
    public List<ClassSummary.Item> LeftOut { get; } = [];

    /// <summary>Hidden files and folders (names starting with '.') in the class folder, not read.</summary>
    public int Hidden { get; set; }

    /// <summary>Why the class has no usable image when nothing of it was left out: it had no file at all.</summary>
    public string EmptyReason => !IsFolder ? "it has no file"
        : Hidden > 0 ? "its folder holds only hidden files or folders (names starting with '.'), which are not read"
        : "its folder holds no files";
}
