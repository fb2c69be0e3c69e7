using Pipeline.Classification;

namespace Trainer.Commands;

/// <summary>
/// The feature cache is best effort: the library skips a cache it cannot write without a word, which hid a mistyped
/// <c>--cache</c> (a file, a read-only folder) for good. The trainer tries the folder once and says so; a folder it can
/// read but not write (a shared cache, a read-only disk) still serves the features already in it.
/// </summary>
internal static class CacheFolderCheck
{
    /// <summary>
    /// <paramref name="options"/> with the feature cache settings of <c>--cache</c> <paramref name="folder"/> and
    /// <c>--no-cache</c>: no cache with <c>--no-cache</c> or when <paramref name="folder"/> cannot be used, a read-only
    /// one when it can be read but not written, and the default folder, the library's to manage, when none is given.
    /// </summary>
    public static TrainerOptions Apply(TrainerOptions options, string? folder, bool noCache, CommandOutput output)
    {
        if (noCache && folder is not null)
            throw new ArgumentException($"--cache {folder} and --no-cache contradict each other; give one of them.");
        if (noCache) return options with { UseFeatureCache = false };
        if (folder is null) return options with { UseFeatureCache = true, FeatureCacheFolder = null };
        return Access(folder, output) switch
        {
            FileAccess.ReadWrite => options with { UseFeatureCache = true, FeatureCacheFolder = folder, FeatureCacheReadOnly = false },
            FileAccess.Read => options with { UseFeatureCache = true, FeatureCacheFolder = folder, FeatureCacheReadOnly = true },
            _ => options with { UseFeatureCache = false, FeatureCacheFolder = folder },
        };
    }

    /// <summary>
    /// What the run may do in <paramref name="folder"/> (created if missing): read and write, only read, or nothing
    /// (null). Less than read and write is named in one warning on stderr.
    /// </summary>
    private static FileAccess? Access(string folder, CommandOutput output)
    {
        if (File.Exists(folder))
        {
            output.Warning($"--cache {folder}: is a file, not a folder; features are not cached in this run.");
            return null;
        }
        if (FolderProbe.CannotWrite(folder, $".probe-{Guid.NewGuid():N}", create: true) is not { } reason) return FileAccess.ReadWrite;
        if (CanList(folder))
        {
            output.Warning($"--cache {folder}: cannot write there ({reason}); the cache is read-only in this run: hits are read, new features are not stored.");
            return FileAccess.Read;
        }
        output.Warning($"--cache {folder}: cannot write there ({reason}); features are not cached in this run.");
        return null;
    }

    private static bool CanList(string folder)
    {
        try
        {
            using IEnumerator<string> names = Directory.EnumerateFileSystemEntries(folder).GetEnumerator();
            names.MoveNext();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
