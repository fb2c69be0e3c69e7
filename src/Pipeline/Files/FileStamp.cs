using System.Runtime.InteropServices;

namespace Pipeline.Files;

/// <summary>
/// What a file looks like without reading it: length, last write and, on Linux, inode. Two stamps that differ mean the
/// file was (very likely) changed or replaced; a watcher that lost track of a path compares them to notice anyway.
/// The inode is what tells a file renamed into place with the same length and an old write time (<c>cp -p</c>, an
/// unpacked archive) from the one it replaced.
/// </summary>
internal sealed partial record FileStamp(long Length, DateTime LastWriteUtc, ulong Inode)
{
    /// <summary>The stamp of the file at <paramref name="path"/> (of a link's final target), or null when there is none to read.</summary>
    public static FileStamp? Of(string path)
    {
        try
        {
            FileInfo file = FileLinks.Resolve(path);
            return file.Exists ? new FileStamp(file.Length, file.LastWriteTimeUtc, InodeOf(file.FullName)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // a link cycle or an unreadable folder: as good as missing until it changes
        }
    }

    /// <summary>The file's inode, following links; 0 where it cannot be had (not Linux, an old C library).</summary>
    private static ulong InodeOf(string path)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        try
        {
            // statx's buffer has one layout on every architecture, unlike stat's: the inode is the u64 at byte 32.
            Span<byte> buffer = stackalloc byte[256];
            return Statx(AtCurrentFolder, path, flags: 0, StatxInode, ref MemoryMarshal.GetReference(buffer)) == 0
                ? BitConverter.ToUInt64(buffer[32..40])
                : 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    private const int AtCurrentFolder = -100; // AT_FDCWD: a relative path would be taken from the working folder
    private const uint StatxInode = 0x100; // STATX_INO

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int folder, string path, int flags, uint mask, ref byte buffer);
}
