using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Pipeline.Tensors.Numerics;

/// <summary>
/// Vectorized rows of <see cref="QuantizationMath"/> for the common 8-bit case: float32 ↔ uint8/int8 with one scale
/// and zero point per row. Each matches the scalar formula exactly (division, not multiplication by a reciprocal,
/// and rounding half to even).
/// </summary>
internal static class QuantizationLoops
{
    /// <summary>q[i] = clamp(round_half_even(x[i] / scale) + zeroPoint, 0, 255).</summary>
    public static void Quantize(ReadOnlySpan<float> x, float scale, int zeroPoint, Span<byte> q)
        => Quantize(x, scale, zeroPoint, 0, 255, MemoryMarshal.Cast<byte, sbyte>(q), unsigned: true);

    /// <summary>q[i] = clamp(round_half_even(x[i] / scale) + zeroPoint, −128, 127).</summary>
    public static void Quantize(ReadOnlySpan<float> x, float scale, int zeroPoint, Span<sbyte> q)
        => Quantize(x, scale, zeroPoint, -128, 127, q, unsigned: false);

    private static void Quantize(ReadOnlySpan<float> x, float scale, int zeroPoint, int min, int max, Span<sbyte> q, bool unsigned)
    {
        if (q.Length < x.Length) throw new ArgumentException("The destination is shorter than the source.", nameof(q));
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref sbyte qs = ref MemoryMarshal.GetReference(q);
        nuint n = (nuint)x.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vScale = Vector256.Create(scale), vZero = Vector256.Create((float)zeroPoint);
            Vector256<float> vMin = Vector256.Create((float)min), vMax = Vector256.Create((float)max);
            for (; i + 32 <= n; i += 32)
            {
                Vector256<int> a = Step(Vector256.LoadUnsafe(ref xs, i), vScale, vZero, vMin, vMax);
                Vector256<int> b = Step(Vector256.LoadUnsafe(ref xs, i + 8), vScale, vZero, vMin, vMax);
                Vector256<int> c = Step(Vector256.LoadUnsafe(ref xs, i + 16), vScale, vZero, vMin, vMax);
                Vector256<int> d = Step(Vector256.LoadUnsafe(ref xs, i + 24), vScale, vZero, vMin, vMax);
                // Values are already in range, so truncating narrows are exact (uint8 values 128..255 wrap to the same bits).
                Vector256<sbyte> packed = Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, d));
                packed.StoreUnsafe(ref qs, i);
            }
        }
        for (; i < n; i++)
        {
            int v = QuantizationMath.Quantize(Unsafe.Add(ref xs, i), scale, zeroPoint, min, max);
            Unsafe.Add(ref qs, i) = unsigned ? (sbyte)(byte)v : (sbyte)v;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Step(Vector256<float> x, Vector256<float> scale, Vector256<float> zero, Vector256<float> min, Vector256<float> max)
    {
        Vector256<float> v = Vector256.Round(x / scale) + zero;
        // NaN fails both comparisons of Max/Min ordering; map it to min as the scalar path does.
        v = Vector256.ConditionalSelect(Vector256.Equals(v, v), v, min);
        return Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(v, min), max));
    }

    /// <summary>x[i] = (q[i] − zeroPoint) · scale for uint8 q.</summary>
    public static void Dequantize(ReadOnlySpan<byte> q, float scale, int zeroPoint, Span<float> x)
    {
        int done = DequantizeVectors(q, 0, scale, zeroPoint, x);
        TensorPrimitives.ConvertTruncating(q[done..], x[done..q.Length]);
        Finish(x[done..q.Length], scale, zeroPoint);
    }

    /// <summary>x[i] = (q[i] − zeroPoint) · scale for int8 q.</summary>
    public static void Dequantize(ReadOnlySpan<sbyte> q, float scale, int zeroPoint, Span<float> x)
    {
        // q + 128 is q's byte with its top bit flipped: the uint8 loop serves, with the zero point moved by 128 too.
        int done = DequantizeVectors(MemoryMarshal.AsBytes(q), 0x80, scale, zeroPoint + 128, x);
        TensorPrimitives.ConvertTruncating(q[done..], x[done..q.Length]);
        Finish(x[done..q.Length], scale, zeroPoint);
    }

    /// <summary>
    /// The whole vectors of <see cref="Dequantize(ReadOnlySpan{byte}, float, int, Span{float})"/> in one pass, each byte
    /// XORed with <paramref name="flip"/> first; returns how many elements it did. (q − zeroPoint) is an exact small
    /// integer, so there is one rounding, as in the scalar formula.
    /// </summary>
    private static int DequantizeVectors(ReadOnlySpan<byte> q, byte flip, float scale, int zeroPoint, Span<float> x)
    {
        if (!Vector256.IsHardwareAccelerated) return 0;
        if (x.Length < q.Length) throw new ArgumentException("The destination is shorter than the source.", nameof(x));
        ref byte qs = ref MemoryMarshal.GetReference(q);
        ref float xs = ref MemoryMarshal.GetReference(x);
        Vector256<byte> vFlip = Vector256.Create(flip);
        Vector256<float> vScale = Vector256.Create(scale);
        Vector256<int> vZero = Vector256.Create(zeroPoint);
        int i = 0;
        for (; i + 32 <= q.Length; i += 32)
        {
            (Vector256<ushort> low, Vector256<ushort> high) = Vector256.Widen(Vector256.LoadUnsafe(ref qs, (nuint)i) ^ vFlip);
            (Vector256<uint> a, Vector256<uint> b) = Vector256.Widen(low);
            (Vector256<uint> c, Vector256<uint> d) = Vector256.Widen(high);
            (Vector256.ConvertToSingle(a.AsInt32() - vZero) * vScale).StoreUnsafe(ref xs, (nuint)i);
            (Vector256.ConvertToSingle(b.AsInt32() - vZero) * vScale).StoreUnsafe(ref xs, (nuint)i + 8);
            (Vector256.ConvertToSingle(c.AsInt32() - vZero) * vScale).StoreUnsafe(ref xs, (nuint)i + 16);
            (Vector256.ConvertToSingle(d.AsInt32() - vZero) * vScale).StoreUnsafe(ref xs, (nuint)i + 24);
        }
        return i;
    }

    private static void Finish(Span<float> x, float scale, int zeroPoint)
    {
        if (x.IsEmpty) return;
        TensorPrimitives.Subtract(x, zeroPoint, x); // exact: small integers
        TensorPrimitives.Multiply(x, scale, x);
    }
}
