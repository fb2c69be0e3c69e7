using Pipeline.Tensors.Kernels.Elementwise;

namespace Pipeline.Graph.Ops.Activations;

/// <summary>Tanh: the hyperbolic tangent.</summary>
internal sealed class TanhOperator : UnaryOperator
{
    /// <inheritdoc />
    public override string Name => "Tanh";

    /// <inheritdoc />
    public override void Apply(ReadOnlySpan<float> x, Span<float> y) => FloatLoops.Tanh(x, y);

    /// <inheritdoc />
    public override double Apply(double x) => Math.Tanh(x);
}
