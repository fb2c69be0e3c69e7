using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Imaging.Jpeg;

/// <summary>
/// Dequantization and inverse DCT of one 8×8 block into 8×8, 4×4, 2×2 or 1×1 pixels, reproducing libjpeg's integer
/// "ISLOW" transform (Loeffler–Ligtenberg–Moschytz, 13-bit constants, 2 extra bits between passes; jidctint.c) and
/// its reduced-size variants (jidctred.c) exactly, including the rounding. Samples are clamped to 0–255 as
/// libjpeg-turbo's SIMD code does. All arithmetic is 32-bit, so the SIMD and scalar versions agree bit for bit
/// on every input, valid or not.
/// Coefficients are in natural (row-major) order; <c>quant</c> holds the 64 quantization values in the same order.
/// </summary>
internal static unsafe partial class JpegIdct
{
    // FIX(x) = round(x * 2^13)
    internal const int ConstBits = 13;
    internal const int Pass1Bits = 2;
    internal const int Fix0_298631336 = 2446;
    internal const int Fix0_390180644 = 3196;
    internal const int Fix0_541196100 = 4433;
    internal const int Fix0_765366865 = 6270;
    internal const int Fix0_899976223 = 7373;
    internal const int Fix1_175875602 = 9633;
    internal const int Fix1_501321110 = 12299;
    internal const int Fix1_847759065 = 15137;
    internal const int Fix1_961570560 = 16069;
    internal const int Fix2_053119869 = 16819;
    internal const int Fix2_562915447 = 20995;
    internal const int Fix3_072711026 = 25172;

    // Constants of the reduced transforms (jidctred.c).
    private const int Fix0_211164243 = 1730;
    private const int Fix0_509795579 = 4176;
    private const int Fix0_601344887 = 4926;
    private const int Fix0_720959822 = 5906;
    private const int Fix0_850430095 = 6967;
    private const int Fix1_061594337 = 8697;
    private const int Fix1_272758580 = 10426;
    private const int Fix1_451774981 = 11893;
    private const int Fix2_172734803 = 17799;
    private const int Fix3_624509785 = 29692;

    /// <summary>True when this machine can run the Vector256 transform.</summary>
    public static bool IsVector256Supported => Avx2.IsSupported;

    /// <summary>Full 8×8 transform with the fastest implementation available.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transform8x8(short* coef, int* quant, byte* output, int stride)
    {
        if (JpegSimd.Vector256) Transform8x8Vector256(coef, quant, output, stride);
        else Transform8x8Scalar(coef, quant, output, stride);
    }

    /// <summary>
    /// The block has no AC coefficients: every pixel is the same, the value the full transform would produce
    /// (its shortcut for all-zero columns and rows is exact).
    /// </summary>
    public static void DcOnly(short* coef, int* quant, byte* output, int stride, int size)
    {
        // Both passes' shortcuts ((dc << 2) descaled by 5 bits) reduce to the DC over 8, rounded.
        byte value = Clamp(Descale(coef[0] * quant[0], 3));
        if (size == 8)
        {
            ulong fill = value * 0x0101010101010101UL;
            for (int y = 0; y < 8; y++) *(ulong*)(output + y * stride) = fill;
        }
        else
        {
            for (int y = 0; y < size; y++) new Span<byte>(output + y * stride, size).Fill(value);
        }
    }

