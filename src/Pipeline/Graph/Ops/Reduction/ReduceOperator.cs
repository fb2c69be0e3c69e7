using System.Numerics;
using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Reduction;

/// <summary>The reductions the engine runs.</summary>
internal enum ReduceKind
{
    /// <summary>The arithmetic mean (NaN over an empty set).</summary>
    Mean,
    /// <summary>The maximum (−inf, or the type's minimum, over an empty set).</summary>
    Max,
    /// <summary>The minimum (+inf, or the type's maximum, over an empty set).</summary>
    Min,
    /// <summary>The sum (0 over an empty set).</summary>
    Sum,
}

/// <summary>
/// ReduceMean / ReduceMax / ReduceMin / ReduceSum over a set of axes. The axes are an attribute before the opset that
/// moved them to input 1 (18; 13 for ReduceSum). No axes means all axes, or the identity when
/// <c>noop_with_empty_axes</c> = 1. <c>keepdims</c> (default 1) keeps the reduced axes as size 1.
/// ReduceMax and ReduceMin also take bool (opset 20).
/// </summary>
internal sealed class ReduceOperator(ReduceKind kind, long[]? attributeAxes, bool axesFromInput, bool keepDims, bool noopWithEmptyAxes) : Operator
{
    /// <summary>Which reduction.</summary>
    public ReduceKind Kind { get; } = kind;

    /// <inheritdoc />
    public override string Name => "Reduce" + Kind;

    /// <summary>Per input axis, whether it is reduced; null for the identity (no axes with noop_with_empty_axes).</summary>
    private bool[]? Reduced(int rank, NodeIdentity node, Func<Tensor> axesValue, bool hasAxesInput)
    {
        long[]? axes = attributeAxes;
        if (axesFromInput && hasAxesInput) axes = IntegerValues.ReadVector(axesValue(), node, "the axes");
        var reduced = new bool[rank];
        if (axes is null || axes.Length == 0)
        {
            if (noopWithEmptyAxes) return null;
            reduced.AsSpan().Fill(true);
            return reduced;
        }
        foreach (int a in Axes.NormalizeAll(axes, rank, node)) reduced[a] = true;
        return reduced;
    }

    private bool[]? Reduced(ShapeContext context, int rank)
        => Reduced(rank, context.Node, () => context.RequireValue(1, "the axes"), context.HasInput(1));

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        DataType type = context.InputType(0);
        bool allowed = NumericDispatch.IsNumeric(type) || type == DataType.Bool && Kind is ReduceKind.Max or ReduceKind.Min;
        if (!allowed) throw context.Fail($"{Name} does not support {type}");
        int[] input = context.InputShape(0);
        bool[]? reduced = Reduced(context, input.Length);
        if (reduced is null)
        {
            context.SetOutput(0, type, input);
            return;
        }
        var output = new List<int>(input.Length);
        for (int i = 0; i < input.Length; i++)
        {
            if (!reduced[i]) output.Add(input[i]);
            else if (keepDims) output.Add(1);
        }
        context.SetOutput(0, type, output.ToArray());
        context.Flops = Tensor.ElementCount(input);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] input = context.Input(0).Shape;
        bool[]? reduced = Reduced(input.Length, context.Node,
            () => context.Constant(1) ?? throw context.Node.Fail("the axes (input 1) must be known when planning"), context.HasInput(1));
        DataType type = context.Input(0).Type;
        if (reduced is null) return new CopyKernel(context.Input(0).ByteCount);
        var plan = ReducePlan.Create(input, reduced);
        if (type == DataType.Bool) return new ReduceKernel<byte>(Kind, plan);
        return NumericDispatch.Dispatch<Factory, Kernel>(type, new Factory(Kind, plan));
    }

    /// <inheritdoc />
    public override string Describe() => $"keepdims={(keepDims ? 1 : 0)}";

    private readonly struct Factory(ReduceKind kind, ReducePlan plan) : INumericFactory<Kernel>
    {
        public Kernel Create<T>() where T : unmanaged, INumber<T> => new ReduceKernel<T>(kind, plan);
    }
}
