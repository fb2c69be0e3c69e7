using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pipeline.Tensors.Kernels.Elementwise;

/// <summary>
/// Elementwise float loops: one loop per operation shape, choosing Vector512 → Vector256 → Vector128 → scalar at run
/// time. The tail is finished with narrower vectors and then scalars (never an overlapping re-read), so the
/// destination may be the source (in place) even for functions that are not idempotent.
/// </summary>
internal static class FloatLoops
{
    /// <summary>y[i] = f(x[i]).</summary>
    public static void Map<TFunction>(TFunction f, ReadOnlySpan<float> x, Span<float> y) where TFunction : struct, IUnaryFloatFunction
    {
        if (y.Length < x.Length) throw new ArgumentException("The destination is shorter than the source.", nameof(y));
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 32 <= n; i += 32)
            {
                Vector512<float> a = Vector512.LoadUnsafe(ref xs, i);
                Vector512<float> b = Vector512.LoadUnsafe(ref xs, i + 16);
                f.Invoke(a).StoreUnsafe(ref ys, i);
                f.Invoke(b).StoreUnsafe(ref ys, i + 16);
            }
            for (; i + 16 <= n; i += 16) f.Invoke(Vector512.LoadUnsafe(ref xs, i)).StoreUnsafe(ref ys, i);
        }
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) f.Invoke(Vector256.LoadUnsafe(ref xs, i)).StoreUnsafe(ref ys, i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= n; i += 4) f.Invoke(Vector128.LoadUnsafe(ref xs, i)).StoreUnsafe(ref ys, i);
        for (; i < n; i++) Unsafe.Add(ref ys, i) = f.Invoke(Unsafe.Add(ref xs, i));
    }

    /// <summary>d[i] = f(x[i], y[i]).</summary>
    public static void Map<TFunction>(TFunction f, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) where TFunction : struct, IBinaryFloatFunction
    {
        if (y.Length < x.Length || d.Length < x.Length) throw new ArgumentException("The spans' lengths differ.");
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ds = ref MemoryMarshal.GetReference(d);
        nuint n = (nuint)x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) f.Invoke(Vector512.LoadUnsafe(ref xs, i), Vector512.LoadUnsafe(ref ys, i)).StoreUnsafe(ref ds, i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) f.Invoke(Vector256.LoadUnsafe(ref xs, i), Vector256.LoadUnsafe(ref ys, i)).StoreUnsafe(ref ds, i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= n; i += 4) f.Invoke(Vector128.LoadUnsafe(ref xs, i), Vector128.LoadUnsafe(ref ys, i)).StoreUnsafe(ref ds, i);
        for (; i < n; i++) Unsafe.Add(ref ds, i) = f.Invoke(Unsafe.Add(ref xs, i), Unsafe.Add(ref ys, i));
    }

    /// <summary>x · a + b.</summary>
    public static void Affine(ReadOnlySpan<float> x, float a, float b, Span<float> y) => Map(new AffineFunction(a, b), x, y);

    /// <summary>max(x, 0).</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => Map(new ReluFunction(), x, y);

    /// <summary>x ≥ 0 ? x : alpha · x.</summary>
    public static void LeakyRelu(ReadOnlySpan<float> x, float alpha, Span<float> y) => Map(new LeakyReluFunction(alpha), x, y);

    /// <summary>min(max(x, lo), hi).</summary>
    public static void Clip(ReadOnlySpan<float> x, float lo, float hi, Span<float> y) => Map(new ClipFunction(lo, hi), x, y);

    /// <summary>max(0, min(1, alpha · x + beta)).</summary>
    public static void HardSigmoid(ReadOnlySpan<float> x, float alpha, float beta, Span<float> y) => Map(new HardSigmoidFunction(alpha, beta), x, y);

    /// <summary>x · max(0, min(1, x/6 + 1/2)).</summary>
    public static void HardSwish(ReadOnlySpan<float> x, Span<float> y) => Map(new HardSwishFunction(), x, y);

    /// <summary>x ≥ 0 ? x : alpha · (eˣ − 1).</summary>
    public static void Elu(ReadOnlySpan<float> x, float alpha, Span<float> y) => Map(new EluFunction(alpha), x, y);

    /// <summary>gamma · (x &gt; 0 ? x : alpha · eˣ − alpha).</summary>
    public static void Selu(ReadOnlySpan<float> x, float alpha, float gamma, Span<float> y) => Map(new SeluFunction(alpha, gamma), x, y);

    /// <summary>1 / (1 + e⁻ˣ).</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        if (!x.IsEmpty) TensorPrimitives.Sigmoid(x, y[..x.Length]); // it rejects empty spans
    }

    /// <summary>tanh(x).</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y[..x.Length]);

    /// <summary>eˣ.</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Exp(x, y[..x.Length]);

    /// <summary>x ≥ 0 ? x : slope · x, with a slope per element.</summary>
    public static void PRelu(ReadOnlySpan<float> x, ReadOnlySpan<float> slope, Span<float> y) => Map(new PReluFunction(), x, slope, y);

    /// <summary>Applies <paramref name="activation"/> to <paramref name="x"/> into <paramref name="y"/> (which may be <paramref name="x"/>).</summary>
    public static void Apply(in FusedActivation activation, ReadOnlySpan<float> x, Span<float> y)
    {
        switch (activation.Kind)
        {
            case ActivationKind.None: if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y))) x.CopyTo(y); break;
            case ActivationKind.Relu: Relu(x, y); break;
            case ActivationKind.Clip: Clip(x, activation.Min, activation.Max, y); break;
            case ActivationKind.LeakyRelu: LeakyRelu(x, activation.Alpha, y); break;
            case ActivationKind.Sigmoid: Sigmoid(x, y); break;
            case ActivationKind.HardSwish: HardSwish(x, y); break;
            default: throw new InvalidOperationException($"Unknown activation {activation.Kind}.");
        }
    }
}
