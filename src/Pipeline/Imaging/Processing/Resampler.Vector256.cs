using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Imaging.Processing;

/// <summary>The AVX2 paths of <see cref="Resampler"/>.</summary>
internal static unsafe partial class Resampler
{
    /// <summary>Eight bytes widened to eight floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen256(byte* p) => Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(p));

    private static void VerticalVector256(byte* rows, nint stride, float* weights, int taps, float* output, int length, ref int i)
    {
        for (; i <= length - 32; i += 32)
        {
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            byte* p = rows + i;
            for (int k = 0; k < taps; k++, p += stride)
            {
                Vector256<float> w = Vector256.Create(weights[k]);
                a0 = Vector256.FusedMultiplyAdd(Widen256(p), w, a0);
                a1 = Vector256.FusedMultiplyAdd(Widen256(p + 8), w, a1);
                a2 = Vector256.FusedMultiplyAdd(Widen256(p + 16), w, a2);
                a3 = Vector256.FusedMultiplyAdd(Widen256(p + 24), w, a3);
            }
            a0.Store(output + i);
            a1.Store(output + i + 8);
            a2.Store(output + i + 16);
            a3.Store(output + i + 24);
        }
        for (; i <= length - 8; i += 8)
        {
            Vector256<float> a = Vector256<float>.Zero;
            byte* p = rows + i;
            for (int k = 0; k < taps; k++, p += stride) a = Vector256.FusedMultiplyAdd(Widen256(p), Vector256.Create(weights[k]), a);
            a.Store(output + i);
        }
    }

    private static void HorizontalVector256(in HorizontalPass pass, int count)
    {
        int bpp = pass.BytesPerPixel;
        // Two RGB pixels (6 floats) spread to two 4-float slots.
        Vector256<int> spread = Vector256.Create(0, 1, 2, 0, 3, 4, 5, 0);
        for (int i = 0; i < count; i++)
        {
            float* s = pass.Source(i);
            float* w = pass.Weights(i);
            int groups = pass.Groups(i);
            // even: taps 4g+0 | 4g+1, odd: taps 4g+2 | 4g+3.
            Vector256<float> even = Vector256<float>.Zero, odd = even;
            for (int g = 0; g < groups; g++, s += 4 * bpp, w += 16)
            {
                Vector256<float> p01 = Vector256.Load(s), p23 = Vector256.Load(s + 2 * bpp);
                if (bpp == 3)
                {
                    p01 = Avx2.PermuteVar8x32(p01, spread);
                    p23 = Avx2.PermuteVar8x32(p23, spread);
                }
                even = Vector256.FusedMultiplyAdd(p01, Vector256.Load(w), even);
                odd = Vector256.FusedMultiplyAdd(p23, Vector256.Load(w + 8), odd);
            }
            Vector256<float> half = even + odd;
            StorePixel(half.GetLower() + half.GetUpper(), pass.Output(i), bpp);
        }
    }
}
