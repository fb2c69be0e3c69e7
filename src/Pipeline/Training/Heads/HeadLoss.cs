using Pipeline.Tensors.Parallelism;
using Pipeline.Training.Numerics;

namespace Pipeline.Training.Heads;

/// <summary>The class-weighted mean cross-entropy of a head on a data set (the training objective's data term).</summary>
internal static class HeadLoss
{
    public static double WeightedCrossEntropy(HeadModel model, FeatureSet data, float[] classWeights, WorkerPool? pool, VectorWidth width)
    {
        int k = model.Layout.OutputSize;
        var logits = new float[data.Count * k];
        model.Forward(data.Features.Span, data.Count, logits, probabilities: false, pool, width);
        ReadOnlySpan<int> labels = data.Labels.Span;
        double loss = 0, total = 0;
        for (int i = 0; i < data.Count; i++)
        {
            double w = classWeights[labels[i]];
            loss += w * Softmax.CrossEntropyInPlace(logits.AsSpan(i * k, k), labels[i]);
            total += w;
        }
        return total > 0 ? loss / total : 0;
    }
}
