using Pipeline.Tensors.Kernels.Elementwise;

namespace Pipeline.Graph.Ops.Activations;

/// <summary>Exp: eˣ.</summary>
internal sealed class ExpOperator : UnaryOperator
{
    /// <inheritdoc />
    public override string Name => "Exp";

    /// <inheritdoc />
    public override void Apply(ReadOnlySpan<float> x, Span<float> y) => FloatLoops.Exp(x, y);

    /// <inheritdoc />
    public override double Apply(double x) => Math.Exp(x);
}
