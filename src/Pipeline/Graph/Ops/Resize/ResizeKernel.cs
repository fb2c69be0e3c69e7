using System.Runtime.CompilerServices;
using Pipeline.Tensors.Parallelism;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Pipeline.Graph.Ops.Resize;

/// <summary>
/// Applies the <see cref="ResizeAxisTable"/>s one axis at a time (shrinking axes first, so intermediates stay small),
/// ping-ponging between two scratch buffers and writing the last pass to the output. A pass sees the tensor as
/// [outer, length, inner]: with inner &gt; 1 each output row is a weighted sum of whole input rows (vectorized);
/// with inner = 1 it gathers taps. Nearest copies elements of any type.
/// </summary>
internal sealed unsafe class ResizeKernel<T> : Kernel where T : unmanaged
{
    private readonly (int Axis, ResizeAxisTable Table)[] _passes;
    private readonly int[] _input;
    private readonly T _extrapolation;
    private readonly bool _interpolate;
    private readonly long _largestIntermediate;
    private readonly long _inputCount;

    public ResizeKernel(int[] input, int[] output, ResizeAxisTable?[] tables, T extrapolation, bool interpolate)
    {
        _input = input;
        _extrapolation = extrapolation;
        _interpolate = interpolate;
        var passes = new List<(int, ResizeAxisTable)>();
        for (int a = 0; a < tables.Length; a++) if (tables[a] is { } t) passes.Add((a, t));
        passes.Sort((x, y) => ((double)x.Item2.OutputLength / x.Item2.InputLength).CompareTo((double)y.Item2.OutputLength / y.Item2.InputLength));
        _passes = passes.ToArray();
        int[] shape = (int[])input.Clone();
        _inputCount = Tensors.Tensor.ElementCount(input);
        for (int p = 0; p < _passes.Length - 1; p++)
        {
            shape[_passes[p].Axis] = _passes[p].Table.OutputLength;
            _largestIntermediate = Math.Max(_largestIntermediate, Tensors.Tensor.ElementCount(shape));
        }
        if (Tensors.Tensor.ElementCount(output) == 0) _passes = [];
    }

    /// <inheritdoc />
    public override long ScratchBytes => _passes.Length <= 1 ? 0 : (_passes.Length == 2 ? 1 : 2) * Align(_largestIntermediate * sizeof(T));

    private static long Align(long bytes) => (bytes + 63) & ~63L;

    /// <inheritdoc />
    public override void Run(in KernelIO io)
    {
        T* source = io.InputPointer<T>(0);
        T* output = io.OutputPointer<T>(0);
        if (_passes.Length == 0)
        {
            if (_inputCount > 0 && source != output) new ReadOnlySpan<T>(source, checked((int)_inputCount)).CopyTo(new Span<T>(output, checked((int)_inputCount)));
            return;
        }
        T* scratchA = (T*)io.ScratchPointer;
        T* scratchB = (T*)((byte*)io.ScratchPointer + Align(_largestIntermediate * sizeof(T)));
        Span<int> shape = stackalloc int[_input.Length];
        _input.CopyTo(shape);
        for (int p = 0; p < _passes.Length; p++)
        {
            (int axis, ResizeAxisTable table) = _passes[p];
            T* destination = p == _passes.Length - 1 ? output : p % 2 == 0 ? scratchA : scratchB;
            long outer = 1, inner = 1;
            for (int d = 0; d < axis; d++) outer *= shape[d];
            for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
            var body = new PassBody(this, table, source, destination, outer, inner,
                WorkSplit.Count(outer * table.OutputLength * inner * table.Taps, io.Pool.ThreadCount));
            io.Pool.For(body.Items, ref body);
            shape[axis] = table.OutputLength;
            source = destination;
        }
    }

    private readonly struct PassBody(ResizeKernel<T> k, ResizeAxisTable table, T* source, T* destination, long outer, long inner, int items) : IParallelBody
    {
        public int Items => items;

        public void Invoke(int index)
        {
            if (inner == 1)
            {
                // The last axis: items are ranges of whole lines, each resampled in one tight loop.
                (long first, long last) = WorkSplit.Range(index, items, outer, 1);
                for (long o = first; o < last; o++) k.Line(table, source + o * table.InputLength, destination + o * table.OutputLength);
                return;
            }
            long rows = outer * table.OutputLength;
            (long start, long end) = WorkSplit.Range(index, items, rows, 1);
            for (long r = start; r < end; r++) k.Row(table, source, destination, r, inner);
        }
    }

    /// <summary>Resamples one line along the innermost axis: output j gathers its taps from <paramref name="x"/>.</summary>
    private void Line(ResizeAxisTable table, T* x, T* y)
    {
        int taps = table.Taps;
        int[] indices = table.Indices;
        float[] weights = table.Weights;
        bool[] outside = table.Outside;
        if (!_interpolate)
        {
            for (int j = 0; j < table.OutputLength; j++) y[j] = outside[j] ? _extrapolation : x[indices[j]];
            return;
        }
        float* xf = (float*)x;
        float* yf = (float*)y;
        float extrapolation = Unsafe.As<T, float>(ref Unsafe.AsRef(in _extrapolation));
        for (int j = 0, t0 = 0; j < table.OutputLength; j++, t0 += taps)
        {
            if (outside[j]) { yf[j] = extrapolation; continue; }
            float sum = 0;
            for (int t = 0; t < taps; t++) sum += weights[t0 + t] * xf[indices[t0 + t]];
            yf[j] = sum;
        }
    }

    /// <summary>One output row of a pass over an outer axis: whole input rows are copied (nearest) or blended.</summary>
    private void Row(ResizeAxisTable table, T* source, T* destination, long row, long inner)
    {
        int outLength = table.OutputLength, inLength = table.InputLength, taps = table.Taps;
        long o = row / outLength;
        int j = (int)(row % outLength);
        T* target = destination + row * inner;
        T* plane = source + o * inLength * inner;
        int n = checked((int)inner);
        if (table.Outside[j])
        {
            new Span<T>(target, n).Fill(_extrapolation);
            return;
        }
        int first = j * taps;
        if (!_interpolate)
        {
            new ReadOnlySpan<T>(plane + table.Indices[first] * inner, n).CopyTo(new Span<T>(target, n));
            return;
        }
        float* x = (float*)plane;
        var accumulator = new Span<float>((float*)target, n);
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(x + table.Indices[first] * inner, n), table.Weights[first], accumulator);
        for (int t = 1; t < taps; t++)
        {
            float w = table.Weights[first + t];
            if (w != 0) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(x + table.Indices[first + t] * inner, n), w, accumulator, accumulator);
        }
    }
}
