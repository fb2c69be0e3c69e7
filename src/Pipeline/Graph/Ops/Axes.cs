namespace Pipeline.Graph.Ops;

/// <summary>Axis arithmetic shared by the operators: ONNX axes may be negative (counted from the end).</summary>
internal static class Axes
{
    /// <summary>Maps <paramref name="axis"/> in [-rank, rank) to [0, rank), or fails naming the node.</summary>
    public static int Normalize(long axis, int rank, NodeIdentity node, string what = "axis")
    {
        if (axis < -rank || axis >= rank)
            throw node.Fail($"{what} {axis} is out of range for rank {rank} (valid: [{-rank}, {rank - 1}])");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    /// <summary>Normalizes every axis of <paramref name="axes"/> against <paramref name="rank"/> and rejects repeats.</summary>
    public static int[] NormalizeAll(ReadOnlySpan<long> axes, int rank, NodeIdentity node, string what = "axes")
    {
        var result = new int[axes.Length];
        var seen = new bool[rank];
        for (int i = 0; i < axes.Length; i++)
        {
            int a = Normalize(axes[i], rank, node, what);
            if (seen[a]) throw node.Fail($"{what} [{string.Join(",", axes.ToArray())}] name axis {a} twice");
            seen[a] = true;
            result[i] = a;
        }
        return result;
    }

    /// <summary>The product of <paramref name="shape"/>[start..end), as a long.</summary>
    public static long Product(ReadOnlySpan<int> shape, int start, int end)
    {
        long p = 1;
        for (int i = start; i < end; i++) p *= shape[i];
        return p;
    }

    /// <summary>The product of <paramref name="shape"/>[start..end), as an int; fails when it does not fit.</summary>
    public static int ProductInt(ReadOnlySpan<int> shape, int start, int end, NodeIdentity node)
    {
        long p = Product(shape, start, end);
        if (p > int.MaxValue) throw node.Fail($"a dimension product of {p} exceeds the supported {int.MaxValue}");
        return (int)p;
    }

    /// <summary>Formats a shape for messages.</summary>
    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(",", shape.ToArray()) + "]";
}
