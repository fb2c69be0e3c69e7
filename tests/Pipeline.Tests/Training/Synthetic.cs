using Pipeline.Training;

namespace Pipeline.Tests.Training;

/// <summary>Seeded synthetic data sets for the training tests.</summary>
internal static class Synthetic
{
    /// <summary>k Gaussian blobs in d dimensions: class c is centred at a random point of norm <paramref name="separation"/>, unit noise.</summary>
    public static FeatureSet Blobs(int n, int d, int k, int seed, double separation = 3, double offset = 0, double featureScale = 1)
    {
        var random = new Random(seed);
        var centres = new double[k, d];
        for (int c = 0; c < k; c++)
        {
            double norm = 0;
            for (int j = 0; j < d; j++) { centres[c, j] = Normal(random); norm += centres[c, j] * centres[c, j]; }
            norm = Math.Sqrt(norm);
            for (int j = 0; j < d; j++) centres[c, j] *= separation / norm;
        }
        var x = new float[n * d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = i % k;
            y[i] = c;
            for (int j = 0; j < d; j++) x[i * d + j] = (float)((centres[c, j] + Normal(random) + offset) * featureScale);
        }
        return new FeatureSet(x, d, y, k);
    }

    /// <summary>Uniform values in [-1, 1).</summary>
    public static float[] Uniform(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    public static double Normal(Random random)
    {
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
