using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Imaging.Processing;

/// <summary>The AVX-512 paths of <see cref="Resampler"/>.</summary>
internal static unsafe partial class Resampler
{
    /// <summary>Sixteen bytes widened to sixteen floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen512(byte* p) => Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(p)));

    private static void VerticalVector512(byte* rows, nint stride, float* weights, int taps, float* output, int length, ref int i)
    {
        // Four vectors (64 bytes) per step: independent accumulators hide the multiply-add latency.
        for (; i <= length - 64; i += 64)
        {
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            byte* p = rows + i;
            for (int k = 0; k < taps; k++, p += stride)
            {
                Vector512<float> w = Vector512.Create(weights[k]);
                a0 = Vector512.FusedMultiplyAdd(Widen512(p), w, a0);
                a1 = Vector512.FusedMultiplyAdd(Widen512(p + 16), w, a1);
                a2 = Vector512.FusedMultiplyAdd(Widen512(p + 32), w, a2);
                a3 = Vector512.FusedMultiplyAdd(Widen512(p + 48), w, a3);
            }
            a0.Store(output + i);
            a1.Store(output + i + 16);
            a2.Store(output + i + 32);
            a3.Store(output + i + 48);
        }
        for (; i <= length - 16; i += 16)
        {
            Vector512<float> a = Vector512<float>.Zero;
            byte* p = rows + i;
            for (int k = 0; k < taps; k++, p += stride) a = Vector512.FusedMultiplyAdd(Widen512(p), Vector512.Create(weights[k]), a);
            a.Store(output + i);
        }
    }

    private static void HorizontalVector512(in HorizontalPass pass, int count)
    {
        int bpp = pass.BytesPerPixel;
        // Four RGB pixels (12 floats) spread to four 4-float slots; the fourth float of each slot is ignored.
        Vector512<int> spread = Vector512.Create(0, 1, 2, 0, 3, 4, 5, 0, 6, 7, 8, 0, 9, 10, 11, 0);
        for (int i = 0; i < count; i++)
        {
            float* s = pass.Source(i);
            float* w = pass.Weights(i);
            int groups = pass.Groups(i);
            Vector512<float> sum = Vector512<float>.Zero;
            for (int g = 0; g < groups; g++, s += 4 * bpp, w += 16)
            {
                Vector512<float> pixels = Vector512.Load(s);
                if (bpp == 3) pixels = Avx512F.PermuteVar16x32(pixels, spread);
                sum = Vector512.FusedMultiplyAdd(pixels, Vector512.Load(w), sum);
            }
            // Lanes hold the partial sums of taps 4g+0..3; fold as (s0 + s2) + (s1 + s3).
            Vector256<float> half = sum.GetLower() + sum.GetUpper();
            StorePixel(half.GetLower() + half.GetUpper(), pass.Output(i), bpp);
        }
    }
}
