using Pipeline.Tensors.Kernels.Elementwise;

namespace Pipeline.Graph.Ops.Activations;

/// <summary>Elu: x ≥ 0 ? x : alpha · (eˣ − 1); alpha defaults to 1.</summary>
internal sealed class EluOperator(float alpha) : UnaryOperator
{
    /// <summary>The scale of the negative branch.</summary>
    public float Alpha { get; } = alpha;

    /// <inheritdoc />
    public override string Name => "Elu";

    /// <inheritdoc />
    public override void Apply(ReadOnlySpan<float> x, Span<float> y) => FloatLoops.Elu(x, Alpha, y);

    /// <inheritdoc />
    public override double Apply(double x) => x >= 0 ? x : Alpha * (Math.Exp(x) - 1);

    /// <inheritdoc />
    public override string Describe() => $"alpha={Alpha}";
}
