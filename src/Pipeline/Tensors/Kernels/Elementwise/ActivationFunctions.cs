using System.Runtime.Intrinsics;

namespace Pipeline.Tensors.Kernels.Elementwise;

// The activations of ONNX as vectorizable functions. Each scalar form is the ONNX definition; NaN inputs give NaN.

/// <summary>max(x, 0).</summary>
internal readonly struct ReluFunction : IUnaryFloatFunction
{
    public float Invoke(float x) => MathF.Max(x, 0f);
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Max(x, Vector128<float>.Zero);
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
}

/// <summary>x ≥ 0 ? x : alpha · x.</summary>
internal readonly struct LeakyReluFunction(float alpha) : IUnaryFloatFunction
{
    public float Invoke(float x) => x >= 0f ? x : alpha * x;
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero), x, x * alpha);
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), x, x * alpha);
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), x, x * alpha);
}

/// <summary>min(max(x, lo), hi); when lo &gt; hi every value becomes hi, as numpy's clip does.</summary>
internal readonly struct ClipFunction(float lo, float hi) : IUnaryFloatFunction
{
    public float Invoke(float x) => MathF.Min(MathF.Max(x, lo), hi);
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Min(Vector128.Max(x, Vector128.Create(lo)), Vector128.Create(hi));
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Min(Vector256.Max(x, Vector256.Create(lo)), Vector256.Create(hi));
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Min(Vector512.Max(x, Vector512.Create(lo)), Vector512.Create(hi));
}

/// <summary>max(0, min(1, alpha · x + beta)).</summary>
internal readonly struct HardSigmoidFunction(float alpha, float beta) : IUnaryFloatFunction
{
    public float Invoke(float x) => MathF.Max(0f, MathF.Min(1f, alpha * x + beta));
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Max(Vector128<float>.Zero, Vector128.Min(Vector128<float>.One, x * alpha + Vector128.Create(beta)));
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(Vector256<float>.Zero, Vector256.Min(Vector256<float>.One, x * alpha + Vector256.Create(beta)));
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(Vector512<float>.Zero, Vector512.Min(Vector512<float>.One, x * alpha + Vector512.Create(beta)));
}

/// <summary>x · max(0, min(1, x/6 + 1/2)): ONNX's HardSwish, x · HardSigmoid(alpha = 1/6, beta = 0.5).</summary>
internal readonly struct HardSwishFunction : IUnaryFloatFunction
{
    private const float Alpha = 1f / 6f;
    public float Invoke(float x) => x * MathF.Max(0f, MathF.Min(1f, Alpha * x + 0.5f));
    public Vector128<float> Invoke(Vector128<float> x) => x * Vector128.Max(Vector128<float>.Zero, Vector128.Min(Vector128<float>.One, x * Alpha + Vector128.Create(0.5f)));
    public Vector256<float> Invoke(Vector256<float> x) => x * Vector256.Max(Vector256<float>.Zero, Vector256.Min(Vector256<float>.One, x * Alpha + Vector256.Create(0.5f)));
    public Vector512<float> Invoke(Vector512<float> x) => x * Vector512.Max(Vector512<float>.Zero, Vector512.Min(Vector512<float>.One, x * Alpha + Vector512.Create(0.5f)));
}

/// <summary>x ≥ 0 ? x : alpha · (eˣ − 1).</summary>
internal readonly struct EluFunction(float alpha) : IUnaryFloatFunction
{
    public float Invoke(float x) => x >= 0f ? x : alpha * (MathF.Exp(x) - 1f);
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero), x, (Vector128.Exp(x) - Vector128<float>.One) * alpha);
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), x, (Vector256.Exp(x) - Vector256<float>.One) * alpha);
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), x, (Vector512.Exp(x) - Vector512<float>.One) * alpha);
}

/// <summary>gamma · (x &gt; 0 ? x : alpha · eˣ − alpha).</summary>
internal readonly struct SeluFunction(float alpha, float gamma) : IUnaryFloatFunction
{
    public float Invoke(float x) => x > 0f ? gamma * x : gamma * (alpha * MathF.Exp(x) - alpha);
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x * gamma, (Vector128.Exp(x) * alpha - Vector128.Create(alpha)) * gamma);
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x * gamma, (Vector256.Exp(x) * alpha - Vector256.Create(alpha)) * gamma);
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x * gamma, (Vector512.Exp(x) * alpha - Vector512.Create(alpha)) * gamma);
}

/// <summary>PRelu with a per-element slope: x ≥ 0 ? x : slope · x.</summary>
internal readonly struct PReluFunction : IBinaryFloatFunction
{
    public float Invoke(float x, float slope) => x >= 0f ? x : slope * x;
    public Vector128<float> Invoke(Vector128<float> x, Vector128<float> slope) => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero), x, x * slope);
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> slope) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), x, x * slope);
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> slope) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), x, x * slope);
}
