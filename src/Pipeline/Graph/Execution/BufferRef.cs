using System.Runtime.CompilerServices;

namespace Pipeline.Graph.Execution;

/// <summary>
/// Where a value lives during a run: at an offset in the workspace arena, at a fixed address (a pinned constant), or
/// nowhere (an omitted optional input or an unused optional output).
/// </summary>
internal readonly record struct BufferRef(nint Address, long Offset, long Bytes)
{
    /// <summary>No buffer.</summary>
    public static BufferRef Absent => new(0, 0, -1);

    /// <summary>A buffer in the arena.</summary>
    public static BufferRef InArena(long offset, long bytes) => new(0, offset, bytes);

    /// <summary>A pinned constant.</summary>
    public static BufferRef Fixed(nint address, long bytes) => new(address, 0, bytes);

    /// <summary>True unless absent.</summary>
    public bool IsPresent => Bytes >= 0;

    /// <summary>True when the buffer lives in the arena.</summary>
    public bool IsInArena => Bytes >= 0 && Address == 0;

    /// <summary>The buffer's address for a run whose arena starts at <paramref name="arena"/>; zero when absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public nint Resolve(nint arena) => Bytes < 0 ? 0 : Address != 0 ? Address : arena + (nint)Offset;
}
