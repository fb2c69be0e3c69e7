namespace Pipeline.Tensors.Kernels.Pooling;

/// <summary>
/// Per-axis window tables of a <see cref="PoolGeometry"/>, computed once: for output position o on an axis, the taps
/// t in [<see cref="First"/>, <see cref="End"/>) read inside the input (index <c>Start + t·dilation</c>), and
/// <see cref="PaddedCount"/> taps fall inside the padded extent (the divisor of count_include_pad). Validity is separable
/// per axis, so a window's valid taps are a box and its counts are products.
/// </summary>
internal sealed class PoolWindows
{
    /// <summary>Builds the tables.</summary>
    public PoolWindows(PoolGeometry geometry)
    {
        Geometry = geometry;
        int rank = geometry.Rank;
        Start = new int[rank][];
        First = new int[rank][];
        End = new int[rank][];
        PaddedCount = new int[rank][];
        for (int axis = 0; axis < rank; axis++)
        {
            int outSize = geometry.OutputSize[axis], inSize = geometry.InputSize[axis];
            int k = geometry.KernelSize[axis], d = geometry.Dilations[axis];
            int padEnd = geometry.PadsEnd[axis], padBegin = geometry.PadsBegin[axis];
            Start[axis] = new int[outSize];
            First[axis] = new int[outSize];
            End[axis] = new int[outSize];
            PaddedCount[axis] = new int[outSize];
            for (int o = 0; o < outSize; o++)
            {
                int start = geometry.WindowStart(axis, o);
                int first = 0, end = 0, padded = 0;
                bool seen = false;
                for (int t = 0; t < k; t++)
                {
                    int i = start + t * d;
                    if (i >= -padBegin && i < inSize + padEnd) padded++;
                    if (i < 0 || i >= inSize) continue;
                    if (!seen) first = t;
                    seen = true;
                    end = t + 1;
                }
                Start[axis][o] = start;
                First[axis][o] = first;
                End[axis][o] = seen ? end : first;
                PaddedCount[axis][o] = padded;
            }
        }
    }

    /// <summary>The geometry the tables describe.</summary>
    public PoolGeometry Geometry { get; }

    /// <summary>[axis][o]: the input index of tap 0 (may be negative).</summary>
    public int[][] Start { get; }

    /// <summary>[axis][o]: the first tap inside the input.</summary>
    public int[][] First { get; }

    /// <summary>[axis][o]: one past the last tap inside the input (= First when none is).</summary>
    public int[][] End { get; }

    /// <summary>[axis][o]: taps inside the padded extent [−padBegin, in + padEnd).</summary>
    public int[][] PaddedCount { get; }
}