    /// <summary>The naive reference: libjpeg's jpeg_idct_islow, columns then rows.</summary>
    public static void Transform8x8Scalar(short* coef, int* quant, byte* output, int stride)
    {
        int* ws = stackalloc int[64];
        for (int c = 0; c < 8; c++)
        {
            short* inp = coef + c;
            int* q = quant + c;
            int z2 = inp[16] * q[16], z3 = inp[48] * q[48];
            int z1 = (z2 + z3) * Fix0_541196100;
            int tmp2 = z1 + z3 * -Fix1_847759065;
            int tmp3 = z1 + z2 * Fix0_765366865;
            z2 = inp[0] * q[0];
            z3 = inp[32] * q[32];
            int tmp0 = (z2 + z3) << ConstBits;
            int tmp1 = (z2 - z3) << ConstBits;
            int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

            tmp0 = inp[56] * q[56];
            tmp1 = inp[40] * q[40];
            tmp2 = inp[24] * q[24];
            tmp3 = inp[8] * q[8];
            OddPart(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int shift = ConstBits - Pass1Bits;
            ws[c + 0] = Descale(tmp10 + tmp3, shift);
            ws[c + 56] = Descale(tmp10 - tmp3, shift);
            ws[c + 8] = Descale(tmp11 + tmp2, shift);
            ws[c + 48] = Descale(tmp11 - tmp2, shift);
            ws[c + 16] = Descale(tmp12 + tmp1, shift);
            ws[c + 40] = Descale(tmp12 - tmp1, shift);
            ws[c + 24] = Descale(tmp13 + tmp0, shift);
            ws[c + 32] = Descale(tmp13 - tmp0, shift);
        }

        for (int r = 0; r < 8; r++)
        {
            int* w = ws + r * 8;
            byte* o = output + r * stride;
            int z2 = w[2], z3 = w[6];
            int z1 = (z2 + z3) * Fix0_541196100;
            int tmp2 = z1 + z3 * -Fix1_847759065;
            int tmp3 = z1 + z2 * Fix0_765366865;
            int tmp0 = (w[0] + w[4]) << ConstBits;
            int tmp1 = (w[0] - w[4]) << ConstBits;
            int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

            tmp0 = w[7];
            tmp1 = w[5];
            tmp2 = w[3];
            tmp3 = w[1];
            OddPart(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int shift = ConstBits + Pass1Bits + 3;
            o[0] = Clamp(Descale(tmp10 + tmp3, shift));
            o[7] = Clamp(Descale(tmp10 - tmp3, shift));
            o[1] = Clamp(Descale(tmp11 + tmp2, shift));
            o[6] = Clamp(Descale(tmp11 - tmp2, shift));
            o[2] = Clamp(Descale(tmp12 + tmp1, shift));
            o[5] = Clamp(Descale(tmp12 - tmp1, shift));
            o[3] = Clamp(Descale(tmp13 + tmp0, shift));
            o[4] = Clamp(Descale(tmp13 - tmp0, shift));
        }
    }

    /// <summary>The odd half of the 8-point transform: inputs 7, 5, 3, 1 in, the four odd outputs back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OddPart(ref int tmp0, ref int tmp1, ref int tmp2, ref int tmp3)
    {
        int z1 = tmp0 + tmp3, z2 = tmp1 + tmp2, z3 = tmp0 + tmp2, z4 = tmp1 + tmp3;
        int z5 = (z3 + z4) * Fix1_175875602;
        tmp0 *= Fix0_298631336;
        tmp1 *= Fix2_053119869;
        tmp2 *= Fix3_072711026;
        tmp3 *= Fix1_501321110;
        z1 *= -Fix0_899976223;
        z2 *= -Fix2_562915447;
        z3 = z3 * -Fix1_961570560 + z5;
        z4 = z4 * -Fix0_390180644 + z5;
        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;
    }

    /// <summary>4×4 output from the low-frequency part of the block (libjpeg's jpeg_idct_4x4).</summary>
    public static void Transform4x4(short* coef, int* quant, byte* output, int stride)
    {
        int* ws = stackalloc int[32];
        for (int c = 0; c < 8; c++)
        {
            if (c == 4) continue; // the second pass never reads column 4
            short* inp = coef + c;
            int* q = quant + c;
            int tmp0 = (inp[0] * q[0]) << (ConstBits + 1);
            int z2 = inp[16] * q[16], z3 = inp[48] * q[48];
            int tmp2 = z2 * Fix1_847759065 + z3 * -Fix0_765366865;
            int tmp10 = tmp0 + tmp2, tmp12 = tmp0 - tmp2;

            int z1 = inp[56] * q[56];
            z2 = inp[40] * q[40];
            z3 = inp[24] * q[24];
            int z4 = inp[8] * q[8];
            tmp0 = z1 * -Fix0_211164243 + z2 * Fix1_451774981 + z3 * -Fix2_172734803 + z4 * Fix1_061594337;
            tmp2 = z1 * -Fix0_509795579 + z2 * -Fix0_601344887 + z3 * Fix0_899976223 + z4 * Fix2_562915447;

            const int shift = ConstBits - Pass1Bits + 1;
            ws[c + 0] = Descale(tmp10 + tmp2, shift);
            ws[c + 24] = Descale(tmp10 - tmp2, shift);
            ws[c + 8] = Descale(tmp12 + tmp0, shift);
            ws[c + 16] = Descale(tmp12 - tmp0, shift);
        }

        for (int r = 0; r < 4; r++)
        {
            int* w = ws + r * 8;
            byte* o = output + r * stride;
            int tmp0 = w[0] << (ConstBits + 1);
            int tmp2 = w[2] * Fix1_847759065 + w[6] * -Fix0_765366865;
            int tmp10 = tmp0 + tmp2, tmp12 = tmp0 - tmp2;
            int z1 = w[7], z2 = w[5], z3 = w[3], z4 = w[1];
            tmp0 = z1 * -Fix0_211164243 + z2 * Fix1_451774981 + z3 * -Fix2_172734803 + z4 * Fix1_061594337;
            tmp2 = z1 * -Fix0_509795579 + z2 * -Fix0_601344887 + z3 * Fix0_899976223 + z4 * Fix2_562915447;

            const int shift = ConstBits + Pass1Bits + 3 + 1;
            o[0] = Clamp(Descale(tmp10 + tmp2, shift));
            o[3] = Clamp(Descale(tmp10 - tmp2, shift));
            o[1] = Clamp(Descale(tmp12 + tmp0, shift));
            o[2] = Clamp(Descale(tmp12 - tmp0, shift));
        }
    }

    /// <summary>2×2 output (libjpeg's jpeg_idct_2x2).</summary>
    public static void Transform2x2(short* coef, int* quant, byte* output, int stride)
    {
        int* ws = stackalloc int[16];
        for (int c = 0; c < 8; c++)
        {
            if (c == 2 || c == 4 || c == 6) continue; // unused by the second pass
            short* inp = coef + c;
            int* q = quant + c;
            int tmp10 = (inp[0] * q[0]) << (ConstBits + 2);
            int tmp0 = inp[56] * q[56] * -Fix0_720959822
                + inp[40] * q[40] * Fix0_850430095
                + inp[24] * q[24] * -Fix1_272758580
                + inp[8] * q[8] * Fix3_624509785;
            const int shift = ConstBits - Pass1Bits + 2;
            ws[c] = Descale(tmp10 + tmp0, shift);
            ws[c + 8] = Descale(tmp10 - tmp0, shift);
        }

        TwoByTwoRows(ws, output, stride);
    }

    /// <summary>The row pass of the 2×2 transform over its 2 × 8 work rows.</summary>
    private static void TwoByTwoRows(int* ws, byte* output, int stride)
    {
        for (int r = 0; r < 2; r++)
        {
            int* w = ws + r * 8;
            byte* o = output + r * stride;
            int tmp10 = w[0] << (ConstBits + 2);
            int tmp0 = w[7] * -Fix0_720959822 + w[5] * Fix0_850430095 + w[3] * -Fix1_272758580 + w[1] * Fix3_624509785;
            const int shift = ConstBits + Pass1Bits + 3 + 2;
            o[0] = Clamp(Descale(tmp10 + tmp0, shift));
            o[1] = Clamp(Descale(tmp10 - tmp0, shift));
        }
    }

    /// <summary>1×1 output: the DC coefficient over 8 (libjpeg's jpeg_idct_1x1).</summary>
    public static void Transform1x1(short* coef, int* quant, byte* output)
        => *output = Clamp(Descale(coef[0] * quant[0], 3));

    /// <summary>Transforms with the size the component decodes at (8, 4, 2 or 1 pixels per side).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transform(short* coef, int* quant, byte* output, int stride, int size)
    {
        switch (size)
        {
            case 8: Transform8x8(coef, quant, output, stride); break;
            case 4:
                if (JpegSimd.Vector256) Transform4x4Vector256(coef, quant, output, stride);
                else Transform4x4(coef, quant, output, stride);
                break;
            case 2:
                if (JpegSimd.Vector256) Transform2x2Vector256(coef, quant, output, stride);
                else Transform2x2(coef, quant, output, stride);
                break;
            default: Transform1x1(coef, quant, output); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Descale(int x, int n) => (x + (1 << (n - 1))) >> n;

    /// <summary>Adds the 128 level shift and clamps to a sample.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clamp(int x) => (byte)Math.Clamp(x + 128, 0, 255);
}
