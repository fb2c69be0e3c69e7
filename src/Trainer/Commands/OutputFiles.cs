using Pipeline.Datasets;
using Pipeline.Imaging;
using Pipeline.Persistence;

namespace Trainer.Commands;

/// <summary>
/// Checks on the file a command is asked to write (<c>--out</c>), made before any work is spent: the folder exists
/// and is writable, the file is not one of the command's inputs, and an existing file is replaced only when it is the
/// kind of file the command writes. A mistyped --out must never cost the user a file.
/// </summary>
internal static class OutputFiles
{
    /// <summary>Same-file comparisons follow the platform: Windows and macOS file systems ignore case by default.</summary>
    private static StringComparison PathComparison { get; } =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>
    /// The full path of the model.zip to write at <paramref name="path"/>; an existing file there must be a model.zip
    /// and must not be any of <paramref name="inputs"/> (option name, path; null paths are skipped).
    /// </summary>
    public static string RequireModel(string path, params (string Option, string? Path)[] inputs)
    {
        string full = RequireWritable(path, Path.Combine(path, "model.zip"), inputs);
        if (new FileInfo(full) is { LinkTarget: { } target } && File.ResolveLinkTarget(full, returnFinalTarget: true) is { Exists: false })
            throw CommandFailureException.BadFile("--out", path, $"is a link to a missing file ({target}); name a new file, or remove the link.");
        if (File.Exists(full) && !ModelFormat.IsModelPackageFile(full))
            throw CommandFailureException.BadFile("--out", path, $"the file exists and is not a model.zip; refusing to replace it. Name a new file, or delete it first.");
        return full;
    }

    /// <summary>
    /// The full path of the PNG to write at <paramref name="path"/>: it must end in .png, and an existing file there must
    /// be a PNG and must not be any of <paramref name="inputs"/>.
    /// </summary>
    public static string RequirePng(string path, string suggestedName, params (string Option, string? Path)[] inputs)
    {
        string full = RequireWritable(path, Path.Combine(path, suggestedName), inputs);
        if (!string.Equals(Path.GetExtension(full), ".png", StringComparison.OrdinalIgnoreCase))
            throw CommandFailureException.BadFile("--out", path, $"preview writes PNG data; name the file with a .png extension.");
        if (File.Exists(full) && !IsPng(full))
            throw CommandFailureException.BadFile("--out", path, $"the file exists and is not a PNG; refusing to replace it. Name a new file, or delete it first.");
        return full;
    }

    /// <summary>
    /// Runs <paramref name="save"/> on <paramref name="target"/>, reporting a failure (a full disk, a folder made
    /// read-only meanwhile) as one about <c>--out</c>, exit 2.
    /// </summary>
    public static void Save(string target, Action<string> save)
    {
        try
        {
            save(target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The library's message already names the file; the reason is what follows it.
            string reason = e.Message.StartsWith(target + ": ", StringComparison.Ordinal) ? e.Message[(target.Length + 2)..] : e.Message;
            throw CommandFailureException.BadFile("--out", target, reason, e);
        }
    }

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> name the same file (after links are followed).</summary>
    public static bool SameFile(string a, string b) => string.Equals(Canonical(a), Canonical(b), PathComparison);

    private static string RequireWritable(string path, string suggestion, (string Option, string? Path)[] inputs)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw CommandFailureException.BadFile("--out", path, $"is a folder; name a file such as {suggestion}.");
        string? folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder)) throw CommandFailureException.BadFile("--out", path, $"the folder {folder} does not exist.");
        foreach ((string option, string? input) in inputs)
            if (!string.IsNullOrEmpty(input) && File.Exists(input) && SameFile(full, input))
                throw CommandFailureException.BadFile("--out", path, $"is the same file as {option} {input}; writing it would destroy the input. Name another file.");
        RequireWritableFolder(path, folder ?? Path.GetPathRoot(full)!);
        return full;
    }

    private static void RequireWritableFolder(string path, string folder)
    {
        if (FolderProbe.CannotWrite(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.probe") is { } reason)
            throw CommandFailureException.BadFile("--out", path, $"cannot write in the folder {folder} ({reason}).");
    }

    private static string Canonical(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full;
        }
    }

    private static bool IsPng(string path) => FormatSniffer.Sniff(path, out _) == ImageFormat.Png;
}
