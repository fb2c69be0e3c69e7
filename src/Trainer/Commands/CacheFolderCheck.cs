namespace Trainer.Commands;

/// <summary>
/// The feature cache is best effort: the library skips a cache it cannot write without a word, which hid a mistyped
/// <c>--cache</c> (a file, a read-only folder) for good. The trainer tries the folder once and says so.
/// </summary>
internal static class CacheFolderCheck
{
    /// <summary>
    /// True when <paramref name="folder"/> (created if missing) takes a new file; otherwise warns once on stderr, naming
    /// it, and returns false so the run goes without the cache.
    /// </summary>
    public static bool Usable(string folder, CommandOutput output)
    {
        if (File.Exists(folder))
        {
            output.Warning($"--cache {folder}: is a file, not a folder; features are not cached in this run.");
            return false;
        }
        string probe = Path.Combine(folder, $".probe-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(folder);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose)) { }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = e is UnauthorizedAccessException ? "permission denied" : e.Message.Replace(probe, "a test file", StringComparison.Ordinal);
            output.Warning($"--cache {folder}: cannot write there ({reason}); features are not cached in this run.");
            return false;
        }
    }
}
