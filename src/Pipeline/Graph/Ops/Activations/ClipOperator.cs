using System.Numerics;
using System.Runtime.CompilerServices;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Elementwise;
using Pipeline.Tensors.Parallelism;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Pipeline.Graph.Ops.Activations;

/// <summary>
/// Clip: min(max(x, lo), hi) on every numeric type. From opset 11 the bounds are optional scalar inputs 1 and 2,
/// read when the kernel runs (an absent bound is the type's extreme); before, they are the <c>min</c>/<c>max</c>
/// attributes (<see cref="AttributeBounds"/>). When lo &gt; hi every element becomes hi. Fusable when its bounds are
/// constants.
/// </summary>
internal sealed class ClipOperator : Operator, IActivationOperator
{
    /// <summary>The input form (opset 11+): which bound inputs the node has.</summary>
    public ClipOperator(bool hasMin, bool hasMax)
    {
        HasMinInput = hasMin;
        HasMaxInput = hasMax;
    }

    /// <summary>The attribute form (opsets 1–10).</summary>
    public ClipOperator(float min, float max) => AttributeBounds = (min, max);

    /// <summary>Whether input 1 (min) is present.</summary>
    public bool HasMinInput { get; }

    /// <summary>Whether input 2 (max) is present.</summary>
    public bool HasMaxInput { get; }

    /// <summary>The bounds of the attribute form, or null for the input form.</summary>
    public (float Min, float Max)? AttributeBounds { get; }

    /// <inheritdoc />
    public override string Name => "Clip";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        DataType type = context.InputType(0);
        if (!NumericDispatch.IsNumeric(type)) throw context.Fail($"Clip does not support {type}");
        for (int i = 1; i <= 2; i++)
        {
            if (!context.HasInput(i)) continue;
            if (context.InputType(i) != type) throw context.Fail($"bound input {i} has type {context.InputType(i)}, expected {type}");
            if (context.Input(i).ElementCount != 1) throw context.Fail($"bound input {i} must be a scalar, got shape {Axes.Format(context.InputShape(i))}");
        }
        int[] shape = context.InputShape(0);
        context.SetOutput(0, type, shape);
        context.Flops = Tensor.ElementCount(shape);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        TensorInfo input = context.Input(0);
        if (AttributeBounds is not null && input.Type != DataType.Float32 && !NumericDispatch.IsFloat(input.Type))
            throw context.Node.Fail($"the attribute form of Clip supports floats only, got {input.Type}");
        return NumericDispatch.Dispatch<Factory, Kernel>(input.Type, new Factory(this, input.ElementCount));
    }

    /// <inheritdoc />
    public override bool CanRunInPlace(int input) => input == 0;

    /// <inheritdoc />
    public FusedActivation? TryGetActivation(Func<int, Tensor?> constantInput)
    {
        if (AttributeBounds is { } b) return new FusedActivation(ActivationKind.Clip, b.Min, b.Max);
        float lo = float.NegativeInfinity, hi = float.PositiveInfinity;
        if (HasMinInput)
        {
            if (constantInput(1) is not { Type: DataType.Float32, Length: 1 } t) return null;
            lo = t.AsSpan<float>()[0];
        }
        if (HasMaxInput)
        {
            if (constantInput(2) is not { Type: DataType.Float32, Length: 1 } t) return null;
            hi = t.AsSpan<float>()[0];
        }
        return new FusedActivation(ActivationKind.Clip, lo, hi);
    }

    private readonly struct Factory(ClipOperator op, long length) : INumericFactory<Kernel>
    {
        public Kernel Create<T>() where T : unmanaged, INumber<T> => new ClipKernel<T>(op, length);
    }

    private sealed unsafe class ClipKernel<T>(ClipOperator op, long length) : Kernel where T : unmanaged, INumber<T>
    {
        public override void Run(in KernelIO io)
        {
            T lo, hi;
            if (op.AttributeBounds is { } b)
            {
                lo = T.CreateSaturating(b.Min);
                hi = T.CreateSaturating(b.Max);
            }
            else
            {
                lo = op.HasMinInput && io.HasInput(1) ? *io.InputPointer<T>(1) : Lowest;
                hi = op.HasMaxInput && io.HasInput(2) ? *io.InputPointer<T>(2) : Highest;
            }
            var body = new Body(io.InputPointer<T>(0), io.OutputPointer<T>(0), lo, hi, length, WorkSplit.Count(length, io.Pool.ThreadCount));
            io.Pool.For(body.Items, ref body);
        }

        private static T Lowest => typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(Half)
            ? T.CreateChecked(double.NegativeInfinity) : T.CreateSaturating(double.MinValue);

        private static T Highest => typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(Half)
            ? T.CreateChecked(double.PositiveInfinity) : T.CreateSaturating(double.MaxValue);

        private readonly struct Body(T* x, T* y, T lo, T hi, long length, int items) : IParallelBody
        {
            public int Items => items;

            public void Invoke(int index)
            {
                (long start, long end) = WorkSplit.Range(index, items, length);
                int n = (int)(end - start);
                if (n <= 0) return;
                if (typeof(T) == typeof(float))
                {
                    FloatLoops.Clip(new ReadOnlySpan<float>((float*)x + start, n), Unsafe.As<T, float>(ref Unsafe.AsRef(in lo)), Unsafe.As<T, float>(ref Unsafe.AsRef(in hi)), new Span<float>((float*)y + start, n));
                    return;
                }
                var source = new ReadOnlySpan<T>(x + start, n);
                var destination = new Span<T>(y + start, n);
                TensorPrimitives.Max(source, lo, destination);
                TensorPrimitives.Min(destination, hi, destination);
            }
        }
    }
}
