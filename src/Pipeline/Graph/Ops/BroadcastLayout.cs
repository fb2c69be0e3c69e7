namespace Pipeline.Graph.Ops;

/// <summary>
/// How several inputs map onto one output under broadcasting, with adjacent dimensions merged wherever every input
/// is contiguous across them. The output is walked as <see cref="RowCount"/> rows of <see cref="InnerLength"/>
/// elements; in a row each input either advances by one element (stride 1) or repeats one element (stride 0).
/// Built once per plan, so kernels do no shape arithmetic per run.
/// </summary>
internal sealed class BroadcastLayout
{
    private BroadcastLayout(int[] dims, long[][] strides)
    {
        Dims = dims;
        Strides = strides;
        long rows = 1;
        for (int i = 0; i < dims.Length - 1; i++) rows *= dims[i];
        RowCount = rows;
        InnerLength = dims[^1];
        InnerStrides = new long[strides.Length];
        for (int k = 0; k < strides.Length; k++) InnerStrides[k] = strides[k][^1];
    }

    /// <summary>The merged output dimensions (at least one; a scalar is [1]).</summary>
    public int[] Dims { get; }

    /// <summary>Per input, per merged dimension: the element stride (0 where the input is broadcast).</summary>
    public long[][] Strides { get; }

    /// <summary>Per input, the stride along the innermost dimension: 1 or 0.</summary>
    public long[] InnerStrides { get; }

    /// <summary>The number of rows: the product of every merged dimension but the last.</summary>
    public long RowCount { get; }

    /// <summary>The length of one row.</summary>
    public int InnerLength { get; }

    /// <summary>The number of output elements.</summary>
    public long ElementCount => RowCount * InnerLength;

    /// <summary>Builds the layout of <paramref name="inputShapes"/> broadcast to <paramref name="outputShape"/>.</summary>
    public static BroadcastLayout Create(ReadOnlySpan<int> outputShape, params int[][] inputShapes)
    {
        int rank = outputShape.Length;
        int n = inputShapes.Length;
        // Full-rank strides per input, 0 where broadcast.
        var full = new long[n][];
        for (int k = 0; k < n; k++)
        {
            int[] s = inputShapes[k];
            full[k] = new long[rank];
            long stride = 1;
            for (int i = s.Length - 1; i >= 0; i--)
            {
                int o = i + rank - s.Length;
                full[k][o] = s[i] == 1 && outputShape[o] != 1 ? 0 : stride;
                stride *= s[i];
            }
        }

        // Drop size-1 output dimensions, then merge neighbours where every input is contiguous across them.
        var dims = new List<int>(rank);
        var strides = new List<long>[n];
        for (int k = 0; k < n; k++) strides[k] = new List<long>(rank);
        for (int i = 0; i < rank; i++)
        {
            if (outputShape[i] == 1) continue;
            bool merge = dims.Count > 0;
            for (int k = 0; k < n && merge; k++)
                merge = strides[k][^1] == full[k][i] * outputShape[i];
            if (merge)
            {
                dims[^1] *= outputShape[i];
                for (int k = 0; k < n; k++) strides[k][^1] = full[k][i];
            }
            else
            {
                dims.Add(outputShape[i]);
                for (int k = 0; k < n; k++) strides[k].Add(full[k][i]);
            }
        }
        if (dims.Count == 0 || outputShape.Length > 0 && Tensors.Tensor.ElementCount(outputShape) == 0)
        {
            // A scalar, or an empty output (nothing will be read): one row of the element count.
            dims.Clear();
            dims.Add((int)Tensors.Tensor.ElementCount(outputShape));
            for (int k = 0; k < n; k++)
            {
                strides[k].Clear();
                strides[k].Add(Tensors.Tensor.ElementCount(inputShapes[k]) == 1 ? 0 : 1);
            }
        }
        var strideArrays = new long[n][];
        for (int k = 0; k < n; k++) strideArrays[k] = strides[k].ToArray();
        return new BroadcastLayout(dims.ToArray(), strideArrays);
    }

    /// <summary>
    /// Writes the element offset of row <paramref name="row"/> for each input into <paramref name="offsets"/>, and the
    /// row's coordinates into <paramref name="counters"/> (length <c>Dims.Length - 1</c>) for <see cref="Advance"/>.
    /// </summary>
    public void Seek(long row, Span<long> offsets, Span<int> counters)
    {
        offsets.Clear();
        for (int d = Dims.Length - 2; d >= 0; d--)
        {
            int c = (int)(row % Dims[d]);
            row /= Dims[d];
            counters[d] = c;
            for (int k = 0; k < offsets.Length; k++) offsets[k] += c * Strides[k][d];
        }
    }

    /// <summary>Moves <paramref name="offsets"/> and <paramref name="counters"/> to the next row (odometer order).</summary>
    public void Advance(Span<long> offsets, Span<int> counters)
    {
        for (int d = Dims.Length - 2; d >= 0; d--)
        {
            if (++counters[d] < Dims[d])
            {
                for (int k = 0; k < offsets.Length; k++) offsets[k] += Strides[k][d];
                return;
            }
            counters[d] = 0;
            for (int k = 0; k < offsets.Length; k++) offsets[k] -= (long)(Dims[d] - 1) * Strides[k][d];
        }
    }
}
