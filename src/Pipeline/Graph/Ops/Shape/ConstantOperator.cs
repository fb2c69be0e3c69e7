using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>Constant: a fixed tensor from the node's attributes (<c>value</c>, <c>value_float(s)</c>, <c>value_int(s)</c>).</summary>
internal sealed class ConstantOperator(Tensor value) : Operator
{
    /// <summary>The tensor the node produces.</summary>
    public Tensor Value { get; } = value;

    /// <inheritdoc />
    public override string Name => "Constant";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context) => context.SetOutput(0, Value.Type, Value.ShapeArray());

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context) => new ConstantKernel(Value);

    /// <inheritdoc />
    public override string Describe() => Value.ToString();
}
