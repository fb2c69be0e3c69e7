using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Pipeline.Graph.Ops.Elementwise;

/// <summary>
/// The math of one binary elementwise operation on a row of elements, in the three shapes broadcasting produces:
/// two rows, a row and a repeated scalar, a repeated scalar and a row. The destination may be one of the inputs
/// (in place). Implementations are structs so the broadcast loop is specialized per operation.
/// </summary>
internal interface IBinaryOperation<T> where T : unmanaged
{
    /// <summary>d[i] = op(x[i], y[i]).</summary>
    static abstract void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d);

    /// <summary>d[i] = op(x[i], y).</summary>
    static abstract void Apply(ReadOnlySpan<T> x, T y, Span<T> d);

    /// <summary>d[i] = op(x, y[i]).</summary>
    static abstract void Apply(T x, ReadOnlySpan<T> y, Span<T> d);
}

/// <summary>x + y, wrapping for integers.</summary>
internal readonly struct AddOperation<T> : IBinaryOperation<T> where T : unmanaged, INumber<T>
{
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Add(x, y, d);
    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Add(x, y, d);
    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Add(y, x, d);
}

/// <summary>x − y, wrapping for integers.</summary>
internal readonly struct SubtractOperation<T> : IBinaryOperation<T> where T : unmanaged, INumber<T>
{
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
}

/// <summary>x · y, wrapping for integers.</summary>
internal readonly struct MultiplyOperation<T> : IBinaryOperation<T> where T : unmanaged, INumber<T>
{
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Multiply(x, y, d);
    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Multiply(x, y, d);
    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Multiply(y, x, d);
}

/// <summary>
/// x / y. Floats follow IEEE 754 (x/0 is ±inf or NaN). Integers truncate toward zero, as ONNX specifies; the two
/// cases where the CLR would throw are defined instead of crashing: x/0 gives 0, and MinValue/−1 wraps to MinValue.
/// </summary>
internal readonly struct DivideOperation<T> : IBinaryOperation<T> where T : unmanaged, INumber<T>
{
    private static bool IsFloat => typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(Half);

    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        if (IsFloat) { TensorPrimitives.Divide(x, y, d); return; }
        for (int i = 0; i < d.Length; i++) d[i] = Integer(x[i], y[i]);
    }

    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> d)
    {
        if (IsFloat) { TensorPrimitives.Divide(x, y, d); return; }
        for (int i = 0; i < d.Length; i++) d[i] = Integer(x[i], y);
    }

    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> d)
    {
        if (IsFloat) { TensorPrimitives.Divide(x, y, d); return; }
        for (int i = 0; i < d.Length; i++) d[i] = Integer(x, y[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Integer(T x, T y)
    {
        if (T.IsZero(y)) return T.Zero;
        // For a signed type, T.Zero - T.One is -1; dividing MinValue by it overflows (the CLR throws), so negate instead.
        if (T.IsNegative(T.Zero - T.One) && y == T.Zero - T.One) return T.Zero - x;
        return x / y;
    }
}

/// <summary>PRelu: x where x ≥ 0, else slope · x (y is the slope).</summary>
internal readonly struct PReluOperation<T> : IBinaryOperation<T> where T : unmanaged, INumber<T>
{
    public static void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        if (typeof(T) == typeof(float))
        {
            Tensors.Kernels.Elementwise.FloatLoops.PRelu(Cast(x), Cast(y), CastMutable(d));
            return;
        }
        for (int i = 0; i < d.Length; i++) d[i] = T.IsNegative(x[i]) ? x[i] * y[i] : x[i];
    }

    public static void Apply(ReadOnlySpan<T> x, T y, Span<T> d)
    {
        if (typeof(T) == typeof(float))
        {
            Tensors.Kernels.Elementwise.FloatLoops.LeakyRelu(Cast(x), Unsafe.As<T, float>(ref y), CastMutable(d));
            return;
        }
        for (int i = 0; i < d.Length; i++) d[i] = T.IsNegative(x[i]) ? x[i] * y : x[i];
    }

    public static void Apply(T x, ReadOnlySpan<T> y, Span<T> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = T.IsNegative(x) ? x * y[i] : x;
    }

    private static ReadOnlySpan<float> Cast(ReadOnlySpan<T> s) => System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(s);
    private static Span<float> CastMutable(Span<T> s) => System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(s);
}
