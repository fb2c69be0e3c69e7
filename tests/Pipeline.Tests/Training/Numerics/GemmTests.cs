using Pipeline.Tensors.Parallelism;
using Pipeline.Training.Numerics;

namespace Pipeline.Tests.Training.Numerics;

/// <summary>The dense kernels against the naive triple loop (in double) at every remainder and every vector width.</summary>
public sealed class GemmTests
{
    public static TheoryData<int> Widths()
    {
        var data = new TheoryData<int>();
        foreach (VectorWidth w in VectorWidths.Supported()) data.Add((int)w);
        return data;
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void GemmNTMatchesTheNaiveProductAtEveryRemainder(int bits)
    {
        var width = (VectorWidth)bits;
        foreach (int m in new[] { 1, 3, 4, 5, 9 })
        foreach (int n in new[] { 1, 2, 4, 5, 7, 8 })
        for (int k = 0; k <= 70; k += k < 34 ? 1 : 9)
        {
            int lda = k + 3, ldb = k + 1, ldc = n + 2;
            float[] a = Synthetic.Uniform(m * lda, 1 + m + k), b = Synthetic.Uniform(n * ldb, 2 + n + k), bias = Synthetic.Uniform(n, 3);
            var c = new float[m * ldc];
            GemmNT.Compute(null, width, m, n, k, a, lda, b, ldb, bias, c, ldc);
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double expected = bias[j];
                for (int p = 0; p < k; p++) expected += (double)a[i * lda + p] * b[j * ldb + p];
                Assert.True(Math.Abs(c[i * ldc + j] - expected) <= 1e-5 * (1 + k), $"m={m} n={n} k={k} ({i},{j}): {c[i * ldc + j]} vs {expected}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void GemmNNMatchesTheNaiveProductAtEveryRemainder(int bits)
    {
        var width = (VectorWidth)bits;
        foreach (int m in new[] { 1, 3, 4, 6 })
        foreach (int n in new[] { 1, 3, 8, 15, 16, 17, 33, 64, 65, 70 })
        foreach (int kk in new[] { 1, 2, 5, 19 })
        foreach (bool transposed in new[] { false, true })
        {
            // A(i, p) either row-major (m × kk) or read transposed from a (kk × m) buffer.
            int ars = transposed ? 1 : kk, acs = transposed ? m : 1;
            float[] a = Synthetic.Uniform(m * kk, m * 100 + kk), b = Synthetic.Uniform(kk * (n + 1), n);
            var c = new float[m * n];
            GemmNN.Compute(null, width, m, n, kk, a, ars, acs, b, n + 1, c, n);
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double expected = 0;
                for (int p = 0; p < kk; p++) expected += (double)a[i * ars + p * acs] * b[p * (n + 1) + j];
                Assert.True(Math.Abs(c[i * n + j] - expected) <= 1e-5 * (1 + kk), $"m={m} n={n} kk={kk}: {c[i * n + j]} vs {expected}");
            }
        }
    }

    [Fact]
    public void GemmNNGivesTheSameBitsAtEveryWidth()
    {
        // Each output is one ordered multiply-add chain, whether it sits in a vector lane or in a scalar.
        int m = 7, n = 93, kk = 41;
        float[] a = Synthetic.Uniform(m * kk, 5), b = Synthetic.Uniform(kk * n, 6);
        float[]? reference = null;
        foreach (VectorWidth width in VectorWidths.Supported())
        {
            var c = new float[m * n];
            GemmNN.Compute(null, width, m, n, kk, a, kk, 1, b, n, c, n);
            if (reference is null) reference = c;
            else Assert.Equal(reference, c);
        }
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        int m = 300, n = 37, k = 513;
        float[] a = Synthetic.Uniform(m * k, 7), b = Synthetic.Uniform(n * k, 8), bias = Synthetic.Uniform(n, 9);
        var inline = new float[m * n];
        var parallel = new float[m * n];
        GemmNT.Compute(null, VectorWidths.Best, m, n, k, a, k, b, k, bias, inline, n);
        using var pool = new WorkerPool(3);
        GemmNT.Compute(pool, VectorWidths.Best, m, n, k, a, k, b, k, bias, parallel, n);
        Assert.Equal(inline, parallel);

        var inlineNN = new float[n * k];
        var parallelNN = new float[n * k];
        GemmNN.Compute(null, VectorWidths.Best, n, k, m, inline, 1, n, a, k, inlineNN, k);
        GemmNN.Compute(pool, VectorWidths.Best, n, k, m, inline, 1, n, a, k, parallelNN, k);
        Assert.Equal(inlineNN, parallelNN);
    }

    [Fact]
    public void UndersizedBuffersAreRejected()
    {
        var small = new float[3];
        Assert.Throws<ArgumentException>(() => GemmNT.Compute(null, VectorWidths.Best, 2, 2, 2, small, 2, new float[4], 2, default, new float[4], 2));
        Assert.Throws<ArgumentException>(() => GemmNN.Compute(null, VectorWidths.Best, 2, 2, 2, small, 2, 1, new float[4], 2, new float[4], 2));
    }
}
