using System.Collections.ObjectModel;
using Pipeline.Imaging;

namespace Pipeline.Datasets;

/// <summary>
/// A labelled set of image files: a folder per class (<see cref="FromFolder"/>), a CSV/TSV manifest
/// (<see cref="FromManifest"/>), or a list built in code (<see cref="FromFiles"/>).
/// <para>
/// Every file's format is sniffed from its first bytes (never its extension). Files that cannot be used (unreadable,
/// empty, not JPEG/PNG/BMP/GIF/WebP, outside a class folder, a manifest row without a label or whose file is missing) are
/// never skipped silently: they are listed in <see cref="Excluded"/> with the reason. Images that pass the sniff but
/// fail to decode are reported the same way by the trainer.
/// </para>
/// <para>
/// The order is deterministic: classes in ordinal order of their names, samples in ordinal order of class, then path
/// (with '/' separators). So the same files give the same splits from the same seed, on any file system.
/// </para>
/// </summary>
public sealed class ImageDataset
{
    private const int ParallelSniffThreshold = 256;

    private ImageDataset(string source, IReadOnlyList<string> classes, IReadOnlyList<ImageSample> samples, IReadOnlyList<ExcludedFile> excluded)
    {
        Source = source;
        Classes = classes;
        Samples = samples;
        Excluded = excluded;
    }

    /// <summary>The folder or manifest the dataset was read from (a full path), or a description for a list built in code.</summary>
    public string Source { get; }

    /// <summary>The class labels, in ordinal order; a sample's <see cref="ImageSample.Label"/> indexes into it.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The images, ordered by class and path.</summary>
    public IReadOnlyList<ImageSample> Samples { get; }

    /// <summary>Everything left out, with the reason, in the order found.</summary>
    public IReadOnlyList<ExcludedFile> Excluded { get; }

    /// <summary>The number of images.</summary>
    public int Count => Samples.Count;

