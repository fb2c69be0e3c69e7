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
/// fail to decode are reported the same way by the trainer. Hidden files and folders (names starting with '.') are not
/// read at any depth of a folder: hidden folders are listed in <see cref="Excluded"/>, hidden files (.DS_Store, macOS's
/// ._ files) are not.
/// </para>
/// <para>
/// A class none of whose files can be used (all HEIC, say, or an empty folder) is not one of <see cref="Classes"/>: it
/// is listed in <see cref="UnusableClasses"/>, with why, and the trainer refuses the dataset, as it refuses a class
/// none of whose images decodes, rather than train a model that silently lacks it. To train on the other classes
/// anyway, say so with <see cref="WithoutUnusableClasses"/>.
/// </para>
/// <para>
/// The order is deterministic: classes in ordinal order of their names, samples in ordinal order of class, then path
/// (with '/' separators). So the same files give the same splits from the same seed, on any file system.
/// </para>
/// </summary>
public sealed class ImageDataset
{
    private const int ParallelSniffThreshold = 256;

    private ImageDataset(string source, IReadOnlyList<string> classes, IReadOnlyList<ImageSample> samples, IReadOnlyList<ExcludedFile> excluded,
        IReadOnlyList<UnusableClass> unusable, IReadOnlyList<UnusableClass> leftOut, IReadOnlyDictionary<string, IReadOnlyList<ClassSummary.Item>> excludedOfClass)
    {
        Source = source;
        Classes = classes;
        Samples = samples;
        Excluded = excluded;
        UnusableClasses = unusable;
        LeftOutClasses = leftOut;
        _excludedOfClass = excludedOfClass;
    }

    private readonly IReadOnlyDictionary<string, IReadOnlyList<ClassSummary.Item>> _excludedOfClass;

    /// <summary>The folder or manifest the dataset was read from (a full path), or a description for a list built in code.</summary>
    public string Source { get; }

    /// <summary>The class labels, in ordinal order; a sample's <see cref="ImageSample.Label"/> indexes into it.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The images, ordered by class and path.</summary>
    public IReadOnlyList<ImageSample> Samples { get; }

    /// <summary>Everything left out, with the reason, in the order found (a class with no usable image too, after its files).</summary>
    public IReadOnlyList<ExcludedFile> Excluded { get; }

    /// <summary>
    /// The classes of the data with no usable image (each file excluded, or none at all), in ordinal order; not in
    /// <see cref="Classes"/>. <see cref="Classification.ImageClassificationTrainer"/> refuses a dataset that has one
    /// (an <see cref="InvalidDatasetException"/> naming the class, its files and why), unless they were accepted as
    /// left out with <see cref="WithoutUnusableClasses"/>.
    /// </summary>
    public IReadOnlyList<UnusableClass> UnusableClasses { get; }

    /// <summary>The unusable classes <see cref="WithoutUnusableClasses"/> accepted as left out, so messages can still name them.</summary>
    internal IReadOnlyList<UnusableClass> LeftOutClasses { get; }

