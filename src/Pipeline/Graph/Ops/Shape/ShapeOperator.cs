using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>
/// Shape: the input's dimensions as an int64 vector, optionally the slice [start, end) (opset 15+; negative values
/// count from the end and both clamp to [0, rank]).
/// </summary>
internal sealed class ShapeOperator(long start, long? end) : Operator
{
    /// <inheritdoc />
    public override string Name => "Shape";

    private (int Start, int End) Range(int rank)
    {
        static int Clamp(long v, int rank) => (int)Math.Clamp(v < 0 ? v + rank : v, 0, rank);
        int s = Clamp(start, rank);
        int e = end is { } x ? Clamp(x, rank) : rank;
        return (s, Math.Max(s, e));
    }

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        (int s, int e) = Range(context.InputShape(0).Length);
        context.SetOutput(0, DataType.Int64, [e - s]);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] shape = context.Input(0).Shape;
        (int s, int e) = Range(shape.Length);
        var dims = new long[e - s];
        for (int i = s; i < e; i++) dims[i - s] = shape[i];
        return new ConstantKernel(Tensor.Create(dims, dims.Length));
    }

    /// <inheritdoc />
    public override string Describe() => end is null ? $"start={start}" : $"start={start} end={end}";
}
