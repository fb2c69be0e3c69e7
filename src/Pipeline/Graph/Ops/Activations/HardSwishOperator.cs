using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Elementwise;

namespace Pipeline.Graph.Ops.Activations;

/// <summary>HardSwish: x · max(0, min(1, x/6 + 1/2)). Fusable.</summary>
internal sealed class HardSwishOperator : UnaryOperator, IActivationOperator
{
    /// <inheritdoc />
    public override string Name => "HardSwish";

    /// <inheritdoc />
    public override void Apply(ReadOnlySpan<float> x, Span<float> y) => FloatLoops.HardSwish(x, y);

    /// <inheritdoc />
    public override double Apply(double x) => x * Math.Max(0, Math.Min(1, x / 6 + 0.5));

    /// <inheritdoc />
    public FusedActivation? TryGetActivation(Func<int, Tensor?> constantInput) => new FusedActivation(ActivationKind.HardSwish);
}
