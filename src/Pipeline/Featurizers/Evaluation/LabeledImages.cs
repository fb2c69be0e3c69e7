namespace Pipeline.Featurizers.Evaluation;

/// <summary>
/// A folder-per-class image set for the evaluation harness: every file under each first-level folder, recursively,
/// labelled with that folder's name. Classes and files are in ordinal order, so a seed means the same folds
/// everywhere. (The trainer's data loading, with manifests and loud exclusion of unreadable files, is a separate component.)
/// </summary>
internal sealed record LabeledImages(string[] Paths, int[] Labels, string[] Classes)
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    public int Count => Paths.Length;

    public static LabeledImages FromFolder(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"'{root}' is not a folder.");
        string[] classes = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        var paths = new List<string>();
        var labels = new List<int>();
        for (int c = 0; c < classes.Length; c++)
        {
            foreach (string file in Directory.GetFiles(Path.Combine(root, classes[c]), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (!ImageExtensions.Contains(Path.GetExtension(file).ToLowerInvariant())) continue;
                paths.Add(file);
                labels.Add(c);
            }
        }
        return new LabeledImages([.. paths], [.. labels], classes);
    }

    /// <summary>The rows at <paramref name="indices"/>.</summary>
    public LabeledImages Subset(IReadOnlyList<int> indices)
        => new(indices.Select(i => Paths[i]).ToArray(), indices.Select(i => Labels[i]).ToArray(), Classes);
}
