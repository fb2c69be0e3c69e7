using Pipeline.Featurizers.FilterBank;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tests.Featurizers.FilterBank;

public sealed class LinearAlgebraTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(17)]
    [InlineData(108)]
    public void Jacobi_reconstructs_the_matrix_with_orthonormal_vectors_and_ascending_values(int n)
    {
        var random = new Random(n);
        var b = new double[n * n];
        for (int i = 0; i < b.Length; i++) b[i] = random.NextDouble() * 2 - 1;
        var a = new double[n * n]; // A = B Bᵀ + diag: symmetric positive definite, like a covariance
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = i == j ? 0.01 : 0;
                for (int k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
                a[i * n + j] = s;
            }
        (double[] values, double[] v) = SymmetricEigen.Decompose(a, n);
        for (int k = 1; k < n; k++) Assert.True(values[k - 1] <= values[k]);
        double scale = values[^1];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double r = 0, o = 0;
                for (int k = 0; k < n; k++)
                {
                    r += v[i * n + k] * values[k] * v[j * n + k];
                    o += v[k * n + i] * v[k * n + j];
                }
                Assert.True(Math.Abs(r - a[i * n + j]) <= 1e-10 * scale, $"A[{i},{j}] = {a[i * n + j]}, reconstructed {r}");
                Assert.True(Math.Abs(o - (i == j ? 1 : 0)) <= 1e-10, $"VᵀV[{i},{j}] = {o}");
            }
    }

    [Fact]
    public void Jacobi_handles_diagonal_and_repeated_eigenvalues()
    {
        (double[] values, double[] vectors) = SymmetricEigen.Decompose([3, 0, 0, 0, 1, 0, 0, 0, 3], 3);
        Assert.Equal([1.0, 3.0, 3.0], values);
        Assert.Equal(1.0, Math.Abs(vectors[1 * 3 + 0]), 12); // the eigenvector of 1 is e₁
        (double[] two, _) = SymmetricEigen.Decompose([2, 1, 1, 2], 2);
        Assert.Equal(1.0, two[0], 12);
        Assert.Equal(3.0, two[1], 12);
    }

    [Fact]
    public void Zca_whitening_makes_the_covariance_the_identity_and_stays_symmetric()
    {
        const int n = 20000, d = 6, stride = 16;
        var random = new Random(3);
        var rows = new float[n * stride];
        for (int r = 0; r < n; r++)
        {
            // Correlated data: every coordinate shares a common factor.
            double common = Gaussian(random) * 3;
            for (int i = 0; i < d; i++) rows[r * stride + i] = (float)(common + Gaussian(random) * (i + 1) + 5);
        }
        using var pool = new WorkerPool(2);
        (float[] mean, float[] w) = Whitening.Fit(rows, n, stride, d, 1e-9, pool);
        for (int i = 0; i < d; i++)
        {
            Assert.Equal(5, mean[i], 0.2);
            for (int j = 0; j < d; j++) Assert.Equal(w[i * d + j], w[j * d + i]);
        }
        var cov = new double[d * d];
        var white = new double[d];
        for (int r = 0; r < n; r++)
        {
            for (int i = 0; i < d; i++)
            {
                double s = 0;
                for (int j = 0; j < d; j++) s += w[i * d + j] * (rows[r * stride + j] - mean[j]);
                white[i] = s;
            }
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) cov[i * d + j] += white[i] * white[j] / n;
        }
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) Assert.Equal(i == j ? 1.0 : 0.0, cov[i * d + j], 0.01);
    }

    [Fact]
    public void Whitening_gives_the_same_bits_with_one_or_two_threads()
    {
        var random = new Random(4);
        var rows = new float[5000 * 16];
        for (int i = 0; i < rows.Length; i++) rows[i] = i % 16 < 12 ? (float)random.NextDouble() : 0f;
        using var one = new WorkerPool(1);
        using var two = new WorkerPool(2);
        (float[] m1, float[] w1) = Whitening.Fit(rows, 5000, 16, 12, 0.1, one);
        (float[] m2, float[] w2) = Whitening.Fit(rows, 5000, 16, 12, 0.1, two);
        Assert.Equal(m1, m2);
        Assert.Equal(w1, w2);
    }

    internal static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
