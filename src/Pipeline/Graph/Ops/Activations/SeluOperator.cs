using Pipeline.Tensors.Kernels.Elementwise;

namespace Pipeline.Graph.Ops.Activations;

/// <summary>Selu: gamma · (x &gt; 0 ? x : alpha · eˣ − alpha), with the self-normalizing defaults for alpha and gamma.</summary>
internal sealed class SeluOperator(float alpha, float gamma) : UnaryOperator
{
    /// <summary>ONNX's default alpha (1.67326…, as a float).</summary>
    public const float DefaultAlpha = 1.67326319217681884765625f;

    /// <summary>ONNX's default gamma (1.05070…, as a float).</summary>
    public const float DefaultGamma = 1.05070102214813232421875f;

    /// <summary>The scale of the exponential branch.</summary>
    public float Alpha { get; } = alpha;

    /// <summary>The overall scale.</summary>
    public float Gamma { get; } = gamma;

    /// <inheritdoc />
    public override string Name => "Selu";

    /// <inheritdoc />
    public override void Apply(ReadOnlySpan<float> x, Span<float> y) => FloatLoops.Selu(x, Alpha, Gamma, y);

    /// <inheritdoc />
    public override double Apply(double x) => x > 0 ? Gamma * x : Gamma * (Alpha * Math.Exp(x) - Alpha);

    /// <inheritdoc />
    public override string Describe() => $"alpha={Alpha} gamma={Gamma}";
}
