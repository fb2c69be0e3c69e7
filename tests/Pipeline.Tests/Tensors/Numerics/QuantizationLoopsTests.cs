using Pipeline.Tensors.Numerics;

namespace Pipeline.Tests.Tensors.Numerics;

/// <summary>The vectorized 8-bit quantization rows against the formula, at every length from 0 to 67 and beyond.</summary>
public sealed class QuantizationLoopsTests
{
    private static double Expected(float x, float scale, int zero, int min, int max)
    {
        float scaled = x / scale;
        if (float.IsNaN(scaled)) return min;
        return Math.Clamp(Math.Round((double)scaled, MidpointRounding.ToEven) + zero, min, max);
    }

    private static float[] Inputs(int n, float scale, Random random)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = (i % 5) switch
            {
                0 => (random.Next(-300, 300) + 0.5f) * scale,       // exact ties
                1 => random.NextSingle() * 600 - 300,              // beyond the range on both sides
                2 => i % 10 == 2 ? float.NaN : float.PositiveInfinity,
                _ => random.NextSingle() * 60 - 30,
            };
        return x;
    }

    [Fact]
    public void QuantizeMatchesTheFormulaAtEveryLength()
    {
        var random = new Random(1);
        foreach (int n in Enumerable.Range(0, 68).Concat([255, 1000]))
        {
            const float scale = 0.37f;
            float[] x = Inputs(n, scale, random);
            var u = new byte[n];
            var s = new sbyte[n];
            QuantizationLoops.Quantize(x, scale, 113, u);
            QuantizationLoops.Quantize(x, scale, -7, s);
            for (int i = 0; i < n; i++)
            {
                Assert.True(Expected(x[i], scale, 113, 0, 255) == u[i], $"uint8 n={n} i={i} x={x[i]}: got {u[i]}");
                Assert.True(Expected(x[i], scale, -7, -128, 127) == s[i], $"int8 n={n} i={i} x={x[i]}: got {s[i]}");
            }
        }
    }

    [Fact]
    public void DequantizeMatchesTheFormulaAtEveryLength()
    {
        var random = new Random(2);
        foreach (int n in Enumerable.Range(0, 100).Concat([1000]))
        {
            byte[] u = Enumerable.Range(0, n).Select(_ => (byte)random.Next(256)).ToArray();
            sbyte[] s = Enumerable.Range(0, n).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
            var xu = new float[n];
            var xs = new float[n];
            QuantizationLoops.Dequantize(u, 0.25f, 100, xu);
            QuantizationLoops.Dequantize(s, 0.5f, -3, xs);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal((u[i] - 100) * 0.25f, xu[i]);
                Assert.Equal((s[i] + 3) * 0.5f, xs[i]);
            }
        }
    }

    [Fact]
    public void DequantizeRoundsOnceForEveryValueAndZeroPoint()
    {
        // A scale that is not a power of two, so a second rounding (or a different order) would show.
        const float scale = 0.0078431377f;
        byte[] u = Enumerable.Range(0, 256).Select(v => (byte)v).ToArray();
        sbyte[] s = Enumerable.Range(-128, 256).Select(v => (sbyte)v).ToArray();
        var xu = new float[256];
        var xs = new float[256];
        foreach (int zero in new[] { 0, 1, 127, 128, 255, -128, -1 })
        {
            QuantizationLoops.Dequantize(u, scale, zero, xu);
            QuantizationLoops.Dequantize(s, scale, zero, xs);
            for (int i = 0; i < 256; i++)
            {
                Assert.Equal(QuantizationMath.Dequantize(u[i], scale, zero), xu[i]);
                Assert.Equal(QuantizationMath.Dequantize(s[i], scale, zero), xs[i]);
            }
        }
    }
}
