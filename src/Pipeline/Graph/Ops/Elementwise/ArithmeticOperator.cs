using System.Numerics;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;

namespace Pipeline.Graph.Ops.Elementwise;

/// <summary>The four arithmetic operators of ONNX.</summary>
internal enum ArithmeticKind
{
    /// <summary>x + y.</summary>
    Add,
    /// <summary>x − y.</summary>
    Sub,
    /// <summary>x · y.</summary>
    Mul,
    /// <summary>x / y (integers truncate toward zero).</summary>
    Div,
}

/// <summary>
/// Add, Sub, Mul and Div on every numeric type, with numpy broadcasting (opset 7+). Before opset 7 the second input
/// broadcasts onto the first only when the <c>broadcast</c> attribute says so, aligned at <c>axis</c> (or at the end);
/// <see cref="LegacyBroadcast"/> carries that. Integers wrap on overflow, like numpy. The compiler may fuse a following
/// activation (a residual Add's Relu) into the kernel.
/// </summary>
internal sealed class ArithmeticOperator(ArithmeticKind kind, LegacyBroadcast? legacy = null, FusedActivation activation = default) : Operator, IFusesActivation
{
    /// <summary>Which operation.</summary>
    public ArithmeticKind Kind { get; } = kind;

    /// <summary>True for an opset 1–6 node with broadcast=1 (B aligned at an axis, not by numpy rules).</summary>
    public bool IsLegacyBroadcast => legacy is { Enabled: true };

    /// <inheritdoc />
    public FusedActivation Activation { get; } = activation;

    /// <inheritdoc />
    public Operator WithActivation(FusedActivation fused) => new ArithmeticOperator(Kind, legacy, fused);

    /// <inheritdoc />
    public override string Describe() => Activation.Kind == ActivationKind.None ? string.Empty : $"+{Activation}";

    /// <inheritdoc />
    public override string Name => Kind.ToString();

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        DataType type = context.InputType(0);
        if (context.InputType(1) != type)
            throw context.Fail($"both inputs must have one type, got {type} and {context.InputType(1)}");
        if (!NumericDispatch.IsNumeric(type)) throw context.Fail($"{Name} does not support {type}");
        int[] shape = OutputShape(context, context.InputShape(0), context.InputShape(1));
        context.SetOutput(0, type, shape);
        context.Flops = Tensor.ElementCount(shape);
    }

    private int[] OutputShape(ShapeContext context, int[] a, int[] b)
    {
        if (legacy is { } l)
        {
            int[] aligned = l.Align(a, b, context);
            if (!Broadcast.IsUnidirectional(aligned, a))
                throw context.Fail($"input 1 of shape {Axes.Format(b)} does not broadcast onto {Axes.Format(a)}");
            return a;
        }
        return Broadcast.TryShape(a, b)
            ?? throw context.Fail($"input shapes {Axes.Format(a)} and {Axes.Format(b)} cannot be broadcast together");
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] a = context.Input(0).Shape;
        int[] b = context.Input(1).Shape;
        if (legacy is { } l) b = l.Align(a, b, null);
        BroadcastLayout layout = BroadcastLayout.Create(context.Output(0).Shape, a, b);
        return NumericDispatch.Dispatch<Factory, Kernel>(context.Input(0).Type, new Factory(Kind, layout, Activation));
    }

    /// <inheritdoc />
    public override bool CanRunInPlace(int input) => input is 0 or 1;

    private readonly struct Factory(ArithmeticKind kind, BroadcastLayout layout, FusedActivation activation) : INumericFactory<Kernel>
    {
        public Kernel Create<T>() where T : unmanaged, INumber<T> => kind switch
        {
            ArithmeticKind.Add => new BroadcastBinaryKernel<T, AddOperation<T>>(layout, activation),
            ArithmeticKind.Sub => new BroadcastBinaryKernel<T, SubtractOperation<T>>(layout, activation),
            ArithmeticKind.Mul => new BroadcastBinaryKernel<T, MultiplyOperation<T>>(layout, activation),
            _ => new BroadcastBinaryKernel<T, DivideOperation<T>>(layout, activation),
        };
    }
}

/// <summary>
/// The broadcasting of opsets 1–6: when <c>broadcast</c> = 1, input B's dimensions line up with A's starting at
/// <c>axis</c> (or at A's end when no axis is given), and B must broadcast onto A.
/// </summary>
internal readonly record struct LegacyBroadcast(bool Enabled, long? Axis)
{
    /// <summary>B's shape padded with trailing 1s so that numpy rules give the legacy alignment; fails when disallowed.</summary>
    public int[] Align(int[] a, int[] b, ShapeContext? context)
    {
        if (!Enabled)
        {
            if (a.AsSpan().SequenceEqual(b)) return b;
            throw (context?.Node ?? default).Fail($"inputs of shapes {Axes.Format(a)} and {Axes.Format(b)} differ and the node does not set broadcast=1");
        }
        if (Axis is not { } axis) return b;
        int start = (int)(axis < 0 ? axis + a.Length : axis);
        int trailing = a.Length - start - b.Length;
        if (start < 0 || trailing < 0)
            throw (context?.Node ?? default).Fail($"axis {axis} does not place input of shape {Axes.Format(b)} inside {Axes.Format(a)}");
        var aligned = new int[b.Length + trailing];
        b.CopyTo(aligned, 0);
        aligned.AsSpan(b.Length).Fill(1);
        return aligned;
    }
}
