namespace Trainer.Commands;

/// <summary>
/// The feature cache is best effort: the library skips a cache it cannot write without a word, which hid a mistyped
/// <c>--cache</c> (a file, a read-only folder) for good. The trainer tries the folder once and says so.
/// </summary>
internal static class CacheFolderCheck
{
    /// <summary>
    /// Whether a run uses the feature cache: not with <c>--no-cache</c>, and a <c>--cache</c> <paramref name="folder"/>
    /// only when it is <see cref="Usable"/> (the default folder is the library's to manage).
    /// </summary>
    public static bool UseCache(string? folder, bool noCache, CommandOutput output) => !noCache && (folder is null || Usable(folder, output));

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
        if (FolderProbe.CannotWrite(folder, $".probe-{Guid.NewGuid():N}", create: true) is not { } reason) return true;
        output.Warning($"--cache {folder}: cannot write there ({reason}); features are not cached in this run.");
        return false;
    }
}
