using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Elementwise;

namespace Pipeline.Graph.Ops.Activations;

/// <summary>LeakyRelu: x ≥ 0 ? x : alpha · x (alpha defaults to 0.01). Fusable.</summary>
internal sealed class LeakyReluOperator(float alpha) : UnaryOperator, IActivationOperator
{
    /// <summary>The slope for negative inputs.</summary>
    public float Alpha { get; } = alpha;

    /// <inheritdoc />
    public override string Name => "LeakyRelu";

    /// <inheritdoc />
    public override void Apply(ReadOnlySpan<float> x, Span<float> y) => FloatLoops.LeakyRelu(x, Alpha, y);

    /// <inheritdoc />
    public override double Apply(double x) => x >= 0 ? x : Alpha * x;

    /// <inheritdoc />
    public FusedActivation? TryGetActivation(Func<int, Tensor?> constantInput) => new FusedActivation(ActivationKind.LeakyRelu, Alpha: Alpha);

    /// <inheritdoc />
    public override string Describe() => $"alpha={Alpha}";
}
