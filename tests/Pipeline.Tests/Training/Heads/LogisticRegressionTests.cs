using Pipeline.Training;

namespace Pipeline.Tests.Training.Heads;

/// <summary>The fit itself, against its objective: calibration, which rescales the fitted weights, is off throughout.</summary>
public sealed class LogisticRegressionTests
{
    /// <summary>
    /// The reference: plain full-batch gradient descent on the same objective, written from the definition in double
    /// precision, run with a safe fixed step until its gradient vanishes.
    /// f(W, b) = Σ_i w_i·(−log softmax(W·x_i + b)_{y_i}) / Σ_i w_i + λ/2·‖W‖².
    /// </summary>
    private static (double[] W, double[] B) GradientDescentReference(FeatureSet data, double lambda, float[] rowWeights)
    {
        int n = data.Count, d = data.Dimension, k = data.ClassCount;
        ReadOnlySpan<float> x = data.Features.Span;
        ReadOnlySpan<int> y = data.Labels.Span;
        double total = rowWeights.Sum(w => (double)w);
        // Lipschitz bound of the gradient: softmax CE has Hessian ≤ ½·‖(x, 1)‖² per sample (weighted mean), plus λ.
        double lipschitz = lambda;
        double maxNorm = 0;
        for (int i = 0; i < n; i++)
        {
            double norm = 1;
            for (int j = 0; j < d; j++) norm += x[i * d + j] * x[i * d + j];
            maxNorm = Math.Max(maxNorm, norm * rowWeights[i] * n / total);
        }
        lipschitz += 0.5 * maxNorm;
        double step = 1 / lipschitz;
        var w = new double[k * d];
        var b = new double[k];
        var gw = new double[k * d];
        var gb = new double[k];
        var z = new double[k];
        for (int iteration = 0; iteration < 200_000; iteration++)
        {
            Array.Clear(gw);
            Array.Clear(gb);
            for (int i = 0; i < n; i++)
            {
                double max = double.NegativeInfinity;
                for (int c = 0; c < k; c++)
                {
                    z[c] = b[c];
                    for (int j = 0; j < d; j++) z[c] += w[c * d + j] * x[i * d + j];
                    max = Math.Max(max, z[c]);
                }
                double sum = 0;
                for (int c = 0; c < k; c++) { z[c] = Math.Exp(z[c] - max); sum += z[c]; }
                for (int c = 0; c < k; c++)
                {
                    double g = rowWeights[i] / total * (z[c] / sum - (c == y[i] ? 1 : 0));
                    gb[c] += g;
                    for (int j = 0; j < d; j++) gw[c * d + j] += g * x[i * d + j];
                }
            }
            double norm = 0;
            for (int p = 0; p < w.Length; p++) { gw[p] += lambda * w[p]; norm = Math.Max(norm, Math.Abs(gw[p])); }
            foreach (double g in gb) norm = Math.Max(norm, Math.Abs(g));
            if (norm < 1e-10) break;
            for (int p = 0; p < w.Length; p++) w[p] -= step * gw[p];
            for (int c = 0; c < k; c++) b[c] -= step * gb[c];
        }
        return (w, b);
    }

    private static void AssertMatchesReference(FeatureSet data, HeadOptions options, float[] rowWeights)
    {
        ClassifierHead head = ClassifierHead.Train(data, options with { Tolerance = 1e-10 }, context: new TrainingContext { MaxThreads = 1 });
        (double[] w, double[] b) = GradientDescentReference(data, options.L2Regularization, rowWeights);
        float[] parameters = head.Model.Parameters;
        int kd = w.Length;
        // Softmax is invariant to adding a constant to every bias; the L2 term pins W but not the bias offset,
        // and both optimizers start at 0 with gradients summing to 0 over classes, so both keep Σ b = 0.
        for (int p = 0; p < kd; p++) Assert.True(Math.Abs(parameters[p] - w[p]) < 2e-4, $"W[{p}] = {parameters[p]} vs reference {w[p]}");
        for (int c = 0; c < b.Length; c++) Assert.True(Math.Abs(parameters[kd + c] - b[c]) < 2e-4, $"b[{c}] = {parameters[kd + c]} vs reference {b[c]}");
    }

    [Fact]
    public void ConvergesToTheSameOptimumAsSlowGradientDescent()
    {
        FeatureSet data = Synthetic.Blobs(n: 60, d: 4, k: 3, seed: 11, separation: 1.5);
        var options = new HeadOptions { Calibrate = false, Standardize = false, L2Regularization = 0.05 };
        AssertMatchesReference(data, options, Enumerable.Repeat(1f, data.Count).ToArray());
    }

