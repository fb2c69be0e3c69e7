using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Elementwise;

namespace Pipeline.Graph.Ops.Activations;

/// <summary>Sigmoid: 1 / (1 + e⁻ˣ). Fusable.</summary>
internal sealed class SigmoidOperator : UnaryOperator, IActivationOperator
{
    /// <inheritdoc />
    public override string Name => "Sigmoid";

    /// <inheritdoc />
    public override void Apply(ReadOnlySpan<float> x, Span<float> y) => FloatLoops.Sigmoid(x, y);

    /// <inheritdoc />
    public override double Apply(double x) => 1 / (1 + Math.Exp(-x));

    /// <inheritdoc />
    public FusedActivation? TryGetActivation(Func<int, Tensor?> constantInput) => new FusedActivation(ActivationKind.Sigmoid);
}
