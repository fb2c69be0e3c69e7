using System.Numerics;
using Pipeline.Training.Numerics;

namespace Pipeline.Training.Optimizers;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as PyTorch's AdamW:
/// <code>
///   m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²
///   θ ← θ − lr·wd·θ  (weights only)   θ ← θ − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
/// </code>
/// Element-wise, so the vector and scalar paths give identical bits (no fused multiply-add is involved).
/// </summary>
internal sealed class AdamW(DenseLayout layout, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
{
    private readonly float[] _m = new float[layout.ParameterCount];
    private readonly float[] _v = new float[layout.ParameterCount];
    private int _step;

    /// <summary>Steps taken.</summary>
    public int StepCount => _step;

    /// <summary>Applies one update with <paramref name="gradient"/> at learning rate <paramref name="learningRate"/>.</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient, double learningRate, double weightDecay)
    {
        _step++;
        float c1 = (float)(1 - Math.Pow(beta1, _step)), c2 = (float)(1 - Math.Pow(beta2, _step));
        var h = new Hyper((float)beta1, (float)beta2, (float)epsilon, (float)learningRate, 1f / c1, 1f / c2);
        for (int l = 0; l < layout.LayerCount; l++)
        {
            int w = layout.WeightOffset(l), b = layout.BiasOffset(l), end = b + layout.Out(l);
            Update(parameters[w..b], gradient[w..b], _m.AsSpan(w, b - w), _v.AsSpan(w, b - w), h, (float)(1 - learningRate * weightDecay));
            Update(parameters[b..end], gradient[b..end], _m.AsSpan(b, end - b), _v.AsSpan(b, end - b), h, 1f);
        }
    }

    private readonly record struct Hyper(float Beta1, float Beta2, float Epsilon, float Rate, float InvC1, float InvC2);

    private static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Hyper h, float decay)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var b1 = new Vector<float>(h.Beta1); var b1c = new Vector<float>(1 - h.Beta1);
            var b2 = new Vector<float>(h.Beta2); var b2c = new Vector<float>(1 - h.Beta2);
            var eps = new Vector<float>(h.Epsilon); var rate = new Vector<float>(h.Rate);
            var ic1 = new Vector<float>(h.InvC1); var ic2 = new Vector<float>(h.InvC2); var keep = new Vector<float>(decay);
            for (; i + Vector<float>.Count <= p.Length; i += Vector<float>.Count)
            {
                var gi = new Vector<float>(g[i..]);
                var mi = b1 * new Vector<float>(m[i..]) + b1c * gi;
                var vi = b2 * new Vector<float>(v[i..]) + b2c * (gi * gi);
                var pi = new Vector<float>(p[i..]) * keep - rate * (mi * ic1) / (Vector.SquareRoot(vi * ic2) + eps);
                mi.CopyTo(m[i..]); vi.CopyTo(v[i..]); pi.CopyTo(p[i..]);
            }
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i];
            float mi = h.Beta1 * m[i] + (1 - h.Beta1) * gi;
            float vi = h.Beta2 * v[i] + (1 - h.Beta2) * (gi * gi);
            p[i] = p[i] * decay - h.Rate * (mi * h.InvC1) / (MathF.Sqrt(vi * h.InvC2) + h.Epsilon);
            m[i] = mi; v[i] = vi;
        }
    }
}
