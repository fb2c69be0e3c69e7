using System.Numerics;
using Pipeline.Tensors.Parallelism;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Pipeline.Graph.Ops.Reduction;

/// <summary>
/// Runs a <see cref="ReducePlan"/>. Floats use vectorized row reductions and row accumulations; integer means
/// accumulate in double and truncate (numpy's mean, then the cast back). Output rows are split over the pool.
/// </summary>
internal sealed unsafe class ReduceKernel<T>(ReduceKind kind, ReducePlan plan) : Kernel where T : unmanaged, INumber<T>
{
    private enum Path { Fill, Copy, Rows, Columns, General }

    private readonly Path _path = Choose(kind, plan);

    private static Path Choose(ReduceKind kind, ReducePlan plan)
    {
        if (plan.InputCount == 0) return Path.Fill;
        int[] sizes = plan.Sizes;
        bool[] reduced = plan.IsReduced;
        int blocks = sizes.Length;
        if (blocks == 0 || blocks == 1 && !reduced[0]) return Path.Copy;
        if (kind == ReduceKind.Mean && !IsFloat) return Path.General;
        if (reduced[^1] && blocks <= 2) return Path.Rows;
        if (!reduced[^1] && blocks <= 3 && (blocks == 2 ? reduced[0] : reduced[1])) return Path.Columns;
        return Path.General;
    }

    /// <inheritdoc />
    public override long ScratchBytes => _path == Path.General && kind is ReduceKind.Mean or ReduceKind.Sum ? plan.OutputCount * sizeof(double) : 0;

    private static bool IsFloat => typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(Half);

    /// <summary>The value of a reduction over nothing.</summary>
    private T Identity => kind switch
    {
        ReduceKind.Max => IsFloat ? T.CreateChecked(double.NegativeInfinity) : T.CreateSaturating(double.MinValue),
        ReduceKind.Min => IsFloat ? T.CreateChecked(double.PositiveInfinity) : T.CreateSaturating(double.MaxValue),
        ReduceKind.Mean => IsFloat ? T.CreateChecked(double.NaN) : T.Zero,
        _ => T.Zero,
    };

    /// <inheritdoc />
    public override void Run(in KernelIO io)
    {
        T* x = io.InputPointer<T>(0);
        T* y = io.OutputPointer<T>(0);
        if (plan.OutputCount == 0) return;
        int[] sizes = plan.Sizes;
        switch (_path)
        {
            case Path.Fill:
                new Span<T>(y, checked((int)plan.OutputCount)).Fill(Identity);
                return;
            case Path.Copy:
                new ReadOnlySpan<T>(x, checked((int)plan.InputCount)).CopyTo(new Span<T>(y, checked((int)plan.OutputCount)));
                return;
            case Path.Rows:
            {
                // [R] or [K, R]: each output is the reduction of one contiguous row.
                var body = new RowsBody(this, x, y, sizes.Length == 1 ? 1 : sizes[0], sizes[^1], io.Pool.ThreadCount);
                io.Pool.For(body.Items, ref body);
                return;
            }
            case Path.Columns:
            {
                // [R, K] or [K, R, K]: each output row accumulates R input rows.
                var body = new ColumnsBody(this, x, y, sizes.Length == 3 ? sizes[0] : 1, sizes[^2], sizes[^1], io.Pool.ThreadCount);
                io.Pool.For(body.Items, ref body);
                return;
            }
            default:
                General(x, y, (double*)io.ScratchPointer);
                return;
        }
    }

    private readonly struct RowsBody(ReduceKernel<T> k, T* x, T* y, int rows, int length, int threads) : IParallelBody
    {
        public int Items { get; } = (int)Math.Min(rows, WorkSplit.Count((long)rows * length, threads));

        public void Invoke(int index)
        {
            (long start, long end) = WorkSplit.Range(index, Items, rows, 1);
            for (long r = start; r < end; r++) y[r] = k.ReduceRow(new ReadOnlySpan<T>(x + r * length, length));
        }
    }

