using Pipeline.Training.Numerics;

namespace Pipeline.Training.Heads;

/// <summary>
/// Starting parameters for retraining from a previous head, possibly with more classes and a new standardization.
/// <list type="bullet">
/// <item>Every layer is copied; the last layer's rows of new classes get zero weights and the mean of the old biases,
/// so a new class starts as an average guess and the old classes score exactly as before.</item>
/// <item>The first layer is re-expressed for the new standardization (μ', s') so the network computes the very same
/// function: <c>W'_j = W_j·s_j / s'_j</c> and <c>b' = b + Σ_j W_j·s_j·(μ'_j − μ_j)</c>.</item>
/// </list>
/// </summary>
internal static class WarmStart
{
    public static float[] Parameters(HeadModel previous, DenseLayout layout, float[]? mean, float[]? scale)
    {
        DenseLayout old = previous.Layout;
        if (old.LayerCount != layout.LayerCount || old.InputSize != layout.InputSize || old.OutputSize > layout.OutputSize)
            throw new ArgumentException("The previous head's architecture does not match the retraining data.");
        for (int l = 0; l < old.LayerCount - 1; l++)
            if (old.Out(l) != layout.Out(l)) throw new ArgumentException("The previous head's hidden layers do not match.");

        var parameters = new float[layout.ParameterCount];
        for (int l = 0; l < layout.LayerCount; l++)
        {
            int oldOut = old.Out(l), inWidth = layout.In(l);
            Span<float> oldW = old.Weights(previous.Parameters, l), oldB = old.Bias(previous.Parameters, l);
            Span<float> newW = layout.Weights(parameters, l), newB = layout.Bias(parameters, l);
            for (int o = 0; o < oldOut; o++)
            {
                Span<float> source = oldW.Slice(o * inWidth, inWidth), target = newW.Slice(o * inWidth, inWidth);
                double bias = oldB[o];
                if (l == 0)
                {
                    for (int j = 0; j < inWidth; j++)
                    {
                        double oldScale = previous.Scale?[j] ?? 1, newScale = scale?[j] ?? 1;
                        double oldMean = previous.Mean?[j] ?? 0, newMean = mean?[j] ?? 0;
                        target[j] = (float)(source[j] * oldScale / newScale);
                        bias += source[j] * oldScale * (newMean - oldMean);
                    }
                }
                else
                {
                    source.CopyTo(target);
                }
                newB[o] = (float)bias;
            }
            if (layout.Out(l) > oldOut)
            {
                double meanBias = 0;
                for (int o = 0; o < oldOut; o++) meanBias += newB[o];
                newB[oldOut..].Fill((float)(meanBias / oldOut));
            }
        }
        return parameters;
    }
}
