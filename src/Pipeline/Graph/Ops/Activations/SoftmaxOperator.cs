using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Pipeline.Graph.Ops.Activations;

/// <summary>
/// Softmax (and LogSoftmax) on float32: exp(x − max) / Σ exp(x − max) along one axis, stable for large inputs.
/// Opset 13+ normalizes along the single axis <c>axis</c> (default −1). Before 13 the input is flattened to 2-D at
/// <c>axis</c> (default 1) and each row of the product of the trailing dimensions is normalized.
/// </summary>
internal sealed class SoftmaxOperator(long axis, bool flattenTo2D, bool logarithm = false) : Operator
{
    /// <summary>The axis as written (may be negative).</summary>
    public long Axis { get; } = axis;

    /// <summary>True for the pre-13 rule (flatten to 2-D at the axis).</summary>
    public bool FlattenTo2D { get; } = flattenTo2D;

    /// <summary>True for LogSoftmax.</summary>
    public bool Logarithm { get; } = logarithm;

    /// <inheritdoc />
    public override string Name => Logarithm ? "LogSoftmax" : "Softmax";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        DataType type = context.InputType(0);
        if (type != DataType.Float32) throw context.Fail($"{Name} supports float32 only, got {type}");
        int[] shape = context.InputShape(0);
        // A scalar has nothing to normalize across, but ONNX allows rank 0 only with axis 0/-1 in the 2-D rule.
        Axes.Normalize(Axis, Math.Max(1, shape.Length), context.Node);
        context.SetOutput(0, type, shape);
        context.Flops = 4 * Tensor.ElementCount(shape);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] shape = context.Input(0).Shape;
        if (shape.Length == 0) shape = [1];
        int a = Axes.Normalize(Axis, shape.Length, context.Node);
        long outer = Axes.Product(shape, 0, a);
        long n = FlattenTo2D ? Axes.Product(shape, a, shape.Length) : shape[a];
        long inner = FlattenTo2D ? 1 : Axes.Product(shape, a + 1, shape.Length);
        if (n > int.MaxValue || inner > int.MaxValue / 2) throw context.Node.Fail($"the softmax axis of {Axes.Format(shape)} is too long");
        return new SoftmaxKernel(outer, (int)n, (int)inner, Logarithm, Math.Max(1, context.ThreadCount));
    }

    /// <inheritdoc />
    public override bool CanRunInPlace(int input) => input == 0;

    /// <inheritdoc />
    public override string Describe() => $"axis={Axis}";

    /// <summary>Normalizes [outer, n, inner] along n. With inner &gt; 1 each item keeps running maxima and sums per inner position in scratch.</summary>
    private sealed unsafe class SoftmaxKernel(long outer, int n, int inner, bool logarithm, int slots) : Kernel
    {
        private long Outer => outer;
        private int N => n;
        private int Inner => inner;

        public override long ScratchBytes => inner == 1 ? 0 : (long)slots * 2 * inner * sizeof(float);

        public override void Run(in KernelIO io)
        {
            if (outer == 0 || n == 0 || inner == 0) return;
            long work = outer * n * (long)inner;
            int items = (int)Math.Min(Math.Min(outer, slots), WorkSplit.Count(work, io.Pool.ThreadCount, 1 << 12));
            var body = new Body(this, io.InputPointer<float>(0), io.OutputPointer<float>(0), (float*)io.ScratchPointer, items);
            io.Pool.For(items, ref body);
        }

        private readonly struct Body(SoftmaxKernel k, float* x, float* y, float* scratch, int items) : IParallelBody
        {
            public void Invoke(int index)
            {
                (long start, long end) = WorkSplit.Range(index, items, k.Outer, 1);
                long block = (long)k.N * k.Inner;
                for (long o = start; o < end; o++)
                {
                    if (k.Inner == 1) k.Row(x + o * block, y + o * block);
                    else k.Columns(x + o * block, y + o * block, scratch + (long)index * 2 * k.Inner);
                }
            }
        }

        private void Row(float* x, float* y)
        {
            var source = new ReadOnlySpan<float>(x, n);
            var destination = new Span<float>(y, n);
            float max = TensorPrimitives.Max(source);
            TensorPrimitives.Subtract(source, max, destination);
            if (logarithm)
            {
                // log softmax = (x − max) − log Σ exp(x − max); the exps go through a stack-free second pass.
                float sum = 0;
                for (int i = 0; i < n; i++) sum += MathF.Exp(destination[i]);
                TensorPrimitives.Subtract(destination, MathF.Log(sum), destination);
                return;
            }
            TensorPrimitives.Exp(destination, destination);
            TensorPrimitives.Divide(destination, TensorPrimitives.Sum(destination), destination);
        }

        private void Columns(float* x, float* y, float* scratch)
        {
            var max = new Span<float>(scratch, inner);
            var sum = new Span<float>(scratch + inner, inner);
            new ReadOnlySpan<float>(x, inner).CopyTo(max);
            for (int a = 1; a < n; a++) TensorPrimitives.Max(max, new ReadOnlySpan<float>(x + (long)a * inner, inner), max);
            sum.Clear();
            for (int a = 0; a < n; a++)
            {
                var row = new Span<float>(y + (long)a * inner, inner);
                TensorPrimitives.Subtract(new ReadOnlySpan<float>(x + (long)a * inner, inner), max, row);
                if (logarithm)
                {
                    for (int j = 0; j < inner; j++) sum[j] += MathF.Exp(row[j]);
                }
                else
                {
                    TensorPrimitives.Exp(row, row);
                    TensorPrimitives.Add(sum, row, sum);
                }
            }
            if (logarithm)
            {
                for (int j = 0; j < inner; j++) sum[j] = MathF.Log(sum[j]);
                for (int a = 0; a < n; a++) { var row = new Span<float>(y + (long)a * inner, inner); TensorPrimitives.Subtract(row, sum, row); }
                return;
            }
            for (int a = 0; a < n; a++) { var row = new Span<float>(y + (long)a * inner, inner); TensorPrimitives.Divide(row, sum, row); }
        }
    }
}