    private T ReduceRow(ReadOnlySpan<T> row) => kind switch
    {
        ReduceKind.Max => TensorPrimitives.Max(row),
        ReduceKind.Min => TensorPrimitives.Min(row),
        ReduceKind.Sum => TensorPrimitives.Sum(row),
        _ => TensorPrimitives.Sum(row) / T.CreateChecked(row.Length),
    };

    private readonly struct ColumnsBody(ReduceKernel<T> k, T* x, T* y, int outer, int reduce, int width, int threads) : IParallelBody
    {
        // Items are (outer, column band) pairs so that one long output row is split too.
        private const int Band = 1024;

        private int BandCount => (width + Band - 1) / Band;

        public int Items { get; } = (int)Math.Min((long)outer * ((width + Band - 1) / Band), WorkSplit.Count((long)outer * reduce * width, threads));

        public void Invoke(int index)
        {
            long pairs = (long)outer * BandCount;
            (long start, long end) = WorkSplit.Range(index, Items, pairs, 1);
            for (long p = start; p < end; p++)
            {
                long o = p / BandCount;
                int c0 = (int)(p % BandCount) * Band;
                int n = Math.Min(Band, width - c0);
                T* source = x + o * reduce * width + c0;
                var accumulator = new Span<T>(y + o * width + c0, n);
                new ReadOnlySpan<T>(source, n).CopyTo(accumulator);
                for (int r = 1; r < reduce; r++) k.Accumulate(accumulator, new ReadOnlySpan<T>(source + (long)r * width, n));
                if (k.Mean) TensorPrimitives.Divide(accumulator, T.CreateChecked(reduce), accumulator);
            }
        }
    }

    private bool Mean => kind == ReduceKind.Mean;

    private void Accumulate(Span<T> accumulator, ReadOnlySpan<T> row)
    {
        switch (kind)
        {
            case ReduceKind.Max: TensorPrimitives.Max(accumulator, row, accumulator); break;
            case ReduceKind.Min: TensorPrimitives.Min(accumulator, row, accumulator); break;
            default: TensorPrimitives.Add(accumulator, row, accumulator); break;
        }
    }

    /// <summary>Any pattern: walk the input in order, folding each element into its output (double sums for means).</summary>
    private void General(T* x, T* y, double* scratch)
    {
        int[] sizes = plan.Sizes;
        bool[] reduced = plan.IsReduced;
        int blocks = sizes.Length;
        Span<long> outStrides = stackalloc long[blocks];
        long stride = 1;
        for (int b = blocks - 1; b >= 0; b--)
        {
            outStrides[b] = reduced[b] ? 0 : stride;
            if (!reduced[b]) stride *= sizes[b];
        }
        int outCount = checked((int)plan.OutputCount);
        bool summing = kind is ReduceKind.Mean or ReduceKind.Sum;
        double* sums = scratch;
        if (summing) new Span<double>(sums, outCount).Clear();
        else new Span<T>(y, outCount).Fill(Identity);
        Span<int> counters = stackalloc int[blocks];
        long o = 0;
        for (long e = 0; e < plan.InputCount; e++)
        {
            T v = x[e];
            if (summing) sums[o] += double.CreateChecked(v);
            else if (kind == ReduceKind.Max) { if (v > y[o] || T.IsNaN(v)) y[o] = v; }
            else if (v < y[o] || T.IsNaN(v)) y[o] = v;
            for (int b = blocks - 1; b >= 0; b--)
            {
                o += outStrides[b];
                if (++counters[b] < sizes[b]) break;
                counters[b] = 0;
                o -= outStrides[b] * sizes[b];
            }
        }
        if (!summing) return;
        for (int i = 0; i < outCount; i++)
            y[i] = T.CreateTruncating(kind == ReduceKind.Mean ? sums[i] / plan.ReducedCount : sums[i]);
    }
}