    /// <summary>The files of class <paramref name="name"/> (a usable one) that the reader left out, with why.</summary>
    internal IReadOnlyList<ClassSummary.Item> ExcludedOf(string name) => _excludedOfClass.TryGetValue(name, out IReadOnlyList<ClassSummary.Item>? items) ? items : [];

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
    /// after that folder. Files directly in <paramref name="folder"/> and hidden folders are excluded (listed); hidden
    /// files are skipped. A class folder with no usable image is listed in <see cref="UnusableClasses"/>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDatasetException">No class folder holds an image.</exception>
    public static ImageDataset FromFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"The dataset folder '{folder}' does not exist.");
        (List<ClassSource> classes, List<(string Path, int Label)> files, List<ExcludedFile> excluded) = FolderReader.Read(root);
        if (files.Count == 0 && classes.All(c => c.LeftOut.Count == 0))
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
        (List<(string Path, string Label)> rows, List<ExcludedFile> excluded, List<(ExcludedFile Row, string Label)> labelled) = ManifestReader.Read(path);
        (List<ClassSource> classes, List<(string Path, int Label)> files) = Number(path, rows, labelled);
        if (files.Count == 0)
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
        var labelled = new List<(ExcludedFile, string)>();
        foreach ((string path, string label) in files)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(path);
            if (Persistence.ModelPackage.ValidateLabel(label) is { } problem) throw new ArgumentException($"Label '{label}' of {path}: {problem}.", nameof(files));
            string full = Path.GetFullPath(path);
            if (!File.Exists(full))
            {
                var missing = new ExcludedFile(full, "the file does not exist");
                excluded.Add(missing);
                labelled.Add((missing, label));
            }
            else rows.Add((full, label));
        }
        (List<ClassSource> classes, List<(string Path, int Label)> numbered) = Number(source, rows, labelled);
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
        return new ImageDataset(Source, all.AsReadOnly(), Array.AsReadOnly(samples), Excluded, UnusableClasses, LeftOutClasses, _excludedOfClass);
    }

    /// <summary>
    /// This dataset with its <see cref="UnusableClasses"/> accepted as left out: the trainer then trains on the other
    /// classes instead of refusing the dataset, and the model does not know the classes left out. They stay listed in
    /// <see cref="Excluded"/>, and the trainer's result lists them there too.
    /// </summary>
    public ImageDataset WithoutUnusableClasses()
        => UnusableClasses.Count == 0 ? this
            : new ImageDataset(Source, Classes, Samples, Excluded, [], [.. LeftOutClasses, .. UnusableClasses], _excludedOfClass);

    /// <summary>The samples at <paramref name="indices"/> (in that order), with the same classes and exclusions.</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var samples = new ImageSample[indices.Count];
        for (int i = 0; i < samples.Length; i++) samples[i] = Samples[indices[i]];
        return new ImageDataset(Source, Classes, Array.AsReadOnly(samples), Excluded, UnusableClasses, LeftOutClasses, _excludedOfClass);
    }

    /// <summary>
    /// Labelled rows as class indices, the classes in ordinal order of their names; a label all of whose rows were left
    /// out (<paramref name="labelled"/>) is a class too, with no file.
    /// </summary>
    private static (List<ClassSource> Classes, List<(string Path, int Label)> Files) Number(string source, List<(string Path, string Label)> rows, List<(ExcludedFile Row, string Label)> labelled)
    {
        List<string> names = rows.Select(r => r.Label).Concat(labelled.Select(l => l.Label)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var classes = new List<ClassSource>(names.Count);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            index[name] = classes.Count;
            classes.Add(new ClassSource(name, source, IsFolder: false));
        }
        foreach ((ExcludedFile row, string label) in labelled) classes[index[label]].LeftOut.Add(new ClassSummary.Item(row.Path, row.Reason));
        var files = new List<(string Path, int Label)>(rows.Count);
        foreach ((string path, string label) in rows) files.Add((path, index[label]));
        return (classes, files);
    }

    /// <summary>Sniffs every file, sets the classes left without a usable image aside (listing them) and fixes the order.</summary>
    private static ImageDataset Build(string source, List<ClassSource> classes, List<(string Path, int Label)> files, List<ExcludedFile> excluded)
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
                classes[files[i].Label].LeftOut.Add(new ClassSummary.Item(files[i].Path, problems[i]!));
            }
        }

        // Classes without a single usable image are set aside, said why, and the rest renumbered, still in ordinal order.
        int unusableFiles = excluded.Count; // before the notes on the classes set aside join the list
        var newIndex = new int[classes.Count];
        var finalClasses = new List<string>(classes.Count);
        var unusable = new List<UnusableClass>();
        var excludedOfClass = new Dictionary<string, IReadOnlyList<ClassSummary.Item>>(StringComparer.Ordinal);
        for (int c = 0; c < classes.Count; c++)
        {
            ClassSource cls = classes[c];
            if (perClass[c] == 0)
            {
                newIndex[c] = -1;
                string reason = ClassSummary.Describe(cls.LeftOut, cls.EmptyReason, cls.IsFolder ? cls.Path : null);
                unusable.Add(new UnusableClass(cls.Name, cls.Path, cls.LeftOut.ConvertAll(i => new ExcludedFile(i.Path, i.Reason)).AsReadOnly(), reason));
                excluded.Add(new ExcludedFile(cls.Path, $"{ClassSummary.Refusal(cls.Name, reason)}; the class is left out"));
                continue;
            }
            if (cls.LeftOut.Count > 0) excludedOfClass[cls.Name] = cls.LeftOut.AsReadOnly();
            newIndex[c] = finalClasses.Count;
            finalClasses.Add(cls.Name);
        }
        if (finalClasses.Count == 0)
            throw new InvalidDatasetException(source, $"no readable image: {unusableFiles} file(s) excluded, the first: {Describe(excluded)}") { Excluded = excluded };

        var samples = new ImageSample[kept.Count];
        for (int i = 0; i < samples.Length; i++) samples[i] = new ImageSample(kept[i].Path, newIndex[kept[i].Label], kept[i].Format);
        // Classes are already in ordinal order (folders sorted, manifest labels sorted); order samples by class, then path.
        Array.Sort(samples, static (a, b) => a.Label != b.Label ? a.Label.CompareTo(b.Label) : string.CompareOrdinal(SortKey(a.Path), SortKey(b.Path)));
        return new ImageDataset(source, finalClasses.AsReadOnly(), Array.AsReadOnly(samples), new ReadOnlyCollection<ExcludedFile>(excluded),
            unusable.AsReadOnly(), [], excludedOfClass);
    }

    private static string SortKey(string path) => Path.DirectorySeparatorChar == '/' ? path : path.Replace('\\', '/');

    private static string Describe(List<ExcludedFile> excluded) => excluded.Count == 0 ? "none" : $"{excluded[0].Path}: {excluded[0].Reason}";
}
