using System.Security.Cryptography;

namespace Pipeline.Persistence;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the destination's folder (same file system,
/// so the rename is atomic), is flushed to disk, and is renamed over the destination. On any failure the temporary
/// file is deleted and the destination is untouched. A reader sees the old file or the new one, never a mix.
/// The folder itself is not fsynced (.NET has no API for it), so a power cut right after the rename may bring back
/// the old file; it never leaves a partial one.
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>; <paramref name="wrap"/> lets tests interpose on
    /// the stream. <paramref name="cancellation"/> is checked once more after the content is on disk: the rename is the
    /// last moment a cancelled save can still leave the destination as it was.
    /// </summary>
    /// <exception cref="IOException">Writing failed; the message names <paramref name="path"/>, not the temporary file.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable; the message names <paramref name="path"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was triggered before the rename.</exception>
    public static void Write(string path, Action<Stream> write, Func<Stream, Stream>? wrap = null, CancellationToken cancellation = default)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
        Directory.CreateDirectory(folder);
        string temp = TempPathFor(full);
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Stream target = wrap?.Invoke(file) ?? file;
                write(target);
                target.Flush();
                file.Flush(flushToDisk: true);
            }
            cancellation.ThrowIfCancellationRequested();
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            // The file system names the temporary file, which the caller never heard of: name the destination instead.
            string reason = e is UnauthorizedAccessException ? $"permission denied in {folder}" : e.Message.Replace(temp, "its temporary file", StringComparison.Ordinal);
            string message = $"{full}: could not be written ({reason}); the existing file, if any, is unchanged.";
            if (e is UnauthorizedAccessException) throw new UnauthorizedAccessException(message, e);
            throw new IOException(message, e);
        }
        catch
        {
            // Cancellation (OperationCanceledException) comes here too: a stopped save leaves no temporary file behind.
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>A fresh hidden name beside <paramref name="fullPath"/>: <c>.name.&lt;random&gt;.tmp</c>.</summary>
    public static string TempPathFor(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp");

    /// <summary>Deletes <paramref name="path"/> if it exists, ignoring failures (cleanup must not hide the original error).</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
