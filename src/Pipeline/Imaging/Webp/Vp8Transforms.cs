using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// The inverse transforms of RFC 6386 section 14: the 4×4 inverse DCT added to the prediction (with its exact
/// 16-bit fixed-point constants and rounding) and the inverse Walsh–Hadamard transform of the Y2 block.
/// Coefficients are in raster order (already de-zigzagged and dequantized).
/// </summary>
[SkipLocalsInit] // the stack buffers are written before they are read
internal static unsafe class Vp8Transforms
{
    /// <summary>sqrt(2) × cos(π/8) − 1 in 16-bit fixed point.</summary>
    private const int CosPi8Sqrt2Minus1 = 20091;

    /// <summary>sqrt(2) × sin(π/8) in 16-bit fixed point.</summary>
    private const int SinPi8Sqrt2 = 35468;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MulCos(int a) => ((a * CosPi8Sqrt2Minus1) >> 16) + a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MulSin(int a) => (a * SinPi8Sqrt2) >> 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clamp255(int v) => (uint)v <= 255 ? (byte)v : v < 0 ? (byte)0 : (byte)255;

    /// <summary>Inverse DCT of <paramref name="coeffs"/> (16 values), added to the 4×4 pixels at <paramref name="dst"/> with clamping.</summary>
    public static void InverseDctAdd(short* coeffs, byte* dst, int stride)
    {
        int* tmp = stackalloc int[16];
        // Vertical pass: columns of the coefficient block.
        for (int i = 0; i < 4; i++)
        {
            int i0 = coeffs[i], i4 = coeffs[4 + i], i8 = coeffs[8 + i], i12 = coeffs[12 + i];
            int a = i0 + i8;
            int b = i0 - i8;
            int c = MulSin(i4) - MulCos(i12);
            int d = MulCos(i4) + MulSin(i12);
            tmp[i] = a + d;
            tmp[4 + i] = b + c;
            tmp[8 + i] = b - c;
            tmp[12 + i] = a - d;
        }
        // Horizontal pass: rows, with the final rounding shift by 3.
        for (int r = 0; r < 4; r++)
        {
            int* t = tmp + 4 * r;
            int a = t[0] + t[2];
            int b = t[0] - t[2];
            int c = MulSin(t[1]) - MulCos(t[3]);
            int d = MulCos(t[1]) + MulSin(t[3]);
            byte* p = dst + r * stride;
            p[0] = Clamp255(p[0] + ((a + d + 4) >> 3));
            p[1] = Clamp255(p[1] + ((b + c + 4) >> 3));
            p[2] = Clamp255(p[2] + ((b - c + 4) >> 3));
            p[3] = Clamp255(p[3] + ((a - d + 4) >> 3));
        }
    }

    /// <summary>The inverse DCT of a block whose only non-zero coefficient is the DC: one value added to all 16 pixels.</summary>
    public static void InverseDcOnlyAdd(int dc, byte* dst, int stride)
    {
        int v = (dc + 4) >> 3;
        for (int r = 0; r < 4; r++)
        {
            byte* p = dst + r * stride;
            p[0] = Clamp255(p[0] + v);
            p[1] = Clamp255(p[1] + v);
            p[2] = Clamp255(p[2] + v);
            p[3] = Clamp255(p[3] + v);
        }
    }

    /// <summary>
    /// Inverse WHT of the Y2 block <paramref name="input"/> (16 values): output i becomes the DC coefficient of luma
    /// block i, <paramref name="output"/>[16 × i].
    /// </summary>
    public static void InverseWht(short* input, short* output)
    {
        int* tmp = stackalloc int[16];
        for (int i = 0; i < 4; i++)
        {
            int a1 = input[i] + input[12 + i];
            int b1 = input[4 + i] + input[8 + i];
            int c1 = input[4 + i] - input[8 + i];
            int d1 = input[i] - input[12 + i];
            tmp[i] = a1 + b1;
            tmp[4 + i] = c1 + d1;
            tmp[8 + i] = a1 - b1;
            tmp[12 + i] = d1 - c1;
        }
        for (int r = 0; r < 4; r++)
        {
            int* t = tmp + 4 * r;
            int a1 = t[0] + t[3];
            int b1 = t[1] + t[2];
            int c1 = t[1] - t[2];
            int d1 = t[0] - t[3];
            short* o = output + 16 * 4 * r;
            o[0] = (short)((a1 + b1 + 3) >> 3);
            o[16] = (short)((c1 + d1 + 3) >> 3);
            o[32] = (short)((a1 - b1 + 3) >> 3);
            o[48] = (short)((d1 - c1 + 3) >> 3);
        }
    }
}
