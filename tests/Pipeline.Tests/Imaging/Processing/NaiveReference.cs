using Pipeline.Imaging;
using Pipeline.Imaging.Processing;

namespace Pipeline.Tests.Imaging.Processing;

/// <summary>
/// The specifications the fast code is tested against, written the slow, obvious way: a direct two-dimensional
/// resampler in double precision that visits every source pixel for every output pixel, its own copy of the filter
/// formulas, and per-element pixel extraction.
/// </summary>
internal static class NaiveReference
{
    /// <summary>PIL's filters: triangle (support 1) and Keys' cubic with a = −0.5 (support 2).</summary>
    public static double Filter(ResamplingFilter filter, double x)
    {
        x = Math.Abs(x);
        return filter switch
        {
            ResamplingFilter.Bilinear => Math.Max(0, 1 - x),
            ResamplingFilter.Bicubic => x < 1 ? 1.5 * x * x * x - 2.5 * x * x + 1
                : x < 2 ? -0.5 * x * x * x + 2.5 * x * x - 4 * x + 2
                : 0,
            _ => throw new ArgumentOutOfRangeException(nameof(filter)),
        };
    }

    public static double Support(ResamplingFilter filter) => filter == ResamplingFilter.Bicubic ? 2 : 1;

    /// <summary>
    /// Resamples along <paramref name="plan"/>: output pixel (i, j) of the content is the normalized sum, over all source
    /// pixels (x, y), of K((x + ½ − cx)/fx)·K((y + ½ − cy)/fy)·p(x, y), where c is the pixel's center in source
    /// coordinates and f = max(scale, 1) stretches the kernel when downscaling. Nearest takes the pixel under the center.
    /// Rounds half up and clamps to 0..255. Padding takes <paramref name="pad"/>.
    /// </summary>
    public static byte[] Resample(byte[] src, int w, int h, int bpp, ResizePlan plan, ResamplingFilter filter, RgbColor pad)
    {
        AxisMapping mx = plan.X, my = plan.Y;
        var dst = new byte[mx.OutSize * my.OutSize * bpp];
        byte[] padBytes = [pad.R, pad.G, pad.B, 255];
        for (int oy = 0; oy < my.OutSize; oy++)
        {
            for (int ox = 0; ox < mx.OutSize; ox++)
            {
                int o = (oy * mx.OutSize + ox) * bpp;
                int i = ox - mx.ContentStart, j = oy - my.ContentStart;
                if (i < 0 || i >= mx.ContentCount || j < 0 || j >= my.ContentCount)
                {
                    for (int c = 0; c < bpp; c++) dst[o + c] = padBytes[c];
                    continue;
                }
                double cx = mx.SourceStart + (i + 0.5) * mx.Scale, cy = my.SourceStart + (j + 0.5) * my.Scale;
                if (filter == ResamplingFilter.Nearest)
                {
                    int sx = Math.Clamp((int)Math.Floor(cx), 0, w - 1), sy = Math.Clamp((int)Math.Floor(cy), 0, h - 1);
                    for (int c = 0; c < bpp; c++) dst[o + c] = src[(sy * w + sx) * bpp + c];
                    continue;
                }
                double fx = Math.Max(mx.Scale, 1), fy = Math.Max(my.Scale, 1);
                var sum = new double[bpp];
                double total = 0;
                for (int y = 0; y < h; y++)
                {
                    double wy = Filter(filter, (y + 0.5 - cy) / fy);
                    if (wy == 0) continue;
                    for (int x = 0; x < w; x++)
                    {
                        double wxy = Filter(filter, (x + 0.5 - cx) / fx) * wy;
                        if (wxy == 0) continue;
                        total += wxy;
                        for (int c = 0; c < bpp; c++) sum[c] += wxy * src[(y * w + x) * bpp + c];
                    }
                }
                for (int c = 0; c < bpp; c++) dst[o + c] = (byte)Math.Floor(Math.Clamp(sum[c] / total, 0, 255) + 0.5);
            }
        }
        return dst;
    }

    /// <summary>Element by element: <c>(sample − offset[color]) × scale[color]</c>, in the layout and order asked for.</summary>
    public static float[] Extract(byte[] rgb, int w, int h, TensorLayout layout, ChannelOrder order, PixelNormalization n)
    {
        int channels = order == ChannelOrder.Gray ? 1 : 3;
        var result = new float[w * h * channels];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int p = (y * w + x) * 3;
                for (int c = 0; c < channels; c++)
                {
                    int color = order switch { ChannelOrder.Rgb => c, ChannelOrder.Bgr => 2 - c, _ => 0 };
                    float sample = order == ChannelOrder.Gray ? Luma(rgb[p], rgb[p + 1], rgb[p + 2]) : rgb[p + color];
                    float value = (sample - n.Offset[color]) * n.Scale[color];
                    int index = layout == TensorLayout.Chw ? (c * h + y) * w + x : (y * w + x) * channels + c;
                    result[index] = value;
                }
            }
        }
        return result;
    }

    /// <summary>Raw bytes in the layout and order asked for.</summary>
    public static byte[] ExtractBytes(byte[] rgb, int w, int h, TensorLayout layout, ChannelOrder order)
    {
        float[] floats = Extract(rgb, w, h, layout, order, PixelNormalization.Raw);
        return Array.ConvertAll(floats, v => (byte)v);
    }

    /// <summary>BT.601 luma as libjpeg's RGB→gray computes it: (19595 R + 38470 G + 7471 B + 2^15) / 2^16, truncated.</summary>
    public static byte Luma(byte r, byte g, byte b) => (byte)((19595L * r + 38470L * g + 7471L * b + 32768) / 65536);

    /// <summary>A seeded random image.</summary>
    public static Image RandomImage(int w, int h, PixelFormat format, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[w * h * (int)format];
        random.NextBytes(pixels);
        return new Image(w, h, format, pixels);
    }

    /// <summary>A smooth seeded image (sums of low-frequency waves): resampling errors show up on it as on photos.</summary>
    public static Image SmoothImage(int w, int h, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[w * h * 3];
        double[] phase = [random.NextDouble() * 6, random.NextDouble() * 6, random.NextDouble() * 6];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    double v = 128 + 60 * Math.Sin(x * 0.11 + phase[c]) + 60 * Math.Cos(y * 0.07 * (c + 1) + phase[c]);
                    pixels[(y * w + x) * 3 + c] = (byte)Math.Clamp(Math.Round(v), 0, 255);
                }
            }
        }
        return new Image(w, h, PixelFormat.Rgb24, pixels);
    }

    /// <summary>The largest absolute difference between two byte arrays of the same length.</summary>
    public static int MaxDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        Assert.Equal(a.Length, b.Length);
        int max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    /// <summary>The SIMD levels this machine can run (higher ones would be clamped, so testing them adds nothing).</summary>
    public static TheoryData<int> Levels() => new(LevelValues());

    /// <summary>The levels of <see cref="Levels"/> as plain numbers.</summary>
    public static IEnumerable<int> LevelValues()
    {
        for (var level = SimdLevel.Scalar; level <= SimdSupport.Best; level++) yield return (int)level;
    }
}
