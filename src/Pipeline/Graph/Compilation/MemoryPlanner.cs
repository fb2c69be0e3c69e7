namespace Pipeline.Graph.Compilation;

/// <summary>A buffer to place in the arena: its size and the steps from its first write to its last read, inclusive.</summary>
internal readonly record struct BufferLifetime(long Bytes, int First, int Last)
{
    /// <summary>True when both buffers are needed at some common step, so they must not share memory.</summary>
    public bool Overlaps(BufferLifetime other) => First <= other.Last && other.First <= Last;
}

/// <summary>
/// Places buffers at offsets in one arena so that buffers alive at the same time never overlap, reusing the memory of
/// dead ones. Greedy by size, best fit: the largest buffers are placed first, each in the smallest gap left between
/// the already-placed buffers it coexists with (or at the end). Every offset is a multiple of 64 bytes.
/// </summary>
internal static class MemoryPlanner
{
    public const int Alignment = 64;

    /// <summary>Fills <paramref name="offsets"/> (one per buffer) and returns the arena size.</summary>
    public static long Plan(IReadOnlyList<BufferLifetime> buffers, long[] offsets)
    {
        int n = buffers.Count;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        // Largest first; ties by earlier definition so the result does not depend on the sort's stability.
        Array.Sort(order, (a, b) =>
        {
            int c = buffers[b].Bytes.CompareTo(buffers[a].Bytes);
            return c != 0 ? c : buffers[a].First != buffers[b].First ? buffers[a].First.CompareTo(buffers[b].First) : a.CompareTo(b);
        });

        var placed = new List<int>(n);
        var conflicts = new List<(long Start, long End)>();
        long total = 0;
        foreach (int i in order)
        {
            long size = Align(buffers[i].Bytes);
            conflicts.Clear();
            foreach (int j in placed)
                if (buffers[i].Overlaps(buffers[j])) conflicts.Add((offsets[j], offsets[j] + Align(buffers[j].Bytes)));
            conflicts.Sort();

            long best = -1, bestGap = long.MaxValue, cursor = 0;
            foreach ((long start, long end) in conflicts)
            {
                long gap = start - cursor;
                if (gap >= size && gap < bestGap)
                {
                    best = cursor;
                    bestGap = gap;
                }
                cursor = Math.Max(cursor, end);
            }
            offsets[i] = best >= 0 ? best : cursor;
            total = Math.Max(total, offsets[i] + size);
            placed.Add(i);
        }
        return total;
    }

    /// <summary>
    /// <see cref="Plan"/> for the values (the first <paramref name="valueCount"/> buffers) together with the kernels'
    /// scratch (the rest, each alive during its own step only, one per step), so that a kernel's scratch reuses the
    /// memory of values dead by its step. Greedy placement is not optimal, so when that would take more memory than the
    /// values plus one scratch region after them that every kernel shares, that layout is returned instead.
    /// </summary>
    public static long PlanWithScratch(BufferLifetime[] buffers, int valueCount, long[] offsets)
    {
        long together = Plan(buffers, offsets);
        if (valueCount == buffers.Length) return together;
        var apart = new long[buffers.Length];
        long values = Plan(buffers[..valueCount], apart);
        long scratch = 0;
        for (int b = valueCount; b < buffers.Length; b++) scratch = Math.Max(scratch, Align(buffers[b].Bytes));
        if (together <= values + scratch) return together;
        for (int b = valueCount; b < buffers.Length; b++) apart[b] = values;
        apart.CopyTo(offsets, 0);
        return values + scratch;
    }

    /// <summary>Rounds up to the alignment; an empty buffer still takes one slot so its address is distinct.</summary>
    public static long Align(long bytes) => Math.Max(Alignment, (bytes + Alignment - 1) & ~(long)(Alignment - 1));
}
