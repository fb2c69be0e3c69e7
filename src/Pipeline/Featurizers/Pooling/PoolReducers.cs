using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pipeline.Featurizers.Pooling;

/// <summary>
/// The math of one pooling reduction, written once for every vector width (the TensorPrimitives pattern): each value
/// is mapped, then combined with the accumulator, which starts at <see cref="Seed"/>. The scalar members compute
/// exactly what one lane of the vector members computes, so every width gives the same per-lane results.
/// </summary>
internal interface IPoolReducer
{
    float Seed { get; }

    float Map(float x);

    Vector128<float> Map(Vector128<float> x);

    Vector256<float> Map(Vector256<float> x);

    Vector512<float> Map(Vector512<float> x);

    float Combine(float a, float b);

    Vector128<float> Combine(Vector128<float> a, Vector128<float> b);

    Vector256<float> Combine(Vector256<float> a, Vector256<float> b);

    Vector512<float> Combine(Vector512<float> a, Vector512<float> b);
}

/// <summary>Sums the values (average pooling divides afterwards).</summary>
internal readonly struct SumReducer : IPoolReducer
{
    public float Seed => 0f;

    public float Map(float x) => x;

    public Vector128<float> Map(Vector128<float> x) => x;

    public Vector256<float> Map(Vector256<float> x) => x;

    public Vector512<float> Map(Vector512<float> x) => x;

    public float Combine(float a, float b) => a + b;

    public Vector128<float> Combine(Vector128<float> a, Vector128<float> b) => a + b;

    public Vector256<float> Combine(Vector256<float> a, Vector256<float> b) => a + b;

    public Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => a + b;
}

/// <summary>The maximum (feature maps are finite: the backbone's outputs are trusted data).</summary>
internal readonly struct MaxReducer : IPoolReducer
{
    public float Seed => float.NegativeInfinity;

    public float Map(float x) => x;

    public Vector128<float> Map(Vector128<float> x) => x;

    public Vector256<float> Map(Vector256<float> x) => x;

    public Vector512<float> Map(Vector512<float> x) => x;

    public float Combine(float a, float b) => MathF.Max(a, b);

    public Vector128<float> Combine(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);

    public Vector256<float> Combine(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);

    public Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
}

/// <summary>
/// GeM's inner sum: <c>Σ max(x, ε)^p</c> with ε = 1e-6. Integer powers 1 to 8 are repeated multiplications (exact and
/// fast: p = 3 is two multiplies); other powers are <c>exp(p · ln x)</c>, whose scalar path runs the 128-bit vector
/// math on one lane so that every width agrees.
/// </summary>
internal readonly struct PowerSumReducer : IPoolReducer
{
    public const float Epsilon = 1e-6f;

    private readonly float _p;
    private readonly int _integer; // p when it is an integer in 1..8, else 0

    public PowerSumReducer(float p)
    {
        _p = p;
        _integer = p == MathF.Round(p) && p is >= 1 and <= 8 ? (int)p : 0;
    }

    public float Seed => 0f;

    public float Map(float x)
    {
        x = MathF.Max(x, Epsilon);
        if (_integer > 0)
        {
            float r = x;
            for (int i = 1; i < _integer; i++) r *= x;
            return r;
        }
        return Vector128.Exp(Vector128.Log(Vector128.CreateScalar(x)) * _p).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Map(Vector128<float> x)
    {
        x = Vector128.Max(x, Vector128.Create(Epsilon));
        if (_integer == 0) return Vector128.Exp(Vector128.Log(x) * _p);
        Vector128<float> r = x;
        for (int i = 1; i < _integer; i++) r *= x;
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Map(Vector256<float> x)
    {
        x = Vector256.Max(x, Vector256.Create(Epsilon));
        if (_integer == 0) return Vector256.Exp(Vector256.Log(x) * _p);
        Vector256<float> r = x;
        for (int i = 1; i < _integer; i++) r *= x;
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Map(Vector512<float> x)
    {
        x = Vector512.Max(x, Vector512.Create(Epsilon));
        if (_integer == 0) return Vector512.Exp(Vector512.Log(x) * _p);
        Vector512<float> r = x;
        for (int i = 1; i < _integer; i++) r *= x;
        return r;
    }

    public float Combine(float a, float b) => a + b;

    public Vector128<float> Combine(Vector128<float> a, Vector128<float> b) => a + b;

    public Vector256<float> Combine(Vector256<float> a, Vector256<float> b) => a + b;

    public Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => a + b;
}
