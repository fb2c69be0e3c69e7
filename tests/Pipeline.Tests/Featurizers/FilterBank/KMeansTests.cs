using Pipeline.Featurizers.FilterBank;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tests.Featurizers.FilterBank;

public sealed class KMeansTests
{
    [Fact]
    public void Finds_well_separated_clusters()
    {
        const int perCluster = 300, k = 4, d = 3, stride = 16;
        float[][] centers = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]];
        var random = new Random(5);
        var rows = new float[perCluster * k * stride];
        for (int r = 0; r < perCluster * k; r++)
            for (int i = 0; i < d; i++) rows[r * stride + i] = centers[r % k][i] + (float)(LinearAlgebraTests.Gaussian(random) * 0.5);
        using var pool = new WorkerPool(2);
        // Several seeds: plain k-means from random rows can merge two clusters; at least the usual outcome must be right.
        int good = 0;
        for (ulong seed = 0; seed < 5; seed++)
        {
            KMeans.Result result = KMeans.Fit(rows, perCluster * k, stride, d, k, 50, seed, pool, TestContext.Current.CancellationToken);
            bool all = true;
            foreach (float[] center in centers)
            {
                double best = double.MaxValue;
                for (int j = 0; j < k; j++)
                {
                    double s = 0;
                    for (int i = 0; i < d; i++) s += Math.Pow(result.Centroids[j * stride + i] - center[i], 2);
                    best = Math.Min(best, s);
                }
                all &= best < 0.1;
            }
            if (all)
            {
                good++;
                Assert.InRange(result.Inertia, 0.5, 1.0); // 3 dimensions × variance 0.25
            }
        }
        Assert.True(good >= 3, $"only {good} of 5 seeds recovered the clusters");
    }

    [Fact]
    public void Same_seed_same_centroids_whatever_the_thread_count_and_empty_clusters_restart()
    {
        var random = new Random(6);
        const int n = 3000, stride = 16, d = 10, k = 50;
        var rows = new float[n * stride];
        for (int r = 0; r < n; r++)
            for (int i = 0; i < d; i++) rows[r * stride + i] = (float)LinearAlgebraTests.Gaussian(random);
        // Duplicate rows make empty clusters likely (two centroids starting on the same point).
        for (int r = 0; r < 500; r++) rows.AsSpan(0, stride).CopyTo(rows.AsSpan(r * stride, stride));
        using var one = new WorkerPool(1);
        using var two = new WorkerPool(2);
        KMeans.Result a = KMeans.Fit(rows, n, stride, d, k, 8, 42, one, TestContext.Current.CancellationToken);
        KMeans.Result b = KMeans.Fit(rows, n, stride, d, k, 8, 42, two, TestContext.Current.CancellationToken);
        Assert.Equal(a.Centroids, b.Centroids);
        Assert.Equal(a.Inertia, b.Inertia);
        KMeans.Result c = KMeans.Fit(rows, n, stride, d, k, 8, 43, two, TestContext.Current.CancellationToken);
        Assert.NotEqual(a.Centroids, c.Centroids);
        Assert.All(a.Centroids, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Assignment_is_the_nearest_centroid_with_ties_to_the_lower_index()
    {
        const int stride = 16;
        float[] rows = new float[3 * stride];
        rows[0] = 1; rows[stride] = 4; rows[2 * stride] = 2.5f;  // 2.5 is equidistant from centroids 1 and 4
        float[] centroids = new float[2 * stride];
        centroids[0] = 1; centroids[stride] = 4;
        var labels = new int[3];
        using var pool = new WorkerPool(1);
        double inertia = KMeans.Assign(rows, 3, stride, centroids, 2, new float[2], labels, pool);
        Assert.Equal([0, 1, 0], labels);
        Assert.Equal(2.25 / 3, inertia, 6);
    }
}
