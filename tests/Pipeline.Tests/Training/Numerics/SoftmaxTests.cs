using Pipeline.Training.Numerics;

namespace Pipeline.Tests.Training.Numerics;

public sealed class SoftmaxTests
{
    [Fact]
    public void CrossEntropyIsStableForHugeLogits()
    {
        // Logits (1000, 0, −1000): p = (1, e^−1000, ~0). −log p_0 ≈ 0 and −log p_1 = 1000 exactly by log-sum-exp,
        // where a naive log(softmax) would give log(0) = −∞.
        float[] row = [1000f, 0f, -1000f];
        Assert.Equal(1000.0, Softmax.CrossEntropyInPlace(row.ToArray(), 1), 6);
        Assert.Equal(0.0, Softmax.CrossEntropyInPlace(row.ToArray(), 0), 12);
        float[] p = row.ToArray();
        Softmax.InPlace(p);
        Assert.Equal(1f, p[0]);
        Assert.Equal(0f, p[2]);
    }

    [Fact]
    public void MatchesTheDefinitionOnOrdinaryLogits()
    {
        float[] z = [0.5f, -1.25f, 2f, 0f];
        double sum = z.Sum(v => Math.Exp(v));
        float[] p = z.ToArray();
        double loss = Softmax.CrossEntropyInPlace(p, 2);
        Assert.Equal(-Math.Log(Math.Exp(2) / sum), loss, 6);
        for (int c = 0; c < z.Length; c++) Assert.Equal(Math.Exp(z[c]) / sum, p[c], 6);
    }
}
