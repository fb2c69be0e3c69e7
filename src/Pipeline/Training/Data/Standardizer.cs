namespace Pipeline.Training.Data;

/// <summary>
/// Per-feature standardization <c>x' = (x − mean) · scale</c>, with <c>scale = 1 / std</c> learned on the training set.
/// A feature whose standard deviation is (numerically) zero on the training set keeps scale 1: it carries no
/// information there, and a huge scale would turn tiny differences at prediction time into huge inputs.
/// </summary>
internal static class Standardizer
{
    private const double MinStd = 1e-6;

    /// <summary>The mean and scale of every feature of <paramref name="data"/> (population statistics, accumulated in double).</summary>
    public static (float[] Mean, float[] Scale) Fit(FeatureSet data)
    {
        int d = data.Dimension, n = data.Count;
        var sum = new double[d];
        var sumSquares = new double[d];
        ReadOnlySpan<float> x = data.Features.Span;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = x.Slice(i * d, d);
            for (int j = 0; j < d; j++) sum[j] += row[j];
        }
        var mean = new float[d];
        for (int j = 0; j < d; j++) sum[j] = n > 0 ? sum[j] / n : 0;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = x.Slice(i * d, d);
            for (int j = 0; j < d; j++)
            {
                double centered = row[j] - sum[j];
                sumSquares[j] += centered * centered;
            }
        }
        var scale = new float[d];
        for (int j = 0; j < d; j++)
        {
            mean[j] = (float)sum[j];
            double std = n > 0 ? Math.Sqrt(sumSquares[j] / n) : 0;
            scale[j] = std > MinStd * Math.Max(1, Math.Abs(sum[j])) ? (float)(1 / std) : 1f;
        }
        return (mean, scale);
    }

    /// <summary>Writes <c>(row − mean) · scale</c> into <paramref name="destination"/>.</summary>
    public static void Apply(ReadOnlySpan<float> row, ReadOnlySpan<float> mean, ReadOnlySpan<float> scale, Span<float> destination)
    {
        for (int j = 0; j < row.Length; j++) destination[j] = (row[j] - mean[j]) * scale[j];
    }
}
