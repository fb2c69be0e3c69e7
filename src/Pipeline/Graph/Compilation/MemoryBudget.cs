namespace Pipeline.Graph.Compilation;

/// <summary>
/// Size limits checked before anything is allocated, so a model declaring absurd shapes fails with an
/// <see cref="InvalidModelException"/> instead of an out-of-memory: one tensor's elements must fit a managed array and
/// a span, and a plan's working memory must fit in the memory the process may use.
/// </summary>
internal static class MemoryBudget
{
    private static readonly long AvailableBytes = Math.Max(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, 1L << 30);

    /// <summary>
    /// Bytes all constants computed at load (folded nodes, e.g. ConstantOfShape weights) of one model may take together:
    /// 1 GiB (at most a quarter of memory), far above any image backbone's weights, so that a few bytes of a hostile
    /// file cannot make the loader fill gigabytes.
    /// </summary>
    public static long ConstantBytes => Math.Min(AvailableBytes / 4, 1L << 30);

    /// <summary>Bytes one plan's working memory (arena and scratch) may take.</summary>
    public static long WorkspaceBytes => AvailableBytes / 2;

    /// <summary>The product of <paramref name="shape"/>, saturating at <see cref="long.MaxValue"/> instead of overflowing.</summary>
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d <= 0) return d == 0 ? 0 : long.MaxValue;
            count = count > long.MaxValue / d ? long.MaxValue : count * d;
        }
        // A zero dimension after a saturated product still means zero elements.
        return count;
    }

    /// <summary>Fails when a value of <paramref name="info"/> could not be held in one buffer.</summary>
    public static void CheckTensor(TensorInfo info, NodeIdentity node, string what)
    {
        long count = ElementCount(info.Shape);
        if (count > Array.MaxLength)
            throw node.Fail($"{what} would have shape [{string.Join(",", info.Shape)}], {count} elements: more than one tensor can hold");
    }

    /// <summary>The byte size of <paramref name="info"/>, assuming <see cref="CheckTensor"/> passed.</summary>
    public static long Bytes(TensorInfo info) => ElementCount(info.Shape) * Tensors.DataTypes.SizeOf(info.Type);
}