    /// <summary>
    /// Reads <paramref name="folderOrManifest"/>: a folder per class when it is a folder, a CSV/TSV manifest when it is a file.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    /// <exception cref="InvalidDatasetException">The folder or manifest holds no usable image, or the manifest is not valid CSV.</exception>
    public static ImageDataset Load(string folderOrManifest)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folderOrManifest);
        if (Directory.Exists(folderOrManifest)) return FromFolder(folderOrManifest);
        if (File.Exists(folderOrManifest)) return FromManifest(folderOrManifest);
        throw new FileNotFoundException($"The dataset '{folderOrManifest}' does not exist: give a folder with one subfolder per class, or a CSV/TSV manifest of path,label rows.", folderOrManifest);
    }

    /// <summary>
    /// Reads a folder per class: every file under each first-level folder, recursively, is an image of the class named
    /// after that folder. Files directly in <paramref name="folder"/> and hidden first-level folders are excluded (listed).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDatasetException">No class folder holds an image.</exception>
    public static ImageDataset FromFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"The dataset folder '{folder}' does not exist.");
        (List<string> classes, List<(string Path, int Label)> files, List<ExcludedFile> excluded) = FolderReader.Read(root);
        if (classes.Count == 0)
            throw new InvalidDatasetException(root, "no class folders with files: put the images of each class in a subfolder named after the class (e.g. data/cats/1.jpg, data/dogs/2.jpg)") { Excluded = excluded };
        return Build(root, classes, files, excluded);
    }

    /// <summary>
    /// Reads a CSV or TSV manifest of path,label rows (header optional, quoted fields allowed, paths relative to the
    /// manifest's folder). Rows that cannot be used are excluded with their line number.
    /// </summary>
    /// <exception cref="FileNotFoundException">The manifest does not exist.</exception>
    /// <exception cref="InvalidDatasetException">The file is not valid CSV/TSV, or lists no usable image.</exception>
    public static ImageDataset FromManifest(string manifest)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(manifest);
        string path = Path.GetFullPath(manifest);
        if (!File.Exists(path)) throw new FileNotFoundException($"The manifest '{manifest}' does not exist.", path);
        (List<(string Path, string Label)> rows, List<ExcludedFile> excluded) = ManifestReader.Read(path);
        (List<string> classes, List<(string Path, int Label)> files) = Number(rows);
        if (classes.Count == 0)
            throw new InvalidDatasetException(path, "the manifest lists no usable image: each row needs an existing image file and a label (path,label)"
                + (excluded.Count > 0 ? $"; {excluded.Count} row(s) left out, the first: {Describe(excluded)}" : "")) { Excluded = excluded };
        return Build(path, classes, files, excluded);
    }

    /// <summary>A dataset from files and labels given in code; the classes are the distinct labels in ordinal order.</summary>
    /// <param name="files">Image paths (relative to the current folder or absolute) and their labels.</param>
    /// <param name="source">A description for messages (default "files").</param>
    /// <exception cref="ArgumentException">A label is empty or holds control characters.</exception>
    public static ImageDataset FromFiles(IEnumerable<(string Path, string Label)> files, string source = "files")
    {
        ArgumentNullException.ThrowIfNull(files);
        var rows = new List<(string Path, string Label)>();
        var excluded = new List<ExcludedFile>();
        foreach ((string path, string label) in files)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(path);
            if (Persistence.ModelPackage.ValidateLabel(label) is { } problem) throw new ArgumentException($"Label '{label}' of {path}: {problem}.", nameof(files));
            string full = Path.GetFullPath(path);
            if (!File.Exists(full)) excluded.Add(new ExcludedFile(full, "the file does not exist"));
            else rows.Add((full, label));
        }
        (List<string> classes, List<(string Path, int Label)> numbered) = Number(rows);
        return Build(source, classes, numbered, excluded);
    }

    /// <summary>The number of images of each class.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[Classes.Count];
        foreach (ImageSample sample in Samples) counts[sample.Label]++;
        return counts;
    }

    /// <summary>The labels of the samples, in order.</summary>
    public int[] Labels()
    {
        var labels = new int[Samples.Count];
        for (int i = 0; i < labels.Length; i++) labels[i] = Samples[i].Label;
        return labels;
    }

    /// <summary>
    /// This dataset's samples with labels renumbered to <paramref name="classes"/> (e.g. a model's labels): a class
    /// not in the list gets an index ≥ <c>classes.Count</c>, in ordinal order, and is appended to the result's classes.
    /// </summary>
    public ImageDataset WithClasses(IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var all = new List<string>(classes);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < all.Count; c++)
        {
            if (!index.TryAdd(all[c], c)) throw new ArgumentException($"Class '{all[c]}' appears twice.", nameof(classes));
        }
        foreach (string name in Classes)
        {
            if (index.TryAdd(name, all.Count)) all.Add(name);
        }
        var samples = new ImageSample[Samples.Count];
        for (int i = 0; i < samples.Length; i++) samples[i] = Samples[i] with { Label = index[Classes[Samples[i].Label]] };
        return new ImageDataset(Source, all.AsReadOnly(), Array.AsReadOnly(samples), Excluded);
    }

    /// <summary>The samples at <paramref name="indices"/> (in that order), with the same classes and exclusions.</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var samples = new ImageSample[indices.Count];
        for (int i = 0; i < samples.Length; i++) samples[i] = Samples[indices[i]];
        return new ImageDataset(Source, Classes, Array.AsReadOnly(samples), Excluded);
    }

    /// <summary>Labelled rows as class indices, the classes in ordinal order of their names.</summary>
    private static (List<string> Classes, List<(string Path, int Label)> Files) Number(List<(string Path, string Label)> rows)
    {
        var classes = rows.Select(r => r.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < classes.Count; c++) index[classes[c]] = c;
        var files = new List<(string Path, int Label)>(rows.Count);
        foreach ((string path, string label) in rows) files.Add((path, index[label]));
        return (classes, files);
    }

    /// <summary>Sniffs every file, drops the classes left without images (listing them) and fixes the order.</summary>
    private static ImageDataset Build(string source, List<string> classes, List<(string Path, int Label)> files, List<ExcludedFile> excluded)
    {
        var formats = new ImageFormat?[files.Count];
        var problems = new string?[files.Count];
        if (files.Count >= ParallelSniffThreshold)
            Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(8, Environment.ProcessorCount * 2) },
                i => formats[i] = FormatSniffer.Sniff(files[i].Path, out problems[i]));
        else
            for (int i = 0; i < files.Count; i++) formats[i] = FormatSniffer.Sniff(files[i].Path, out problems[i]);

        var perClass = new int[classes.Count];
        var kept = new List<(string Path, int Label, ImageFormat Format)>(files.Count);
        for (int i = 0; i < files.Count; i++)
        {
            if (formats[i] is { } format)
            {
                kept.Add((files[i].Path, files[i].Label, format));
                perClass[files[i].Label]++;
            }
            else
            {
                excluded.Add(new ExcludedFile(files[i].Path, problems[i]!));
            }
        }

        // Classes without a single image are dropped and the rest renumbered, still in ordinal order.
        int unusableFiles = excluded.Count; // before the notes on left-out classes join the list
        var newIndex = new int[classes.Count];
        var finalClasses = new List<string>(classes.Count);
        for (int c = 0; c < classes.Count; c++)
        {
            if (perClass[c] == 0)
            {
                newIndex[c] = -1;
                excluded.Add(new ExcludedFile(source, $"class '{classes[c]}' has no readable image: the class is left out"));
                continue;
            }
            newIndex[c] = finalClasses.Count;
            finalClasses.Add(classes[c]);
        }
        if (finalClasses.Count == 0)
            throw new InvalidDatasetException(source, $"no readable image: {unusableFiles} file(s) excluded, the first: {Describe(excluded)}") { Excluded = excluded };

        var samples = new ImageSample[kept.Count];
        for (int i = 0; i < samples.Length; i++) samples[i] = new ImageSample(kept[i].Path, newIndex[kept[i].Label], kept[i].Format);
        // Classes are already in ordinal order (folders sorted, manifest labels sorted); order samples by class, then path.
        Array.Sort(samples, static (a, b) => a.Label != b.Label ? a.Label.CompareTo(b.Label) : string.CompareOrdinal(SortKey(a.Path), SortKey(b.Path)));
        return new ImageDataset(source, finalClasses.AsReadOnly(), Array.AsReadOnly(samples), new ReadOnlyCollection<ExcludedFile>(excluded));
    }

    private static string SortKey(string path) => Path.DirectorySeparatorChar == '/' ? path : path.Replace('\\', '/');

    private static string Describe(List<ExcludedFile> excluded) => excluded.Count == 0 ? "none" : $"{excluded[0].Path}: {excluded[0].Reason}";
}
