using System.Runtime.Intrinsics;

namespace Pipeline.Imaging.Processing;

/// <summary>The 128-bit paths of <see cref="Resampler"/> (SSE4.1, NEON: cross-platform Vector128).</summary>
internal static unsafe partial class Resampler
{
    private static void VerticalVector128(byte* rows, nint stride, float* weights, int taps, float* output, int length, ref int i)
    {
        for (; i <= length - 16; i += 16)
        {
            Vector128<float> a0 = Vector128<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            byte* p = rows + i;
            for (int k = 0; k < taps; k++, p += stride)
            {
                Vector128<float> w = Vector128.Create(weights[k]);
                Vector128<byte> bytes = Vector128.Load(p);
                Vector128<ushort> low = Vector128.WidenLower(bytes), high = Vector128.WidenUpper(bytes);
                a0 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(Vector128.WidenLower(low).AsInt32()), w, a0);
                a1 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(Vector128.WidenUpper(low).AsInt32()), w, a1);
                a2 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(Vector128.WidenLower(high).AsInt32()), w, a2);
                a3 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(Vector128.WidenUpper(high).AsInt32()), w, a3);
            }
            a0.Store(output + i);
            a1.Store(output + i + 4);
            a2.Store(output + i + 8);
            a3.Store(output + i + 12);
        }
    }

    private static void HorizontalVector128(in HorizontalPass pass, int count)
    {
        int bpp = pass.BytesPerPixel;
        for (int i = 0; i < count; i++)
        {
            float* s = pass.Source(i);
            float* w = pass.Weights(i);
            int groups = pass.Groups(i);
            Vector128<float> s0 = Vector128<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
            for (int g = 0; g < groups; g++, s += 4 * bpp, w += 16)
            {
                // A 4-float load at an RGB pixel also reads the next pixel's red: that lane is ignored.
                s0 = Vector128.FusedMultiplyAdd(Vector128.Load(s), Vector128.Load(w), s0);
                s1 = Vector128.FusedMultiplyAdd(Vector128.Load(s + bpp), Vector128.Load(w + 4), s1);
                s2 = Vector128.FusedMultiplyAdd(Vector128.Load(s + 2 * bpp), Vector128.Load(w + 8), s2);
                s3 = Vector128.FusedMultiplyAdd(Vector128.Load(s + 3 * bpp), Vector128.Load(w + 12), s3);
            }
            StorePixel((s0 + s2) + (s1 + s3), pass.Output(i), bpp);
        }
    }
}
