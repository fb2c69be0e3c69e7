using System.Text.Json.Serialization;

namespace Pipeline.Training.Metrics;

/// <summary>
/// Multiclass evaluation metrics with ML.NET's definitions (Microsoft.ML.Data.MulticlassClassificationMetrics as
/// computed by its MulticlassClassificationEvaluator), and its property names in camelCase:
/// <list type="bullet">
/// <item>the predicted class is the first class with the highest probability;</item>
/// <item>MicroAccuracy: correct rows / rows; MacroAccuracy: the mean over classes present of each class's accuracy (as in
/// ML.NET, over the model's classes only: rows of a class the model does not know lower MicroAccuracy, not this);</item>
/// <item>LogLoss: the mean of <c>−ln p</c>, p the true class's probability clamped to [1e−15, 1] (in float, as ML.NET);
/// a row whose label the model does not know counts <c>−ln 1e−15</c> (and is an error everywhere);</item>
/// <item>LogLossReduction: <c>(H − LogLoss) / H</c> with H the entropy of the evaluated rows' label distribution
/// (the log loss of predicting the prior), as ML.NET defines it; <see cref="double.NaN"/> when H = 0 (every row has the
/// same known class, or there are no rows), where the reduction is undefined;</item>
/// <item>TopKAccuracyForAllK[j]: the fraction of rows whose true class ranks in the first j + 1, a tie ranking the lower
/// class index first; TopKAccuracy is its last element;</item>
/// <item>PerClassLogLoss: the mean log loss of each class's rows (0 for a class without rows).</item>
/// </list>
/// Non-finite values are written to JSON as the strings "NaN", "Infinity" and "-Infinity".
/// </summary>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record MulticlassMetrics
{
    /// <summary>The K used when none is given.</summary>
    public const int DefaultTopK = 5;

    private const float Epsilon = 1e-15f; // ML.NET's clamp on probabilities before the log

    /// <summary>The fraction of rows predicted correctly.</summary>
    [JsonPropertyName("microAccuracy")] public double MicroAccuracy { get; init; }

    /// <summary>The mean of the per-class accuracies (recalls) over the classes present.</summary>
    [JsonPropertyName("macroAccuracy")] public double MacroAccuracy { get; init; }

    /// <summary>The mean negative log-probability of the true class.</summary>
    [JsonPropertyName("logLoss")] public double LogLoss { get; init; }

    /// <summary>The relative improvement of the log loss over predicting the label prior: 1 is perfect, 0 is no better than
    /// the prior; <see cref="double.NaN"/> (undefined) when the rows' labels have no entropy, e.g. all of one class.</summary>
    [JsonPropertyName("logLossReduction")] public double LogLossReduction { get; init; }

    /// <summary>The K of <see cref="TopKAccuracy"/> (0 when not computed).</summary>
    [JsonPropertyName("topKPredictionCount")] public int TopKPredictionCount { get; init; }

    /// <summary>The fraction of rows whose true class is among the K most probable.</summary>
    [JsonPropertyName("topKAccuracy")] public double TopKAccuracy { get; init; }

    /// <summary>Top-k accuracy for k = 1 … K.</summary>
    [JsonPropertyName("topKAccuracyForAllK")] public double[] TopKAccuracyForAllK { get; init; } = [];

    /// <summary>The log loss of each class's rows.</summary>
    [JsonPropertyName("perClassLogLoss")] public double[] PerClassLogLoss { get; init; } = [];

    /// <summary>The confusion matrix with per-class precision, recall and F1.</summary>
    [JsonPropertyName("confusionMatrix")] public ConfusionMatrix ConfusionMatrix { get; init; } = new();

    /// <summary>The number of rows evaluated.</summary>
    [JsonPropertyName("instanceCount")] public int InstanceCount { get; init; }

    /// <summary>Rows whose label is not a class of the model (e.g. a class added after the model was trained).</summary>
    [JsonPropertyName("unknownClassCount")] public int UnknownClassCount { get; init; }

    /// <summary>
    /// Evaluates predicted probabilities against labels.
    /// </summary>
    /// <param name="probabilities">n × <paramref name="classCount"/> probabilities, row-major, each finite.</param>
    /// <param name="labels">n labels, each ≥ 0; a label ≥ <paramref name="classCount"/> is a class the model does not know.</param>
    /// <param name="classCount">The number of classes the model scores.</param>
    /// <param name="topK">The K of top-K accuracy, clamped to <paramref name="classCount"/>; 0 skips it.</param>
    /// <exception cref="ArgumentException">Mismatched lengths, a negative label or a non-finite probability.</exception>
    public static MulticlassMetrics Evaluate(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, int classCount, int topK = DefaultTopK)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(topK);
        int n = labels.Length, k = classCount;
        if (probabilities.Length != (long)n * k)
            throw new ArgumentException($"{n} labels × {k} classes = {(long)n * k} probabilities expected, got {probabilities.Length}.", nameof(probabilities));
        topK = Math.Min(topK, k);

        var counts = new int[k][];
        for (int c = 0; c < k; c++) counts[c] = new int[k];
        var classRows = new int[k];
        var classLogLoss = new double[k];
        var seenRanks = new int[k + 1]; // rank of the true class; k for unknown labels
        double totalLogLoss = 0;
        int correct = 0, unknown = 0;
        for (int i = 0; i < n; i++)
        {
            int label = labels[i];
            if (label < 0) throw new ArgumentException($"Label {label} of row {i} is negative.", nameof(labels));
            ReadOnlySpan<float> p = probabilities.Slice(i * k, k);
            int assigned = 0;
            for (int c = 0; c < k; c++)
            {
                if (!float.IsFinite(p[c])) throw new ArgumentException($"Probability {c} of row {i} is {p[c]}.", nameof(probabilities));
                if (p[c] > p[assigned]) assigned = c;
            }
            bool known = label < k;
            double logLoss = -Math.Log(known ? Math.Min(1f, Math.Max(Epsilon, p[label])) : Epsilon);
            float truth = known ? p[label] : 0f;
            int rank = 0;
            for (int c = 0; c < k; c++)
                if (p[c] > truth || (p[c] == truth && c < label)) rank++;
            seenRanks[rank]++;
            totalLogLoss += logLoss;
            if (known)
            {
                classRows[label]++;
                classLogLoss[label] += logLoss;
                counts[label][assigned]++;
                if (rank == 0) correct++;
            }
            else
            {
                unknown++;
            }
        }

        double micro = n > 0 ? (double)correct / n : 0;
        double macro = 0;
        int present = 0;
        for (int c = 0; c < k; c++)
        {
            if (classRows[c] == 0) continue;
            present++;
            macro += (double)counts[c][c] / classRows[c];
        }
        macro = present > 0 ? macro / present : 0;
        double logLossMean = n > 0 ? totalLogLoss / n : 0;
        double entropy = 0;
        for (int c = 0; c < k; c++)
            if (classRows[c] != 0) entropy += classRows[c] * Math.Log((double)classRows[c] / n);
        entropy /= -n;
        var topKAll = new double[topK];
        double cumulative = 0;
        for (int j = 0; j < topK; j++)
        {
            cumulative += n > 0 ? (double)seenRanks[j] / n : 0;
            topKAll[j] = cumulative;
        }
        var perClassLogLoss = new double[k];
        for (int c = 0; c < k; c++) perClassLogLoss[c] = classRows[c] > 0 ? classLogLoss[c] / classRows[c] : 0;

        return new MulticlassMetrics
        {
            MicroAccuracy = micro,
            MacroAccuracy = macro,
            LogLoss = logLossMean,
            // entropy is -0.0 for a single class: dividing by it gave an infinity of the wrong sign, not "undefined".
            LogLossReduction = entropy > 0 ? (entropy - logLossMean) / entropy : double.NaN,
            TopKPredictionCount = topK,
            TopKAccuracy = topK > 0 ? topKAll[^1] : 0,
            TopKAccuracyForAllK = topKAll,
            PerClassLogLoss = perClassLogLoss,
            ConfusionMatrix = BuildConfusion(counts, classRows),
            InstanceCount = n,
            UnknownClassCount = unknown,
        };
    }

    private static ConfusionMatrix BuildConfusion(int[][] counts, int[] classRows)
    {
        int k = counts.Length;
        var precision = new double[k];
        var recall = new double[k];
        var f1 = new double[k];
        for (int c = 0; c < k; c++)
        {
            int predicted = 0;
            for (int t = 0; t < k; t++) predicted += counts[t][c];
            precision[c] = predicted > 0 ? (double)counts[c][c] / predicted : 0;
            recall[c] = classRows[c] > 0 ? (double)counts[c][c] / classRows[c] : 0;
            f1[c] = precision[c] + recall[c] > 0 ? 2 * precision[c] * recall[c] / (precision[c] + recall[c]) : 0;
        }
        return new ConfusionMatrix
        {
            NumberOfClasses = k,
            Counts = counts,
            PerClassPrecision = precision,
            PerClassRecall = recall,
            PerClassF1 = f1,
            PerClassSupport = (int[])classRows.Clone(),
        };
    }

    /// <summary>A plain-text report: the overall metrics, a per-class table and the confusion matrix.</summary>
    /// <param name="classNames">Names for the classes (indices are used when null or short).</param>
    public string ToTable(IReadOnlyList<string>? classNames = null) => MetricsTable.Format(this, classNames);
}