    [Fact]
    public void ClassWeightsWeighTheLossAsTheReferenceDoes()
    {
        // Imbalanced: 40 rows of class 0, 10 of class 1, 10 of class 2.
        FeatureSet blobs = Synthetic.Blobs(n: 90, d: 3, k: 3, seed: 12, separation: 1.0);
        int[] keep = Enumerable.Range(0, 90).Where(i => i % 3 == 0 || i < 30).ToArray();
        FeatureSet data = blobs.Subset(keep);
        int[] counts = new int[3];
        foreach (int y in data.Labels.Span) counts[y]++;
        var options = new HeadOptions { Calibrate = false, Standardize = false, L2Regularization = 0.02, ClassWeighting = ClassWeighting.Balanced };
        // balanced: n / (k · n_c)
        float[] rowWeights = data.Labels.ToArray().Select(y => (float)(data.Count / (3.0 * counts[y]))).ToArray();
        AssertMatchesReference(data, options, rowWeights);
    }

    [Fact]
    public void StandardizationIsFoldedExactly()
    {
        // Features with a large offset and scale: training in the standardized space must equal gradient descent on
        // explicitly standardized data.
        FeatureSet raw = Synthetic.Blobs(n: 60, d: 4, k: 3, seed: 13, separation: 1.5, offset: 20, featureScale: 7);
        int n = raw.Count, d = raw.Dimension;
        float[] x = raw.Features.ToArray();
        var standardized = new float[x.Length];
        for (int j = 0; j < d; j++)
        {
            double mean = 0, sq = 0;
            for (int i = 0; i < n; i++) mean += x[i * d + j];
            mean /= n;
            for (int i = 0; i < n; i++) sq += (x[i * d + j] - mean) * (x[i * d + j] - mean);
            double std = Math.Sqrt(sq / n);
            for (int i = 0; i < n; i++) standardized[i * d + j] = (float)((x[i * d + j] - mean) / std);
        }
        var options = new HeadOptions { Calibrate = false, Standardize = true, L2Regularization = 0.05, Tolerance = 1e-10 };
        ClassifierHead head = ClassifierHead.Train(raw, options);
        (double[] w, double[] b) = GradientDescentReference(new FeatureSet(standardized, d, raw.Labels, 3), 0.05, Enumerable.Repeat(1f, n).ToArray());
        float[] parameters = head.Model.Parameters;
        for (int p = 0; p < w.Length; p++) Assert.True(Math.Abs(parameters[p] - w[p]) < 5e-4, $"W[{p}] = {parameters[p]} vs {w[p]}");
        for (int c = 0; c < 3; c++) Assert.True(Math.Abs(parameters[w.Length + c] - b[c]) < 5e-4, $"b[{c}] = {parameters[w.Length + c]} vs {b[c]}");
    }

    [Fact]
    public void SeparableDataIsLearnedPerfectly()
    {
        FeatureSet data = Synthetic.Blobs(n: 400, d: 64, k: 5, seed: 3, separation: 12);
        ClassifierHead head = ClassifierHead.Train(data, new HeadOptions { Calibrate = false, L2Regularization = 1e-4 });
        Assert.Equal(1.0, head.Evaluate(data).MicroAccuracy);
        Assert.NotEqual("maxIterations", head.Summary!.StopReason);
        FeatureSet test = Synthetic.Blobs(n: 400, d: 64, k: 5, seed: 3, separation: 12); // same centres, same draw: sanity
        Assert.Equal(1.0, head.Evaluate(test).MicroAccuracy);
    }

    [Fact]
    public void L2ShrinksTheWeights()
    {
        FeatureSet data = Synthetic.Blobs(n: 200, d: 16, k: 4, seed: 5, separation: 2);
        double previous = double.PositiveInfinity;
        foreach (double lambda in new[] { 1e-4, 1e-2, 1, 100 })
        {
            ClassifierHead head = ClassifierHead.Train(data, new HeadOptions { Calibrate = false, L2Regularization = lambda });
            float[] p = head.Model.Parameters;
            double norm = 0;
            for (int i = 0; i < 16 * 4; i++) norm += p[i] * p[i];
            Assert.True(norm < previous, $"‖W‖² = {norm} at λ = {lambda} is not below {previous}");
            previous = norm;
        }
    }

    [Fact]
    public void TheBiasIsNotRegularized()
    {
        // With an overwhelming penalty W ≈ 0, and the free bias must then reproduce the class prior (3:1:1 here).
        FeatureSet blobs = Synthetic.Blobs(n: 150, d: 8, k: 3, seed: 6, separation: 2);
        FeatureSet data = blobs.Subset(Enumerable.Range(0, 150).Where(i => i % 3 == 0 || i % 5 == 1).ToArray());
        int[] counts = data.ClassCounts();
        ClassifierHead head = ClassifierHead.Train(data, new HeadOptions { Calibrate = false, L2Regularization = 1e6, Tolerance = 1e-12 });
        var p = new float[3];
        head.PredictProbabilities(data.Row(0), p);
        for (int c = 0; c < 3; c++) Assert.Equal((double)counts[c] / data.Count, p[c], 3);
        Assert.NotEqual(counts[0], counts[1]); // the prior really is uneven
    }
}
