using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Quantization;

/// <summary>
/// Which scale (and zero point) applies to each element of x: one for the whole tensor (a scale of one element),
/// one per index along <c>axis</c> (a 1-D scale), or one per block of <c>block_size</c> consecutive indices along
/// <c>axis</c> (a scale of x's rank with that dimension divided, rounding up). Elements are addressed as
/// [outer, axis, inner].
/// </summary>
internal sealed class QuantizationLayout
{
    private QuantizationLayout(long outer, int axisLength, long inner, int blockSize, int blocks, bool perTensor)
    {
        Outer = outer;
        AxisLength = axisLength;
        Inner = inner;
        BlockSize = blockSize;
        Blocks = blocks;
        PerTensor = perTensor;
    }

    /// <summary>The product of x's dimensions before the axis.</summary>
    public long Outer { get; }

    /// <summary>x's dimension along the axis.</summary>
    public int AxisLength { get; }

    /// <summary>The product of x's dimensions after the axis.</summary>
    public long Inner { get; }

    /// <summary>The block size (0 when not blocked).</summary>
    public int BlockSize { get; }

    /// <summary>Blocks along the axis (blocked), else the scale's length along it.</summary>
    public int Blocks { get; }

    /// <summary>True when one scale serves every element.</summary>
    public bool PerTensor { get; }

    /// <summary>The scale index of element [o, a, i].</summary>
    public long ScaleIndex(long o, int a, long i)
    {
        if (PerTensor) return 0;
        if (BlockSize == 0) return a;
        return (o * Blocks + a / BlockSize) * Inner + i;
    }

    /// <summary>
    /// Calls <paramref name="segment"/> for each run of elements that share one scale within work item
    /// <paramref name="index"/> of <paramref name="items"/>: per tensor the items split the elements, otherwise the
    /// [outer, axis] rows (a blocked scale changes along the inner elements, so those go one at a time).
    /// </summary>
    public void ForEachSegment<T>(int index, int items, ref T segment) where T : struct, IQuantizationSegment
    {
        if (PerTensor)
        {
            (long start, long end) = WorkSplit.Range(index, items, Outer);
            if (start < end) segment.Run(start, end - start, 0);
            return;
        }
        (long first, long last) = WorkSplit.Range(index, items, Outer * AxisLength, 1);
        for (long row = first; row < last; row++)
        {
            long o = row / AxisLength;
            int a = (int)(row % AxisLength);
            if (BlockSize == 0) segment.Run(row * Inner, Inner, a);
            else for (long i = 0; i < Inner; i++) segment.Run(row * Inner + i, 1, ScaleIndex(o, a, i));
        }
    }

    /// <summary>Validates the scale (and zero point) shapes against x and builds the layout; fails naming the node.</summary>
    public static QuantizationLayout Create(int[] x, int[] scale, int[]? zeroPoint, long axis, long blockSize, NodeIdentity node)
    {
        // One-element scales and zero points may differ in rank ([] and [1]); anything larger must match exactly.
        bool bothSingle = zeroPoint is not null && Tensor.ElementCount(zeroPoint) == 1 && Tensor.ElementCount(scale) == 1;
        if (zeroPoint is not null && !bothSingle && !zeroPoint.AsSpan().SequenceEqual(scale))
            throw node.Fail($"the zero point's shape {Axes.Format(zeroPoint)} differs from the scale's {Axes.Format(scale)}");
        long scaleCount = Tensor.ElementCount(scale);
        if (scaleCount == 1 && scale.Length <= 1 && blockSize <= 0)
            return new QuantizationLayout(Tensor.ElementCount(x), 1, 1, 0, 1, perTensor: true);
        if (x.Length == 0) throw node.Fail($"a scalar input needs a one-element scale, got {Axes.Format(scale)}");
        int a = Axes.Normalize(axis, x.Length, node);
        long outer = Axes.Product(x, 0, a), inner = Axes.Product(x, a + 1, x.Length);
        if (blockSize <= 0)
        {
            if (scale.Length != 1 || scale[0] != x[a])
                throw node.Fail($"a per-axis scale must have shape [{x[a]}] (axis {a} of {Axes.Format(x)}), got {Axes.Format(scale)}");
            return new QuantizationLayout(outer, x[a], inner, 0, x[a], perTensor: false);
        }
        if (blockSize > int.MaxValue) throw node.Fail($"block_size {blockSize} is too large");
        int blocks = (int)((x[a] + blockSize - 1) / blockSize);
        bool matches = scale.Length == x.Length;
        for (int d = 0; matches && d < x.Length; d++) matches = scale[d] == (d == a ? blocks : x[d]);
        if (!matches)
            throw node.Fail($"a blocked scale for {Axes.Format(x)} with block_size {blockSize} on axis {a} must have {blocks} blocks there and x's other dimensions, got {Axes.Format(scale)}");
        return new QuantizationLayout(outer, x[a], inner, (int)blockSize, blocks, perTensor: false);
    }
}

/// <summary>Converts <c>count</c> elements from <c>offset</c> that share the scale at <c>scaleIndex</c>.</summary>
internal interface IQuantizationSegment
{
    void Run(long offset, long count, long scaleIndex);
}
