namespace Pipeline.Datasets;

/// <summary>
/// Reads a folder-per-class dataset: each first-level folder is a class named after it, read recursively; anything
/// else is listed as excluded. Hidden entries (names starting with '.') are not read at any depth: a hidden folder is
/// listed as excluded, a hidden file (.DS_Store, ._IMG_0001.jpg, Thumbs-like metadata) is skipped without a word.
/// Folders are walked in ordinal order, so the result never depends on the file system's enumeration order. Symbolic
/// links to folders are followed, each real folder at most once (no loops).
/// </summary>
internal static class FolderReader
{
    private const int MaxDepth = 64;
    private const string HiddenFolder = "hidden folder: not read";
    private const string HiddenFile = "hidden file: not read (its name starts with '.'; rename it to use it)";

    /// <summary>
    /// The class folders (an empty one too: the dataset reports it as a class with no usable image), their files, and
    /// what was left out, in the order found.
    /// </summary>
    public static (List<ClassSource> Classes, List<(string Path, int Label)> Files, List<ExcludedFile> Excluded) Read(string root)
    {
        var classes = new List<ClassSource>();
        var files = new List<(string, int)>();
        var excluded = new List<ExcludedFile>();
        var visited = new HashSet<string>(StringComparer.Ordinal) { RealPath(root) };

        var rootInfo = new DirectoryInfo(root);
        List<FileSystemInfo> entries = Sorted(rootInfo, root, excluded);
        // A class folder that is a link to another class folder is the alias, whatever the names' order: the real
        // folder keeps its own name.
        var realClassFolders = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (FileSystemInfo entry in entries)
            if (entry is DirectoryInfo { LinkTarget: null } real && !IsHidden(real) && Persistence.ModelPackage.ValidateLabel(real.Name) is null)
                realClassFolders.TryAdd(RealPath(real.FullName), real.Name);
        foreach (FileSystemInfo entry in entries)
        {
            if (entry is DirectoryInfo { LinkTarget: not null } link && realClassFolders.TryGetValue(RealPath(link.FullName), out string? target))
            {
                excluded.Add(new ExcludedFile(link.FullName, $"a link to the class folder '{target}': its images are read once, as class '{target}'"));
                continue;
            }
            if (entry is not DirectoryInfo folder)
            {
                if (!IsHidden(entry))
                    excluded.Add(new ExcludedFile(entry.FullName, "directly in the dataset folder: only files inside a class folder are read (the class is the first-level folder's name)"));
                continue;
            }
            if (IsHidden(folder))
            {
                excluded.Add(new ExcludedFile(folder.FullName, "hidden folder: not read as a class"));
                continue;
            }
            string? labelProblem = Persistence.ModelPackage.ValidateLabel(folder.Name);
            if (labelProblem is not null)
            {
                excluded.Add(new ExcludedFile(folder.FullName, $"the folder name cannot be a class label: {labelProblem}"));
                continue;
            }
            var source = new ClassSource(folder.Name, folder.FullName, IsFolder: true);
            int before = excluded.Count, hidden = 0;
            Walk(folder, RealPath(folder.FullName), classes.Count, files, excluded, visited, depth: 1, ref hidden);
            // What the walk left out (unreadable or repeated folders) is part of the class; hidden entries are not.
            for (int i = before; i < excluded.Count; i++)
                if (excluded[i].Reason != HiddenFolder) source.LeftOut.Add(new ClassSummary.Item(excluded[i].Path, excluded[i].Reason, IsFolder: true));
            source.Hidden = hidden;
            classes.Add(source);
        }
        return (classes, files, excluded);
    }

    /// <summary>
    /// Every file under <paramref name="folder"/>, recursively and in ordinal order, with no class structure (images to
    /// predict); hidden entries are skipped, unreadable folders and repeated links listed as excluded, as in <see cref="Read"/>.
    /// </summary>
    public static (List<string> Files, List<ExcludedFile> Excluded) ReadTree(string folder)
    {
        var files = new List<(string Path, int Label)>();
        var excluded = new List<ExcludedFile>();
        int hidden = 0;
        Walk(new DirectoryInfo(folder), RealPath(folder), 0, files, excluded, new HashSet<string>(StringComparer.Ordinal), depth: 0, ref hidden);
        return (files.ConvertAll(f => f.Path), excluded);
    }

    /// <summary>A name starting with '.': a hidden file or folder on Unix and macOS, as most tools skip it.</summary>
    private static bool IsHidden(FileSystemInfo entry) => entry.Name.StartsWith('.');

    private static bool IsSystemMetadata(FileSystemInfo entry)
        => entry.Name is ".DS_Store" or ".localized" or ".directory" || entry.Name.StartsWith("._", StringComparison.Ordinal);

    /// <summary>
    /// Reads <paramref name="folder"/>, whose real location (links resolved) is <paramref name="real"/>, unless it was
    /// read already; counts the hidden entries not read in <paramref name="hidden"/>.
    /// </summary>
    private static void Walk(DirectoryInfo folder, string real, int label, List<(string, int)> files, List<ExcludedFile> excluded, HashSet<string> visited, int depth, ref int hidden)
    {
        if (!visited.Add(real))
        {
            excluded.Add(new ExcludedFile(folder.FullName, "a link to a folder already read: not read twice"));
            return;
        }
        if (depth > MaxDepth)
        {
            excluded.Add(new ExcludedFile(folder.FullName, $"nested over {MaxDepth} folders deep: not read"));
            return;
        }
        foreach (FileSystemInfo entry in Sorted(folder, folder.FullName, excluded))
        {
            if (IsHidden(entry))
            {
                hidden++;
                // A hidden folder or file may hold images the user expects read: it is listed. Only the metadata that
                // desktops scatter in every folder (.DS_Store, AppleDouble ._ files) goes unmentioned.
                if (entry is DirectoryInfo) excluded.Add(new ExcludedFile(entry.FullName, HiddenFolder));
                else if (!IsSystemMetadata(entry)) excluded.Add(new ExcludedFile(entry.FullName, HiddenFile));
                continue;
            }
            if (entry is DirectoryInfo sub)
                Walk(sub, sub.LinkTarget is null ? Path.Combine(real, sub.Name) : RealPath(sub.FullName), label, files, excluded, visited, depth + 1, ref hidden);
            else files.Add((entry.FullName, label));
        }
    }

    /// <summary>The entries of <paramref name="folder"/> in ordinal order of name; an unreadable folder is listed as excluded.</summary>
    private static List<FileSystemInfo> Sorted(DirectoryInfo folder, string display, List<ExcludedFile> excluded)
    {
        var entries = new List<FileSystemInfo>();
        try
        {
            var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0, ReturnSpecialDirectories = false };
            foreach (FileSystemInfo entry in folder.EnumerateFileSystemInfos("*", options))
            {
                // A link to a folder enumerates as a file on some systems: ask the target.
                if (entry is FileInfo file && file.LinkTarget is not null && Directory.Exists(file.FullName))
                    entries.Add(new DirectoryInfo(file.FullName));
                else
                    entries.Add(entry);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            excluded.Add(new ExcludedFile(display, $"the folder cannot be read ({e.Message})"));
            return entries;
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return entries;
    }

    private static string RealPath(string path)
    {
        try
        {
            FileSystemInfo? target = Directory.ResolveLinkTarget(path, returnFinalTarget: true);
            return Path.TrimEndingDirectorySeparator(target?.FullName ?? Path.GetFullPath(path));
        }
        catch (IOException)
        {
            return Path.GetFullPath(path);
        }
    }
}
