using System.Numerics;
using System.Runtime.InteropServices;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Elementwise;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph.Ops.Elementwise;

/// <summary>
/// Runs a binary operation under numpy broadcasting: the output is walked row by row (see
/// <see cref="BroadcastLayout"/>) and each row is one call of the operation's vectorized row loop, in one of its
/// three forms (row-row, row-scalar, scalar-row). Large outputs are split over the pool by element ranges, so a
/// single long row is split too. A fused activation (e.g. the Relu after a residual Add) is applied to each row while
/// it is still in cache.
/// </summary>
internal sealed unsafe class BroadcastBinaryKernel<T, TOperation>(BroadcastLayout layout, FusedActivation activation = default) : Kernel
    where T : unmanaged, INumber<T>
    where TOperation : IBinaryOperation<T>
{
    /// <inheritdoc />
    public override void Run(in KernelIO io)
        => Execute(layout, io.InputPointer<T>(0), io.InputPointer<T>(1), io.OutputPointer<T>(0), io.Pool, activation);

    /// <summary>
    /// d = activation(op(x, y)) over <paramref name="layout"/>; <paramref name="d"/> may be <paramref name="x"/> or
    /// <paramref name="y"/> when that input has the output's shape.
    /// </summary>
    public static void Execute(BroadcastLayout layout, T* x, T* y, T* d, WorkerPool pool, FusedActivation activation = default)
    {
        long total = layout.ElementCount;
        if (total == 0) return;
        var body = new Body(layout, x, y, d, activation, WorkSplit.Count(total, pool.ThreadCount));
        pool.For(body.Items, ref body);
    }

    private readonly struct Body(BroadcastLayout layout, T* x, T* y, T* d, FusedActivation activation, int items) : IParallelBody
    {
        public int Items => items;

        public void Invoke(int index)
        {
            (long start, long end) = WorkSplit.Range(index, items, layout.ElementCount);
            if (start < end) RunRange(layout, x, y, d, activation, start, end);
        }
    }

    /// <summary>Applies a fused activation to a row just written (floats vectorized; other types through float).</summary>
    private static void Activate(in FusedActivation activation, Span<T> row)
    {
        if (typeof(T) == typeof(float))
        {
            Span<float> values = MemoryMarshal.Cast<T, float>(row);
            FloatLoops.Apply(activation, values, values);
            return;
        }
        for (int i = 0; i < row.Length; i++) row[i] = T.CreateSaturating(activation.Apply(float.CreateSaturating(row[i])));
    }

    private static void RunRange(BroadcastLayout layout, T* x, T* y, T* d, FusedActivation activation, long start, long end)
    {
        int inner = layout.InnerLength;
        Span<long> offsets = stackalloc long[2];
        Span<int> counters = stackalloc int[Math.Max(1, layout.Dims.Length - 1)];
        layout.Seek(start / inner, offsets, counters);
        int column = (int)(start % inner);
        long strideX = layout.InnerStrides[0], strideY = layout.InnerStrides[1];
        for (long e = start; e < end;)
        {
            int length = (int)Math.Min(inner - column, end - e);
            T* xRow = x + offsets[0] + column * strideX;
            T* yRow = y + offsets[1] + column * strideY;
            var dRow = new Span<T>(d + e, length);
            if (strideX != 0 && strideY != 0) TOperation.Apply(new ReadOnlySpan<T>(xRow, length), new ReadOnlySpan<T>(yRow, length), dRow);
            else if (strideX != 0) TOperation.Apply(new ReadOnlySpan<T>(xRow, length), *yRow, dRow);
            else if (strideY != 0) TOperation.Apply(*xRow, new ReadOnlySpan<T>(yRow, length), dRow);
            else
            {
                TOperation.Apply(new ReadOnlySpan<T>(xRow, 1), *yRow, dRow[..1]);
                dRow.Fill(dRow[0]);
            }
            if (activation.Kind != ActivationKind.None) Activate(activation, dRow);
            e += length;
            column = 0;
            layout.Advance(offsets, counters);
        }
    }
}
