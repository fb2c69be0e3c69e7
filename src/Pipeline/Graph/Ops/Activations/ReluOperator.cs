using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Elementwise;

namespace Pipeline.Graph.Ops.Activations;

/// <summary>Relu: max(x, 0), on floats and (opset 14+) signed integers. Fusable into a producing conv or gemm.</summary>
internal sealed class ReluOperator : UnaryOperator, IActivationOperator
{
    /// <inheritdoc />
    public override string Name => "Relu";

    /// <inheritdoc />
    protected override bool Supports(DataType type) => NumericDispatch.IsNumeric(type);

    /// <inheritdoc />
    public override void Apply(ReadOnlySpan<float> x, Span<float> y) => FloatLoops.Relu(x, y);

    /// <inheritdoc />
    public override double Apply(double x) => Math.Max(x, 0);

    /// <inheritdoc />
    public override void ApplyInteger<T>(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Max(x, T.Zero, y);

    /// <inheritdoc />
    public FusedActivation? TryGetActivation(Func<int, Tensor?> constantInput) => FusedActivation.Relu;
}
