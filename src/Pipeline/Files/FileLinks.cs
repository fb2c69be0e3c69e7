namespace Pipeline.Files;

/// <summary>
/// A symbolic link's own length and times are the link's (on Unix its length is the target's path text), so every
/// check of a file's size or stamp asks about the file a path finally names instead.
/// </summary>
internal static class FileLinks
{
    /// <summary>The file at <paramref name="path"/>, through any chain of links (a broken link's target, which does not exist).</summary>
    /// <exception cref="IOException">The links form a cycle.</exception>
    public static FileInfo Resolve(string path)
    {
        var file = new FileInfo(path);
        return file.LinkTarget is not null && file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target ? target : file;
    }
}
