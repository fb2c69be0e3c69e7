using Pipeline.Training.Heads;
using Pipeline.Training.Numerics;

namespace Pipeline.Tests.Training.Heads;

/// <summary>
/// Checks every layer's analytic gradient (MlpNetwork.Backward, float) against central finite differences of an
/// independent double-precision forward pass written here from the definition.
/// </summary>
public sealed class MlpGradientTests
{
    // loss(θ) = Σ_i w_i·CE(softmax(f(x_i; θ)), y_i) / Σ_i w_i,  f: a ← x; a ← relu(W_l·a + b_l) ∘ m_l (hidden); W_L·a + b_L.
    private static double ReferenceLoss(DenseLayout layout, double[] theta, float[] x, int[] y, float[] w, int rows, float[][]? masks)
    {
        double loss = 0, total = 0;
        for (int i = 0; i < rows; i++)
        {
            double[] a = new double[layout.InputSize];
            for (int j = 0; j < a.Length; j++) a[j] = x[i * layout.InputSize + j];
            for (int l = 0; l < layout.LayerCount; l++)
            {
                int inWidth = layout.In(l), outWidth = layout.Out(l);
                var z = new double[outWidth];
                for (int o = 0; o < outWidth; o++)
                {
                    double sum = theta[layout.BiasOffset(l) + o];
                    for (int j = 0; j < inWidth; j++) sum += theta[layout.WeightOffset(l) + o * inWidth + j] * a[j];
                    z[o] = l < layout.LayerCount - 1 ? Math.Max(sum, 0) * (masks is null ? 1 : masks[l][i * outWidth + o]) : sum;
                }
                a = z;
            }
            double max = a.Max();
            double logSum = Math.Log(a.Sum(v => Math.Exp(v - max))) + max;
            loss += w[i] * (logSum - a[y[i]]);
            total += w[i];
        }
        return loss / total;
    }

    [Theory]
    [InlineData(new int[0], false)]
    [InlineData(new[] { 6 }, false)]
    [InlineData(new[] { 6, 4 }, false)]
    [InlineData(new[] { 6 }, true)]
    [InlineData(new[] { 5, 4 }, true)]
    public void BackwardMatchesFiniteDifferencesInEveryLayer(int[] hidden, bool dropout)
    {
        const int d = 5, k = 3, rows = 7;
        var layout = new DenseLayout([d, .. hidden, k]);
        var random = new Random(hidden.Length * 10 + (dropout ? 1 : 0));
        float[] parameters = Synthetic.Uniform(layout.ParameterCount, 42 + hidden.Length);
        for (int p = 0; p < parameters.Length; p++) parameters[p] *= 0.9f;
        var network = new MlpNetwork(layout, rows);
        Synthetic.Uniform(rows * d, 7).CopyTo(network.Input, 0);
        int[] labels = Enumerable.Range(0, rows).Select(i => random.Next(k)).ToArray();
        float[] weights = Enumerable.Range(0, rows).Select(i => 0.5f + (float)random.NextDouble()).ToArray();
        if (dropout)
            foreach (float[] mask in network.Masks)
                for (int i = 0; i < mask.Length; i++) mask[i] = random.NextDouble() < 0.3 ? 0f : 1f / 0.7f;

        double total = weights.Sum(w => (double)w);
        double forward = network.Forward(parameters, rows, labels, weights, dropout, null, VectorWidths.Best) / total;
        var gradient = new float[layout.ParameterCount];
        network.Backward(parameters, gradient, rows, labels, weights, total, dropout, null, VectorWidths.Best);

        double[] theta = parameters.Select(v => (double)v).ToArray();
        float[][]? masks = dropout ? network.Masks : null;
        float[] input = network.Input.ToArray();
        Assert.Equal(ReferenceLoss(layout, theta, input, labels, weights, rows, masks), forward, 5);

        const double h = 1e-6;
        double largest = gradient.Max(g => Math.Abs(g));
        for (int l = 0; l < layout.LayerCount; l++)
        {
            for (int p = layout.WeightOffset(l); p < layout.BiasOffset(l) + layout.Out(l); p++)
            {
                double saved = theta[p];
                theta[p] = saved + h;
                double plus = ReferenceLoss(layout, theta, input, labels, weights, rows, masks);
                theta[p] = saved - h;
                double minus = ReferenceLoss(layout, theta, input, labels, weights, rows, masks);
                theta[p] = saved;
                double numeric = (plus - minus) / (2 * h);
                string what = p < layout.BiasOffset(l) ? $"W{l}[{p - layout.WeightOffset(l)}]" : $"b{l}[{p - layout.BiasOffset(l)}]";
                Assert.True(Math.Abs(gradient[p] - numeric) <= 1e-4 * Math.Max(1, largest), $"{what}: analytic {gradient[p]} vs numeric {numeric}");
            }
        }
    }
}
