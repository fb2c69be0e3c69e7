namespace Trainer.Commands;

/// <summary>Checks on the model files a command is asked to write, before any work is spent.</summary>
internal static class ModelFiles
{
    /// <summary>The full path of <paramref name="path"/>, whose folder must exist and which must not be a folder.</summary>
    public static string RequireWritable(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("--out is empty: name the model file to write.");
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new ArgumentException($"--out {path}: is a folder; name a file such as {Path.Combine(path, "model.zip")}.");
        string? folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder)) throw new ArgumentException($"--out {path}: the folder {folder} does not exist.");
        return full;
    }
}
