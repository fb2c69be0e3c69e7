namespace Pipeline.Graph.Ops;

/// <summary>
/// Numpy broadcasting: shapes are aligned at their last dimension, and each pair of dimensions must be equal or
/// one of them 1. The result takes the larger of each pair.
/// </summary>
internal static class Broadcast
{
    /// <summary>The broadcast of two shapes, or null when they are incompatible.</summary>
    public static int[]? TryShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da == db || db == 1) result[i] = da;
            else if (da == 1) result[i] = db;
            else return null;
        }
        return result;
    }

    /// <summary>The broadcast of the shapes of every present input; fails naming the shapes when incompatible.</summary>
    public static int[] Shape(ShapeContext context)
    {
        int[]? shape = null;
        for (int i = 0; i < context.InputCount; i++)
        {
            if (!context.HasInput(i)) continue;
            int[] next = context.InputShape(i);
            shape = shape is null ? next : TryShape(shape, next)
                ?? throw context.Fail($"input shapes {Axes.Format(shape)} and {Axes.Format(next)} (input {i}) cannot be broadcast together");
        }
        return shape ?? throw context.Fail("the operator needs at least one input");
    }

    /// <summary>
    /// True when <paramref name="from"/> broadcasts to exactly <paramref name="to"/> without changing it
    /// (unidirectional broadcasting, as PRelu's slope and Expand need).
    /// </summary>
    public static bool IsUnidirectional(ReadOnlySpan<int> from, ReadOnlySpan<int> to)
    {
        if (from.Length > to.Length) return false;
        int offset = to.Length - from.Length;
        for (int i = 0; i < from.Length; i++)
            if (from[i] != 1 && from[i] != to[i + offset]) return false;
        return true;
    }
}
