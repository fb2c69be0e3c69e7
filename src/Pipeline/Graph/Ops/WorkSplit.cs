namespace Pipeline.Graph.Ops;

/// <summary>
/// How an operator's kernel splits a run of independent work (elements, rows, channels) into items for the
/// <see cref="Tensors.Parallelism.WorkerPool"/>: never items so small that dispatch costs more than it saves, and a
/// few more items than threads so a thread slowed by a neighbour does not hold the others back.
/// </summary>
internal static class WorkSplit
{
    /// <summary>Below this many elements of simple elementwise work a run stays on one thread.</summary>
    public const long MinElementsPerItem = 1 << 15;

    /// <summary>The number of items for <paramref name="work"/> units of which at least <paramref name="minPerItem"/> go in one item.</summary>
    public static int Count(long work, int threads, long minPerItem = MinElementsPerItem)
    {
        if (threads <= 1 || work < 2 * minPerItem) return 1;
        return (int)Math.Min(threads * 2L, work / minPerItem);
    }

    /// <summary>Item <paramref name="index"/> of <paramref name="count"/> over [0, <paramref name="work"/>), with starts aligned to <paramref name="align"/>.</summary>
    public static (long Start, long End) Range(int index, int count, long work, long align = 64)
    {
        if (count == 1) return (0, work);
        long per = (work + count - 1) / count;
        per = (per + align - 1) / align * align;
        long start = Math.Min(work, index * per);
        long end = Math.Min(work, start + per);
        return (start, end);
    }
}
