using System.Buffers;
using System.Runtime.Intrinsics;
using Pipeline.Tensors.Parallelism;
using Pipeline.Training.Numerics;
using Pipeline.Training.Randomness;

namespace Pipeline.Featurizers.FilterBank;

/// <summary>
/// Plain (Lloyd's) k-means on whitened patches, as Coates and Ng (2011, §3.1.2) use it to learn a filter bank.
/// Centroids start from k-means++ seeding (Arthur and Vassilvitskii, 2007) on a random subsample of the rows: each
/// next centroid is a row drawn with probability proportional to its squared distance to the nearest centroid so far,
/// which avoids the merged clusters that starting at random rows often gives. Each iteration assigns every row to its nearest centroid
/// (squared distances as <c>‖c‖² − 2 x·c</c> by a matrix product, ties to the lower index), then moves each centroid to
/// the mean of its rows; a centroid left without rows restarts at a random row. Deterministic whatever the thread
/// count: assignments are per row, and each centroid's mean is summed in double over its rows in index order.
/// </summary>
internal static class KMeans
{
    private const int BlockRows = 256;

    /// <summary>The result: <c>k × stride</c> centroids (row-major, padding zero) and the mean squared distance of the last assignment.</summary>
    public readonly record struct Result(float[] Centroids, double Inertia, int Iterations);

    /// <summary>Clusters <paramref name="count"/> rows of <paramref name="stride"/> floats (the first <paramref name="dimension"/> used).</summary>
    public static Result Fit(float[] rows, int count, int stride, int dimension, int k, int iterations, ulong seed, WorkerPool pool, CancellationToken cancellation = default)
    {
        if (count < k) throw new ArgumentException($"k-means needs at least k = {k} patches, got {count}.");
        var random = new Xoshiro256StarStar(seed, stream: 0x6B6D65616E73); // "kmeans"
        float[] centroids = Seed(rows, count, stride, k, ref random, pool);

        var labels = new int[count];
        var norms = new float[k];
        double inertia = 0;
        int done = 0;
        for (int it = 0; it < iterations; it++)
        {
            cancellation.ThrowIfCancellationRequested();
            inertia = Assign(rows, count, stride, centroids, k, norms, labels, pool);
            done++;
            bool changed = Update(rows, count, stride, dimension, centroids, k, labels, ref random, pool);
            if (!changed) break;
        }
        return new Result(centroids, inertia, done);
    }

    /// <summary>k-means++ seeding on at most <see cref="SeedingRows"/> rows drawn without replacement.</summary>
    internal static float[] Seed(float[] rows, int count, int stride, int k, ref Xoshiro256StarStar random, WorkerPool pool)
    {
        int m = Math.Min(count, Math.Max(SeedingRows, 4 * k));
        int[] subset = DistinctIndices(ref random, count, m);
        Array.Sort(subset); // memory order; the draw below is over subset positions, so the order only has to be fixed
        var candidates = new float[(long)m * stride];
        for (int i = 0; i < m; i++) rows.AsSpan(subset[i] * stride, stride).CopyTo(candidates.AsSpan(i * stride, stride));

        var centroids = new float[k * stride];
        var nearest = new double[m];
        Array.Fill(nearest, double.PositiveInfinity);
        int blocks = (m + SeedingBlock - 1) / SeedingBlock;
        var blockSums = new double[blocks];
        int chosen = random.NextInt(m);
        for (int j = 0; j < k; j++)
        {
            candidates.AsSpan(chosen * stride, stride).CopyTo(centroids.AsSpan(j * stride, stride));
            if (j == k - 1) break;
            var body = new SeedingBody(candidates, m, stride, centroids.AsMemory(j * stride, stride), nearest, blockSums);
            pool.For(blocks, ref body);
            double total = 0;
            foreach (double s in blockSums) total += s;
            if (!(total > 0))
            {
                chosen = random.NextInt(m); // every candidate coincides with a centroid: any will do
                continue;
            }
            // Find the row where the running sum (block sums first, then rows in the block) passes the threshold.
            double threshold = random.NextDouble() * total;
            int block = 0;
            while (block < blocks - 1 && threshold >= blockSums[block]) threshold -= blockSums[block++];
            int begin = block * SeedingBlock, end = Math.Min(m, begin + SeedingBlock);
            chosen = -1;
            for (int i = begin; i < end && chosen < 0; i++)
            {
                if (threshold < nearest[i]) chosen = i;
                threshold -= nearest[i];
            }
            // Rounding can leave the threshold past the last row: take the block's last row that is not a centroid yet.
            for (int i = end - 1; chosen < 0 && i >= begin; i--)
                if (nearest[i] > 0) chosen = i;
            if (chosen < 0) chosen = random.NextInt(m);
        }
        return centroids;
    }

    private const int SeedingRows = 16384;
    private const int SeedingBlock = 1024;

    /// <summary>Lowers each candidate's squared distance to the nearest centroid with the newest one; sums them per block.</summary>
    private readonly struct SeedingBody(float[] candidates, int m, int stride, ReadOnlyMemory<float> centroid, double[] nearest, double[] blockSums) : IParallelBody
    {
        public void Invoke(int block)
        {
            ReadOnlySpan<float> c = centroid.Span;
            int start = block * SeedingBlock, end = Math.Min(m, start + SeedingBlock);
            double sum = 0;
            for (int i = start; i < end; i++)
            {
                double d = SquaredDistance(candidates.AsSpan(i * stride, stride), c);
                if (d < nearest[i]) nearest[i] = d;
                sum += nearest[i];
            }
            blockSums[block] = sum;
        }
    }

