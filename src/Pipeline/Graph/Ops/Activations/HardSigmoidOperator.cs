using Pipeline.Tensors.Kernels.Elementwise;

namespace Pipeline.Graph.Ops.Activations;

/// <summary>HardSigmoid: max(0, min(1, alpha · x + beta)); alpha defaults to 0.2, beta to 0.5.</summary>
internal sealed class HardSigmoidOperator(float alpha, float beta) : UnaryOperator
{
    /// <summary>The slope.</summary>
    public float Alpha { get; } = alpha;

    /// <summary>The offset.</summary>
    public float Beta { get; } = beta;

    /// <inheritdoc />
    public override string Name => "HardSigmoid";

    /// <inheritdoc />
    public override void Apply(ReadOnlySpan<float> x, Span<float> y) => FloatLoops.HardSigmoid(x, Alpha, Beta, y);

    /// <inheritdoc />
    public override double Apply(double x) => Math.Max(0, Math.Min(1, Alpha * x + Beta));

    /// <inheritdoc />
    public override string Describe() => $"alpha={Alpha} beta={Beta}";
}
