using System.Numerics.Tensors;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Featurizers.FilterBank;

/// <summary>
/// ZCA whitening fitted on normalized patches: <c>W = V · diag(1 / sqrt(λ + ε)) · Vᵀ</c> from the eigendecomposition
/// of the patch covariance, applied as <c>W (x − m)</c>. ZCA (rather than PCA) whitening keeps the patches in pixel
/// space, so the k-means centroids still look like filters; it decorrelates neighbouring pixels, which is what lets
/// k-means find edges instead of smooth blobs (Coates and Ng, 2011, §3.1.1, ε = 0.1).
/// </summary>
internal static class Whitening
{
    private const int ChunkRows = 2048;

    /// <summary>
    /// Fits the mean (length <paramref name="dimension"/>) and the symmetric whitening matrix
    /// (<paramref name="dimension"/>², row-major) of <paramref name="count"/> rows of <paramref name="stride"/> floats.
    /// Sums run in double over fixed chunks of rows combined in chunk order: the result does not depend on the thread count.
    /// </summary>
    public static (float[] Mean, float[] Matrix) Fit(float[] rows, int count, int stride, int dimension, double epsilon, WorkerPool pool)
    {
        int chunks = (count + ChunkRows - 1) / ChunkRows;
        var partialSums = new double[chunks * dimension];
        var partialProducts = new double[chunks * dimension * dimension];
        var body = new MomentsBody(rows, count, stride, dimension, partialSums, partialProducts);
        pool.For(chunks, ref body);

        var mean = new double[dimension];
        var covariance = new double[dimension * dimension];
        for (int ch = 0; ch < chunks; ch++)
        {
            for (int i = 0; i < dimension; i++) mean[i] += partialSums[ch * dimension + i];
            for (int i = 0; i < covariance.Length; i++) covariance[i] += partialProducts[(long)ch * covariance.Length + i];
        }
        for (int i = 0; i < dimension; i++) mean[i] /= count;
        for (int i = 0; i < dimension; i++)
        {
            for (int j = i; j < dimension; j++)
            {
                // Only the upper triangle was accumulated; Σ = E[xxᵀ] − m mᵀ.
                double c = covariance[i * dimension + j] / count - mean[i] * mean[j];
                covariance[i * dimension + j] = covariance[j * dimension + i] = c;
            }
        }

        (double[] values, double[] vectors) = SymmetricEigen.Decompose(covariance, dimension);
        var matrix = new float[dimension * dimension];
        var scale = new double[dimension];
        for (int k = 0; k < dimension; k++) scale[k] = 1 / Math.Sqrt(Math.Max(values[k], 0) + epsilon);
        for (int i = 0; i < dimension; i++)
        {
            for (int j = i; j < dimension; j++)
            {
                double s = 0;
                for (int k = 0; k < dimension; k++) s += vectors[i * dimension + k] * scale[k] * vectors[j * dimension + k];
                matrix[i * dimension + j] = matrix[j * dimension + i] = (float)s;
            }
        }
        var meanF = new float[dimension];
        for (int i = 0; i < dimension; i++) meanF[i] = (float)mean[i];
        return (meanF, matrix);
    }

    private readonly struct MomentsBody(float[] rows, int count, int stride, int dimension, double[] sums, double[] products) : IParallelBody
    {
        public void Invoke(int chunk)
        {
            int start = chunk * ChunkRows, end = Math.Min(count, start + ChunkRows);
            Span<double> s = sums.AsSpan(chunk * dimension, dimension);
            Span<double> p = products.AsSpan(chunk * dimension * dimension, dimension * dimension);
            Span<double> x = stackalloc double[dimension];
            for (int r = start; r < end; r++)
            {
                ReadOnlySpan<float> row = rows.AsSpan(r * stride, dimension);
                for (int i = 0; i < dimension; i++) x[i] = row[i];
                for (int i = 0; i < dimension; i++)
                {
                    double xi = x[i];
                    s[i] += xi;
                    Span<double> line = p.Slice(i * dimension + i, dimension - i);
                    TensorPrimitives.MultiplyAdd(x[i..], xi, line, line); // elementwise: same bits at any alignment
                }
            }
        }
    }
}
