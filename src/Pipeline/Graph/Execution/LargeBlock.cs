using System.Runtime.InteropServices;

namespace Pipeline.Graph.Execution;

/// <summary>
/// Allocates a workspace block. On Linux and macOS a large block is mapped straight from the kernel (mmap) and unmapped
/// when freed. Through malloc, glibc raises its mmap threshold to the size of each large block freed, so after a model
/// is swapped out the next ones come from the heap arenas, where freed blocks fragment: a server reloading models under
/// load grew from 190 MB to 1.4 GB resident while its managed heap stayed under 65 MB. Elsewhere (Windows' heap already
/// maps large blocks itself) and for small blocks, NativeMemory is used.
/// </summary>
internal static unsafe partial class LargeBlock
{
    /// <summary>Blocks from this size up are mapped on Unix.</summary>
    public const long MapThreshold = 1 << 20;

    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2;

    private static readonly int MapAnonymous = OperatingSystem.IsMacOS() ? 0x1000 : 0x20;

    private static bool Maps(long bytes) => bytes >= MapThreshold && (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS());

    /// <summary>A 64-byte-aligned block of <paramref name="bytes"/> bytes.</summary>
    /// <exception cref="OutOfMemoryException">The system has no block that large.</exception>
    public static void* Allocate(long bytes)
    {
        if (!Maps(bytes)) return NativeMemory.AlignedAlloc((nuint)bytes, 64);
        nint address = Mmap(0, (nuint)bytes, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (address == -1) throw new OutOfMemoryException($"Could not map {bytes} bytes for a workspace (errno {Marshal.GetLastPInvokeError()}).");
        return (void*)address; // page-aligned
    }

    /// <summary>Frees a block from <see cref="Allocate"/> of the same size.</summary>
    public static void Free(void* block, long bytes)
    {
        if (Maps(bytes)) Munmap((nint)block, (nuint)bytes);
        else NativeMemory.AlignedFree(block);
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);
}