    /// <summary>‖x − c‖², 8 lanes at a time in a fixed order (the same bits for the same inputs, at any alignment).</summary>
    private static double SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> c)
    {
        int i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> acc = Vector256<float>.Zero;
            for (; i <= x.Length - 8; i += 8)
            {
                Vector256<float> d = Vector256.Create(x.Slice(i, 8)) - Vector256.Create(c.Slice(i, 8));
                acc += d * d;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < x.Length; i++) sum += (x[i] - c[i]) * (x[i] - c[i]);
        return sum;
    }

    /// <summary>Labels every row with its nearest centroid; returns the mean squared distance.</summary>
    internal static double Assign(float[] rows, int count, int stride, float[] centroids, int k, float[] norms, int[] labels, WorkerPool pool)
    {
        // −2·C as the product's right-hand side and ‖c‖² as its bias: the product is then ‖x − c‖² − ‖x‖².
        var scaled = new float[centroids.Length];
        for (int j = 0; j < k; j++)
        {
            double n = 0;
            for (int i = 0; i < stride; i++)
            {
                float c = centroids[j * stride + i];
                n += (double)c * c;
                scaled[j * stride + i] = -2f * c;
            }
            norms[j] = (float)n;
        }
        int blocks = (count + BlockRows - 1) / BlockRows;
        var distances = new double[blocks];
        var body = new AssignBody(rows, count, stride, scaled, norms, k, labels, distances);
        pool.For(blocks, ref body);
        double total = 0;
        foreach (double d in distances) total += d;
        return total / count;
    }

    private readonly struct AssignBody(float[] rows, int count, int stride, float[] scaled, float[] norms, int k, int[] labels, double[] distances) : IParallelBody
    {
        public void Invoke(int block)
        {
            int start = block * BlockRows, n = Math.Min(BlockRows, count - start);
            float[] products = ArrayPool<float>.Shared.Rent(n * k);
            try
            {
                GemmNT.Compute(null, VectorWidths.Best, n, k, stride, rows.AsSpan(start * stride, n * stride), stride, scaled, stride, norms, products, k);
                double sum = 0;
                for (int r = 0; r < n; r++)
                {
                    ReadOnlySpan<float> row = products.AsSpan(r * k, k);
                    int best = 0;
                    float bestValue = row[0];
                    for (int j = 1; j < row.Length; j++)
                        if (row[j] < bestValue) { bestValue = row[j]; best = j; }
                    labels[start + r] = best;
                    double x2 = 0;
                    foreach (float v in rows.AsSpan((start + r) * stride, stride)) x2 += (double)v * v;
                    sum += Math.Max(0, x2 + bestValue);
                }
                distances[block] = sum;
            }
            finally
            {
                ArrayPool<float>.Shared.Return(products);
            }
        }
    }

    /// <summary>Moves centroids to their rows' means; returns false when no centroid moved.</summary>
    private static bool Update(float[] rows, int count, int stride, int dimension, float[] centroids, int k, int[] labels, ref Xoshiro256StarStar random, WorkerPool pool)
    {
        // Counting sort of the rows by label: each centroid's rows, in index order.
        var offsets = new int[k + 1];
        foreach (int l in labels) offsets[l + 1]++;
        for (int j = 0; j < k; j++) offsets[j + 1] += offsets[j];
        var members = new int[count];
        var fill = offsets.AsSpan(0, k).ToArray();
        for (int i = 0; i < count; i++) members[fill[labels[i]]++] = i;

        var moved = new bool[k];
        var body = new UpdateBody(rows, stride, dimension, centroids, offsets, members, moved);
        pool.For(k, ref body);

        bool changed = false;
        for (int j = 0; j < k; j++)
        {
            if (offsets[j + 1] == offsets[j])
            {
                // An empty cluster restarts at a random row (drawn in centroid order: deterministic).
                int r = random.NextInt(count);
                rows.AsSpan(r * stride, stride).CopyTo(centroids.AsSpan(j * stride, stride));
                changed = true;
            }
            changed |= moved[j];
        }
        return changed;
    }

    private readonly struct UpdateBody(float[] rows, int stride, int dimension, float[] centroids, int[] offsets, int[] members, bool[] moved) : IParallelBody
    {
        public void Invoke(int j)
        {
            int from = offsets[j], to = offsets[j + 1];
            if (from == to) return;
            Span<double> sum = stackalloc double[dimension];
            sum.Clear();
            for (int m = from; m < to; m++)
            {
                ReadOnlySpan<float> row = rows.AsSpan(members[m] * stride, dimension);
                for (int i = 0; i < dimension; i++) sum[i] += row[i];
            }
            Span<float> centroid = centroids.AsSpan(j * stride, dimension);
            bool any = false;
            for (int i = 0; i < dimension; i++)
            {
                float mean = (float)(sum[i] / (to - from));
                any |= mean != centroid[i];
                centroid[i] = mean;
            }
            moved[j] = any;
        }
    }

    /// <summary><paramref name="k"/> distinct indices in [0, <paramref name="count"/>), by a partial Fisher–Yates shuffle.</summary>
    internal static int[] DistinctIndices(ref Xoshiro256StarStar random, int count, int k)
    {
        var index = new int[count];
        for (int i = 0; i < count; i++) index[i] = i;
        for (int i = 0; i < k; i++)
        {
            int j = i + random.NextInt(count - i);
            (index[i], index[j]) = (index[j], index[i]);
        }
        return index[..k];
    }
}
