namespace Pipeline.Graph.Ops.Shape;

/// <summary>
/// A transpose reduced to its essentials: size-1 axes dropped, and axes that stay adjacent and in order merged
/// (NCHW→NHWC becomes a batched 2-D transpose [N, C, HW] → [N, HW, C]; a channel shuffle keeps a contiguous inner
/// block). <see cref="Dims"/> are the merged input dimensions, <see cref="Perm"/> the merged permutation.
/// </summary>
internal sealed class TransposePlan
{
    private TransposePlan(int[] dims, int[] perm)
    {
        Dims = dims;
        Perm = perm;
        InputStrides = new long[dims.Length];
        long stride = 1;
        for (int i = dims.Length - 1; i >= 0; i--) { InputStrides[i] = stride; stride *= dims[i]; }
        ElementCount = stride;
    }

    /// <summary>The merged input dimensions.</summary>
    public int[] Dims { get; }

    /// <summary>Output axis i reads merged input axis Perm[i].</summary>
    public int[] Perm { get; }

    /// <summary>Element strides of the merged input axes.</summary>
    public long[] InputStrides { get; }

    /// <summary>The number of elements.</summary>
    public long ElementCount { get; }

    /// <summary>True when the data is copied unchanged (at most one non-trivial merged axis).</summary>
    public bool IsCopy => Dims.Length <= 1;

    /// <summary>True when the last axis stays last: the output is made of contiguous input blocks.</summary>
    public bool KeepsInnerBlock => Dims.Length > 1 && Perm[^1] == Dims.Length - 1;

    /// <summary>True for [R, C] → [C, R], possibly after one batch axis (NCHW↔NHWC).</summary>
    public bool IsBatched2D => Dims.Length == 2 || Dims.Length == 3 && Perm[0] == 0;

    /// <summary>Reduces <paramref name="perm"/> over <paramref name="shape"/>.</summary>
    public static TransposePlan Create(ReadOnlySpan<int> shape, ReadOnlySpan<int> perm)
    {
        if (Tensors.Tensor.ElementCount(shape) == 0) return new TransposePlan([0], [0]);
        // Keep the axes that are not 1, renumbered in input order.
        var newIndex = new int[shape.Length];
        int kept = 0;
        for (int i = 0; i < shape.Length; i++) newIndex[i] = shape[i] == 1 ? -1 : kept++;
        var keptDims = new List<int>(kept);
        for (int i = 0; i < shape.Length; i++) if (shape[i] != 1) keptDims.Add(shape[i]);
        var order = new List<int>(kept); // output order of kept axes, as kept indices
        foreach (int p in perm) if (newIndex[p] >= 0) order.Add(newIndex[p]);

        // Group runs of consecutive input axes in output order.
        var groups = new List<(int First, int Count)>();
        foreach (int axis in order)
        {
            if (groups.Count > 0 && groups[^1].First + groups[^1].Count == axis) groups[^1] = (groups[^1].First, groups[^1].Count + 1);
            else groups.Add((axis, 1));
        }
        // Number the groups in input order.
        var byInput = new List<int>(groups.Count);
        for (int g = 0; g < groups.Count; g++) byInput.Add(g);
        byInput.Sort((a, b) => groups[a].First.CompareTo(groups[b].First));
        var rank = new int[groups.Count];
        var dims = new int[groups.Count];
        for (int k = 0; k < byInput.Count; k++)
        {
            (int first, int count) = groups[byInput[k]];
            rank[byInput[k]] = k;
            long d = 1;
            for (int a = first; a < first + count; a++) d *= keptDims[a];
            dims[k] = checked((int)d);
        }
        var mergedPerm = new int[groups.Count];
        for (int g = 0; g < groups.Count; g++) mergedPerm[g] = rank[g];
        if (dims.Length == 0) return new TransposePlan([1], [0]);
        return new TransposePlan(dims, mergedPerm);
    }
}
