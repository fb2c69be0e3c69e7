namespace Pipeline.Graph.Ops.Reduction;

/// <summary>
/// A reduction reduced to alternating blocks of kept and reduced axes (size-1 axes dropped, neighbours of one kind
/// merged), so that the common cases become one of three loops: reduce contiguous rows ([K, R]), accumulate whole
/// rows ([K₁, R, K₂], e.g. a mean over N of NCHW... or over H·W when followed by nothing), or a general walk.
/// </summary>
internal sealed class ReducePlan
{
    private ReducePlan(int[] sizes, bool[] reduced, long inputCount, long outputCount)
    {
        Sizes = sizes;
        IsReduced = reduced;
        InputCount = inputCount;
        OutputCount = outputCount;
        long r = 1;
        for (int i = 0; i < sizes.Length; i++) if (reduced[i]) r *= sizes[i];
        ReducedCount = inputCount == 0 ? CountReduced(sizes, reduced) : r;
    }

    private static long CountReduced(int[] sizes, bool[] reduced)
    {
        long r = 1;
        for (int i = 0; i < sizes.Length; i++) if (reduced[i]) r *= sizes[i];
        return r;
    }

    /// <summary>The merged block sizes, outermost first.</summary>
    public int[] Sizes { get; }

    /// <summary>Whether each block is reduced.</summary>
    public bool[] IsReduced { get; }

    /// <summary>Elements in the input.</summary>
    public long InputCount { get; }

    /// <summary>Elements in the output.</summary>
    public long OutputCount { get; }

    /// <summary>Elements folded into each output element (0 for an empty reduction).</summary>
    public long ReducedCount { get; }

    /// <summary>Builds the plan for reducing the flagged axes of <paramref name="shape"/>.</summary>
    public static ReducePlan Create(ReadOnlySpan<int> shape, ReadOnlySpan<bool> reduced)
    {
        long input = 1, output = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            input *= shape[i];
            if (!reduced[i]) output *= shape[i];
        }
        var sizes = new List<int>();
        var flags = new List<bool>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            if (flags.Count > 0 && flags[^1] == reduced[i]) sizes[^1] = checked(sizes[^1] * shape[i]);
            else { sizes.Add(shape[i]); flags.Add(reduced[i]); }
        }
        return new ReducePlan(sizes.ToArray(), flags.ToArray(), input, output);
    }
}
