using Pipeline.Graph;
using Pipeline.Graph.Ops.Convolution;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;

namespace Pipeline.Tests.Graph.Ops;

public sealed class QLinearConvTests
{
    [Theory]
    [InlineData(false, false, 1)]
    [InlineData(true, false, 1)]
    [InlineData(false, true, 1)]
    [InlineData(true, true, 2)]
    [InlineData(false, true, 4)]
    public void MatchesTheIntegerDefinition(bool signed, bool perChannel, int group)
    {
        var rng = new Random(signed ? 7 : 3);
        int n = 2, c = 4, m = 8, h = 9, w = 7, kh = 3, kw = 2;
        if (group == 4) { c = 4; m = 4; }
        int cg = c / group, mg = m / group;
        int[] xs = [n, c, h, w], ws = [m, cg, kh, kw];
        int xCount = n * c * h * w, wCount = m * cg * kh * kw;
        int[] xi = Enumerable.Range(0, xCount).Select(_ => signed ? rng.Next(-128, 128) : rng.Next(256)).ToArray();
        int[] wi = Enumerable.Range(0, wCount).Select(_ => signed ? rng.Next(-128, 128) : rng.Next(256)).ToArray();
        int scales = perChannel ? m : 1;
        float xScale = 0.02f, yScale = 0.37f;
        float[] wScale = Enumerable.Range(0, scales).Select(_ => 0.001f + (float)rng.NextDouble() * 0.01f).ToArray();
        int xZero = signed ? -3 : 120, yZero = signed ? 5 : 100;
        int[] wZero = Enumerable.Range(0, scales).Select(_ => signed ? rng.Next(-5, 5) : rng.Next(100, 140)).ToArray();
        int[] bias = Enumerable.Range(0, m).Select(_ => rng.Next(-3000, 3000)).ToArray();

        Tensor Q(int[] values, params int[] shape) => signed
            ? Tensor.Create(values.Select(v => (sbyte)v).ToArray(), shape)
            : Tensor.Create(values.Select(v => (byte)v).ToArray(), shape);
        int[] scalar = [];
        var op = new QLinearConvOperator(new WindowAttributes(null, [2, 1], null, [1, 0, 1, 1], AutoPad.NotSet), group);
        Tensor y = OperatorEvaluator.Evaluate(op,
        [
            Q(xi, xs), Tensor.Create([xScale], scalar), Q([xZero], scalar), Q(wi, ws),
            Tensor.Create(wScale, perChannel ? [m] : scalar), Q(wZero, perChannel ? [m] : scalar),
            Tensor.Create([yScale], scalar), Q([yZero], scalar), Tensor.Create(bias, m),
        ])[0]!;

        int oh = (h + 2 - kh) / 2 + 1, ow = (w + 1 - kw) + 1;
        Assert.Equal([n, m, oh, ow], y.ShapeArray());
        int[] got = signed ? y.AsSpan<sbyte>().ToArray().Select(v => (int)v).ToArray() : y.AsSpan<byte>().ToArray().Select(v => (int)v).ToArray();
        int index = 0;
        for (int img = 0; img < n; img++)
            for (int oc = 0; oc < m; oc++)
                for (int r = 0; r < oh; r++)
                    for (int col = 0; col < ow; col++)
                    {
                        int g = oc / mg, s = perChannel ? oc : 0;
                        long acc = bias[oc];
                        for (int ic = 0; ic < cg; ic++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++)
                                {
                                    int ih = r * 2 - 1 + i, iw = col + j;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    acc += (long)(xi[((img * c + g * cg + ic) * h + ih) * w + iw] - xZero) * (wi[((oc * cg + ic) * kh + i) * kw + j] - wZero[s]);
                                }
                        double q = Math.Round(acc * ((double)xScale * wScale[s] / yScale), MidpointRounding.ToEven) + yZero;
                        int expected = (int)Math.Clamp(q, signed ? -128 : 0, signed ? 127 : 255);
                        Assert.True(expected == got[index], $"output {index}: expected {expected}, got {got[index]}");
                        index++;
                    }
    }
}
