using System.Numerics;
using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Elementwise;

/// <summary>
/// PRelu: y = x where x ≥ 0, else slope · x. The slope broadcasts onto x in one direction (numpy rules, opset 7+);
/// before opset 7 a 1-D slope of x's channel count applies per channel.
/// </summary>
internal sealed class PReluOperator(bool legacyChannelSlope) : Operator
{
    /// <inheritdoc />
    public override string Name => "PRelu";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        DataType type = context.InputType(0);
        if (context.InputType(1) != type) throw context.Fail($"slope type {context.InputType(1)} differs from input type {type}");
        if (!NumericDispatch.IsNumeric(type)) throw context.Fail($"PRelu does not support {type}");
        int[] x = context.InputShape(0);
        int[] slope = SlopeShape(x, context.InputShape(1));
        if (!Broadcast.IsUnidirectional(slope, x))
            throw context.Fail($"slope of shape {Axes.Format(context.InputShape(1))} does not broadcast onto input {Axes.Format(x)}");
        context.SetOutput(0, type, x);
        context.Flops = Tensor.ElementCount(x);
    }

    private int[] SlopeShape(int[] x, int[] slope)
    {
        if (!legacyChannelSlope || slope.Length != 1 || x.Length < 3 || slope[0] != x[1]) return slope;
        var aligned = new int[x.Length - 1];
        aligned.AsSpan().Fill(1);
        aligned[0] = slope[0];
        return aligned;
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] x = context.Input(0).Shape;
        BroadcastLayout layout = BroadcastLayout.Create(x, x, SlopeShape(x, context.Input(1).Shape));
        return NumericDispatch.Dispatch<Factory, Kernel>(context.Input(0).Type, new Factory(layout));
    }

    /// <inheritdoc />
    public override bool CanRunInPlace(int input) => input == 0;

    private readonly struct Factory(BroadcastLayout layout) : INumericFactory<Kernel>
    {
        public Kernel Create<T>() where T : unmanaged, INumber<T> => new BroadcastBinaryKernel<T, PReluOperation<T>>(layout);
    }
}
