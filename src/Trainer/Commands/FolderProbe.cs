namespace Trainer.Commands;

/// <summary>
/// Permissions are only known for sure by trying: a probe file, created and deleted at once, finds a folder the run
/// cannot write before the work rather than after it.
/// </summary>
internal static class FolderProbe
{
    /// <summary>
    /// Null when a file named <paramref name="probeName"/> can be created in <paramref name="folder"/> (made first when
    /// <paramref name="create"/>); otherwise why not, in the user's terms (the probe's own path is not named).
    /// </summary>
    public static string? CannotWrite(string folder, string probeName, bool create = false)
    {
        string probe = Path.Combine(folder, probeName);
        try
        {
            if (create) Directory.CreateDirectory(folder);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose)) { }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e switch
            {
                UnauthorizedAccessException => "permission denied",
                // Some folders (/proc, /sys) exist yet answer a new file with "not found", which would name a file the
                // user never asked for.
                FileNotFoundException or DirectoryNotFoundException when Directory.Exists(folder) => "it takes no new files",
                _ => e.Message.Replace(probe, "a test file", StringComparison.Ordinal),
            };
        }
    }
}
