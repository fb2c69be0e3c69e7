using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Imaging.Jpeg;

internal static unsafe partial class JpegIdct
{
    /// <summary>
    /// The ISLOW transform with one Vector256&lt;int&gt; per row: the column pass works on all eight columns at once,
    /// a transpose turns rows into lanes for the row pass, and a second transpose restores pixel order. Same 32-bit
    /// arithmetic as <see cref="Transform8x8Scalar"/>, so the output is identical.
    /// </summary>
    public static void Transform8x8Vector256(short* coef, int* quant, byte* output, int stride)
    {
        Vector256<int> v0 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef), Avx.LoadVector256(quant));
        Vector256<int> v1 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 8), Avx.LoadVector256(quant + 8));
        Vector256<int> v2 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 16), Avx.LoadVector256(quant + 16));
        Vector256<int> v3 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 24), Avx.LoadVector256(quant + 24));
        Vector256<int> v4 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 32), Avx.LoadVector256(quant + 32));
        Vector256<int> v5 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 40), Avx.LoadVector256(quant + 40));
        Vector256<int> v6 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 48), Avx.LoadVector256(quant + 48));
        Vector256<int> v7 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 56), Avx.LoadVector256(quant + 56));

        Pass(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7, ConstBits - Pass1Bits);
        Transpose(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
        Pass(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7, ConstBits + Pass1Bits + 3);
        Transpose(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);

        Vector256<int> center = Vector256.Create(128);
        // int32 → int16 → uint8 with saturation is exactly a clamp to 0–255. The packs work per 128-bit lane, so
        // the bytes come out as [r0 0-3, r1 0-3, r2 0-3, r3 0-3 | r0 4-7, r1 4-7, r2 4-7, r3 4-7]; the permute
        // puts each row's two halves together.
        Vector256<byte> rows0123 = Avx2.PackUnsignedSaturate(
            Avx2.PackSignedSaturate(v0 + center, v1 + center), Avx2.PackSignedSaturate(v2 + center, v3 + center));
        Vector256<byte> rows4567 = Avx2.PackUnsignedSaturate(
            Avx2.PackSignedSaturate(v4 + center, v5 + center), Avx2.PackSignedSaturate(v6 + center, v7 + center));
        Vector256<int> order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        Vector256<ulong> a = Avx2.PermuteVar8x32(rows0123.AsInt32(), order).AsUInt64();
        Vector256<ulong> b = Avx2.PermuteVar8x32(rows4567.AsInt32(), order).AsUInt64();
        *(ulong*)output = a.GetElement(0);
        *(ulong*)(output + stride) = a.GetElement(1);
        *(ulong*)(output + 2 * stride) = a.GetElement(2);
        *(ulong*)(output + 3 * stride) = a.GetElement(3);
        *(ulong*)(output + 4 * stride) = b.GetElement(0);
        *(ulong*)(output + 5 * stride) = b.GetElement(1);
        *(ulong*)(output + 6 * stride) = b.GetElement(2);
        *(ulong*)(output + 7 * stride) = b.GetElement(3);
    }

    /// <summary>One 1-D pass over eight vectors (inputs 0–7 in, outputs 0–7 back), descaled by <paramref name="shift"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pass(ref Vector256<int> v0, ref Vector256<int> v1, ref Vector256<int> v2, ref Vector256<int> v3,
        ref Vector256<int> v4, ref Vector256<int> v5, ref Vector256<int> v6, ref Vector256<int> v7, [ConstantExpected] byte shift)
    {
        // Even part.
        Vector256<int> z2 = v2, z3 = v6;
        Vector256<int> z1 = (z2 + z3) * Vector256.Create(Fix0_541196100);
        Vector256<int> tmp2 = z1 + z3 * Vector256.Create(-Fix1_847759065);
        Vector256<int> tmp3 = z1 + z2 * Vector256.Create(Fix0_765366865);
        Vector256<int> tmp0 = Avx2.ShiftLeftLogical(v0 + v4, ConstBits);
        Vector256<int> tmp1 = Avx2.ShiftLeftLogical(v0 - v4, ConstBits);
        Vector256<int> tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

        // Odd part.
        tmp0 = v7;
        tmp1 = v5;
        tmp2 = v3;
        tmp3 = v1;
        z1 = tmp0 + tmp3;
        z2 = tmp1 + tmp2;
        z3 = tmp0 + tmp2;
        Vector256<int> z4 = tmp1 + tmp3;
        Vector256<int> z5 = (z3 + z4) * Vector256.Create(Fix1_175875602);
        tmp0 *= Vector256.Create(Fix0_298631336);
        tmp1 *= Vector256.Create(Fix2_053119869);
        tmp2 *= Vector256.Create(Fix3_072711026);
        tmp3 *= Vector256.Create(Fix1_501321110);
        z1 *= Vector256.Create(-Fix0_899976223);
        z2 *= Vector256.Create(-Fix2_562915447);
        z3 = z3 * Vector256.Create(-Fix1_961570560) + z5;
        z4 = z4 * Vector256.Create(-Fix0_390180644) + z5;
        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;

        Vector256<int> round = Vector256.Create(1 << (shift - 1));
        tmp10 += round;
        tmp11 += round;
        tmp12 += round;
        tmp13 += round;
        v0 = Avx2.ShiftRightArithmetic(tmp10 + tmp3, shift);
        v7 = Avx2.ShiftRightArithmetic(tmp10 - tmp3, shift);
        v1 = Avx2.ShiftRightArithmetic(tmp11 + tmp2, shift);
        v6 = Avx2.ShiftRightArithmetic(tmp11 - tmp2, shift);
        v2 = Avx2.ShiftRightArithmetic(tmp12 + tmp1, shift);
        v5 = Avx2.ShiftRightArithmetic(tmp12 - tmp1, shift);
        v3 = Avx2.ShiftRightArithmetic(tmp13 + tmp0, shift);
        v4 = Avx2.ShiftRightArithmetic(tmp13 - tmp0, shift);
    }

    /// <summary>Transposes an 8×8 matrix of ints held as eight row vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(ref Vector256<int> v0, ref Vector256<int> v1, ref Vector256<int> v2, ref Vector256<int> v3,
        ref Vector256<int> v4, ref Vector256<int> v5, ref Vector256<int> v6, ref Vector256<int> v7)
    {
        Vector256<int> t0 = Avx2.UnpackLow(v0, v1), t1 = Avx2.UnpackHigh(v0, v1);
        Vector256<int> t2 = Avx2.UnpackLow(v2, v3), t3 = Avx2.UnpackHigh(v2, v3);
        Vector256<int> t4 = Avx2.UnpackLow(v4, v5), t5 = Avx2.UnpackHigh(v4, v5);
        Vector256<int> t6 = Avx2.UnpackLow(v6, v7), t7 = Avx2.UnpackHigh(v6, v7);
        Vector256<int> u0 = Avx2.UnpackLow(t0.AsInt64(), t2.AsInt64()).AsInt32();
        Vector256<int> u1 = Avx2.UnpackHigh(t0.AsInt64(), t2.AsInt64()).AsInt32();
        Vector256<int> u2 = Avx2.UnpackLow(t1.AsInt64(), t3.AsInt64()).AsInt32();
        Vector256<int> u3 = Avx2.UnpackHigh(t1.AsInt64(), t3.AsInt64()).AsInt32();
        Vector256<int> u4 = Avx2.UnpackLow(t4.AsInt64(), t6.AsInt64()).AsInt32();
        Vector256<int> u5 = Avx2.UnpackHigh(t4.AsInt64(), t6.AsInt64()).AsInt32();
        Vector256<int> u6 = Avx2.UnpackLow(t5.AsInt64(), t7.AsInt64()).AsInt32();
        Vector256<int> u7 = Avx2.UnpackHigh(t5.AsInt64(), t7.AsInt64()).AsInt32();
        v0 = Avx2.Permute2x128(u0, u4, 0x20);
        v1 = Avx2.Permute2x128(u1, u5, 0x20);
        v2 = Avx2.Permute2x128(u2, u6, 0x20);
        v3 = Avx2.Permute2x128(u3, u7, 0x20);
        v4 = Avx2.Permute2x128(u0, u4, 0x31);
        v5 = Avx2.Permute2x128(u1, u5, 0x31);
        v6 = Avx2.Permute2x128(u2, u6, 0x31);
        v7 = Avx2.Permute2x128(u3, u7, 0x31);
    }

    /// <summary>
    /// The reduced 4×4 transform (<see cref="Transform4x4"/>) with vectors: the column pass on row vectors, two
    /// 4×4 transposes, the row pass on four-lane vectors, a last transpose and a saturating pack.
    /// </summary>
    public static void Transform4x4Vector256(short* coef, int* quant, byte* output, int stride)
    {
        Vector256<int> v0 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef), Avx.LoadVector256(quant));
        Vector256<int> v1 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 8), Avx.LoadVector256(quant + 8));
        Vector256<int> v2 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 16), Avx.LoadVector256(quant + 16));
        Vector256<int> v3 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 24), Avx.LoadVector256(quant + 24));
        Vector256<int> v5 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 40), Avx.LoadVector256(quant + 40));
        Vector256<int> v6 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 48), Avx.LoadVector256(quant + 48));
        Vector256<int> v7 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 56), Avx.LoadVector256(quant + 56));

        // Column pass (row 4 is never used by the 4-point outputs).
        Reduced4(Avx2.ShiftLeftLogical(v0, ConstBits + 1), v2, v6, v7, v5, v3, v1, ConstBits - Pass1Bits + 1,
            out Vector256<int> w0, out Vector256<int> w1, out Vector256<int> w2, out Vector256<int> w3);

        // Columns of the work rows, four lanes each (rows 0-3).
        Transpose4x4(w0.GetLower(), w1.GetLower(), w2.GetLower(), w3.GetLower(),
            out Vector128<int> c0, out Vector128<int> c1, out Vector128<int> c2, out Vector128<int> c3);
        Transpose4x4(w0.GetUpper(), w1.GetUpper(), w2.GetUpper(), w3.GetUpper(),
            out _, out Vector128<int> c5, out Vector128<int> c6, out Vector128<int> c7);

        // Row pass: output column x of every row at once (the upper lanes are idle).
        Reduced4(Sse2.ShiftLeftLogical(c0, ConstBits + 1).ToVector256Unsafe(), c2.ToVector256Unsafe(), c6.ToVector256Unsafe(),
            c7.ToVector256Unsafe(), c5.ToVector256Unsafe(), c3.ToVector256Unsafe(), c1.ToVector256Unsafe(), ConstBits + Pass1Bits + 3 + 1,
            out Vector256<int> o0, out Vector256<int> o1, out Vector256<int> o2, out Vector256<int> o3);
        Transpose4x4(o0.GetLower(), o1.GetLower(), o2.GetLower(), o3.GetLower(),
            out Vector128<int> r0, out Vector128<int> r1, out Vector128<int> r2, out Vector128<int> r3);
        Vector128<int> center = Vector128.Create(128);
        Vector128<uint> pixels = Sse2.PackUnsignedSaturate(
            Sse2.PackSignedSaturate(r0 + center, r1 + center), Sse2.PackSignedSaturate(r2 + center, r3 + center)).AsUInt32();
        *(uint*)output = pixels.GetElement(0);
        *(uint*)(output + stride) = pixels.GetElement(1);
        *(uint*)(output + 2 * stride) = pixels.GetElement(2);
        *(uint*)(output + 3 * stride) = pixels.GetElement(3);
    }

    /// <summary>
    /// The reduced 2×2 transform (<see cref="Transform2x2"/>): the column pass on row vectors (all eight columns at
    /// once; the unused ones cost nothing extra), then the two rows in scalar code.
    /// </summary>
    public static void Transform2x2Vector256(short* coef, int* quant, byte* output, int stride)
    {
        Vector256<int> v0 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef), Avx.LoadVector256(quant));
        Vector256<int> v1 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 8), Avx.LoadVector256(quant + 8));
        Vector256<int> v3 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 24), Avx.LoadVector256(quant + 24));
        Vector256<int> v5 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 40), Avx.LoadVector256(quant + 40));
        Vector256<int> v7 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(coef + 56), Avx.LoadVector256(quant + 56));
        Vector256<int> tmp10 = Avx2.ShiftLeftLogical(v0, ConstBits + 2);
        Vector256<int> tmp0 = v7 * Vector256.Create(-Fix0_720959822) + v5 * Vector256.Create(Fix0_850430095)
            + v3 * Vector256.Create(-Fix1_272758580) + v1 * Vector256.Create(Fix3_624509785);
        const byte shift = ConstBits - Pass1Bits + 2;
        tmp10 += Vector256.Create(1 << (shift - 1));
        int* ws = stackalloc int[16];
        Avx.Store(ws, Avx2.ShiftRightArithmetic(tmp10 + tmp0, shift));
        Avx.Store(ws + 8, Avx2.ShiftRightArithmetic(tmp10 - tmp0, shift));
        TwoByTwoRows(ws, output, stride);
    }

    /// <summary>The 8-to-4 butterfly of jidctred.c: even inputs 0 (already scaled), 2, 6; odd inputs 7, 5, 3, 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reduced4(Vector256<int> scaled0, Vector256<int> in2, Vector256<int> in6, Vector256<int> in7,
        Vector256<int> in5, Vector256<int> in3, Vector256<int> in1, [ConstantExpected] byte shift,
        out Vector256<int> out0, out Vector256<int> out1, out Vector256<int> out2, out Vector256<int> out3)
    {
        Vector256<int> tmp2 = in2 * Vector256.Create(Fix1_847759065) + in6 * Vector256.Create(-Fix0_765366865);
        Vector256<int> tmp10 = scaled0 + tmp2, tmp12 = scaled0 - tmp2;
        Vector256<int> odd0 = in7 * Vector256.Create(-Fix0_211164243) + in5 * Vector256.Create(Fix1_451774981)
            + in3 * Vector256.Create(-Fix2_172734803) + in1 * Vector256.Create(Fix1_061594337);
        Vector256<int> odd2 = in7 * Vector256.Create(-Fix0_509795579) + in5 * Vector256.Create(-Fix0_601344887)
            + in3 * Vector256.Create(Fix0_899976223) + in1 * Vector256.Create(Fix2_562915447);
        Vector256<int> round = Vector256.Create(1 << (shift - 1));
        tmp10 += round;
        tmp12 += round;
        out0 = Avx2.ShiftRightArithmetic(tmp10 + odd2, shift);
        out3 = Avx2.ShiftRightArithmetic(tmp10 - odd2, shift);
        out1 = Avx2.ShiftRightArithmetic(tmp12 + odd0, shift);
        out2 = Avx2.ShiftRightArithmetic(tmp12 - odd0, shift);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(Vector128<int> a, Vector128<int> b, Vector128<int> c, Vector128<int> d,
        out Vector128<int> r0, out Vector128<int> r1, out Vector128<int> r2, out Vector128<int> r3)
    {
        Vector128<int> t0 = Sse2.UnpackLow(a, b), t1 = Sse2.UnpackHigh(a, b);
        Vector128<int> t2 = Sse2.UnpackLow(c, d), t3 = Sse2.UnpackHigh(c, d);
        r0 = Sse2.UnpackLow(t0.AsInt64(), t2.AsInt64()).AsInt32();
        r1 = Sse2.UnpackHigh(t0.AsInt64(), t2.AsInt64()).AsInt32();
        r2 = Sse2.UnpackLow(t1.AsInt64(), t3.AsInt64()).AsInt32();
        r3 = Sse2.UnpackHigh(t1.AsInt64(), t3.AsInt64()).AsInt32();
    }
}
