using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.InteropServices;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Elementwise;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph.Ops.Elementwise;

/// <summary>
/// Sum and Mean of one or more inputs with numpy broadcasting (opset 8+; before, every input has the output's shape).
/// The output accumulates pairwise: out = in₀ + in₁, then out += inₖ, then Mean divides by the count. The compiler
/// may fuse a following activation (a residual Sum's Relu), applied in the last pass.
/// </summary>
internal sealed class VariadicOperator(bool mean, FusedActivation activation = default) : Operator, IFusesActivation
{
    /// <summary>True for Mean, false for Sum.</summary>
    public bool IsMean { get; } = mean;

    /// <inheritdoc />
    public FusedActivation Activation { get; } = activation;

    /// <inheritdoc />
    public Operator WithActivation(FusedActivation fused) => new VariadicOperator(IsMean, fused);

    /// <inheritdoc />
    public override string Describe() => Activation.Kind == ActivationKind.None ? string.Empty : $"+{Activation}";

    /// <inheritdoc />
    public override string Name => IsMean ? "Mean" : "Sum";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        if (context.InputCount == 0) throw context.Fail($"{Name} needs at least one input");
        DataType type = context.InputType(0);
        for (int i = 1; i < context.InputCount; i++)
            if (context.InputType(i) != type) throw context.Fail($"input {i} has type {context.InputType(i)}, expected {type}");
        if (!NumericDispatch.IsNumeric(type)) throw context.Fail($"{Name} does not support {type}");
        int[] shape = Broadcast.Shape(context);
        context.SetOutput(0, type, shape);
        context.Flops = Tensor.ElementCount(shape) * context.InputCount;
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] output = context.Output(0).Shape;
        int n = context.InputCount;
        var layouts = new BroadcastLayout[Math.Max(1, n - 1)];
        if (n == 1) layouts[0] = BroadcastLayout.Create(output, context.Input(0).Shape, context.Input(0).Shape);
        else
        {
            layouts[0] = BroadcastLayout.Create(output, context.Input(0).Shape, context.Input(1).Shape);
            for (int i = 2; i < n; i++) layouts[i - 1] = BroadcastLayout.Create(output, output, context.Input(i).Shape);
        }
        return NumericDispatch.Dispatch<Factory, Kernel>(context.Input(0).Type, new Factory(layouts, n, IsMean, Activation));
    }

    /// <inheritdoc />
    public override bool CanRunInPlace(int input) => input is 0 or 1;

    private readonly struct Factory(BroadcastLayout[] layouts, int count, bool mean, FusedActivation activation) : INumericFactory<Kernel>
    {
        public Kernel Create<T>() where T : unmanaged, INumber<T> => new VariadicKernel<T>(layouts, count, mean, activation);
    }

    private sealed unsafe class VariadicKernel<T>(BroadcastLayout[] layouts, int count, bool mean, FusedActivation activation) : Kernel
        where T : unmanaged, INumber<T>
    {
        public override void Run(in KernelIO io)
        {
            T* d = io.OutputPointer<T>(0);
            long length = layouts[0].ElementCount;
            if (count == 1)
            {
                T* source = io.InputPointer<T>(0);
                if (source != d) new ReadOnlySpan<T>(source, checked((int)length)).CopyTo(new Span<T>(d, checked((int)length)));
                if (activation.Kind != ActivationKind.None) Finish(d, length, T.One, io.Pool);
                return;
            }
            // The activation rides on the last addition unless a division for Mean still follows.
            FusedActivation last = mean ? default : activation;
            BroadcastBinaryKernel<T, AddOperation<T>>.Execute(layouts[0], io.InputPointer<T>(0), io.InputPointer<T>(1), d, io.Pool, count == 2 ? last : default);
            for (int i = 2; i < count; i++)
                BroadcastBinaryKernel<T, AddOperation<T>>.Execute(layouts[i - 1], d, io.InputPointer<T>(i), d, io.Pool, i == count - 1 ? last : default);
            if (mean) Finish(d, length, T.CreateChecked(count), io.Pool);
        }

        /// <summary>d = activation(d / divisor) in one pass.</summary>
        private void Finish(T* d, long length, T divisor, WorkerPool pool)
        {
            var body = new FinishBody(d, length, divisor, activation, WorkSplit.Count(length, pool.ThreadCount));
            pool.For(body.Items, ref body);
        }

        private readonly struct FinishBody(T* d, long length, T divisor, FusedActivation activation, int items) : IParallelBody
        {
            public int Items => items;

            public void Invoke(int index)
            {
                (long start, long end) = WorkSplit.Range(index, items, length);
                if (start >= end) return;
                var span = new Span<T>(d + start, (int)(end - start));
                if (divisor != T.One) TensorPrimitives.Divide(span, divisor, span);
                if (activation.Kind == ActivationKind.None) return;
                if (typeof(T) == typeof(float))
                {
                    Span<float> values = MemoryMarshal.Cast<T, float>(span);
                    FloatLoops.Apply(activation, values, values);
                }
                else for (int i = 0; i < span.Length; i++) span[i] = T.CreateSaturating(activation.Apply(float.CreateSaturating(span[i])));
            }
        }
    }
}
