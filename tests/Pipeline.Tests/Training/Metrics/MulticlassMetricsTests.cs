using System.Text.Json;
using Pipeline.Training.Metrics;

namespace Pipeline.Tests.Training.Metrics;

public sealed class MulticlassMetricsTests
{
    // Four rows, three classes:
    //   row  label  probabilities      predicted  rank of truth  −ln p(truth)
    //   0    0      0.7  0.2  0.1      0          0              −ln 0.7 = 0.356675
    //   1    1      0.5  0.4  0.1      0          1              −ln 0.4 = 0.916291
    //   2    2      0.2  0.3  0.5      2          0              −ln 0.5 = 0.693147
    //   3    2      0.1  0.6  0.3      1          1              −ln 0.3 = 1.203973
    private static readonly float[] P = [0.7f, 0.2f, 0.1f, 0.5f, 0.4f, 0.1f, 0.2f, 0.3f, 0.5f, 0.1f, 0.6f, 0.3f];
    private static readonly int[] Y = [0, 1, 2, 2];

    [Fact]
    public void MatchesTheHandComputedValues()
    {
        MulticlassMetrics m = MulticlassMetrics.Evaluate(P, Y, 3, topK: 3);
        // Micro: 2 of 4 correct. Macro: class accuracies 1/1, 0/1, 1/2 → (1 + 0 + 0.5) / 3.
        Assert.Equal(0.5, m.MicroAccuracy, 12);
        Assert.Equal(0.5, m.MacroAccuracy, 12);
        double[] losses = [-Math.Log(0.7f), -Math.Log(0.4f), -Math.Log(0.5f), -Math.Log(0.3f)];
        double logLoss = losses.Average();                      // ≈ 0.792522
        Assert.Equal(0.792522, logLoss, 5);
        Assert.Equal(logLoss, m.LogLoss, 12);
        // Prior: labels 1:1:2 of 4 → H = −(¼ ln ¼ + ¼ ln ¼ + ½ ln ½) = 1.039721; reduction = (H − LL) / H ≈ 0.237756.
        double entropy = -(0.25 * Math.Log(0.25) * 2 + 0.5 * Math.Log(0.5));
        Assert.Equal(1.039721, entropy, 6);
        Assert.Equal((entropy - logLoss) / entropy, m.LogLossReduction, 12);
        Assert.Equal(0.237756, m.LogLossReduction, 5);
        // Ranks 0, 1, 0, 1: top-1 = 2/4, top-2 = top-3 = 4/4.
        Assert.Equal([0.5, 1.0, 1.0], m.TopKAccuracyForAllK);
        Assert.Equal(1.0, m.TopKAccuracy);
        Assert.Equal(3, m.TopKPredictionCount);
        // Per class: class 2 averages its two rows.
        Assert.Equal(losses[0], m.PerClassLogLoss[0], 12);
        Assert.Equal(losses[1], m.PerClassLogLoss[1], 12);
        Assert.Equal((losses[2] + losses[3]) / 2, m.PerClassLogLoss[2], 12);
        // Confusion (rows = truth): [1 0 0] [1 0 0] [0 1 1].
        Assert.Equal([[1, 0, 0], [1, 0, 0], [0, 1, 1]], m.ConfusionMatrix.Counts);
        // Precision = diagonal / column: 1/2, 0/1, 1/1. Recall = diagonal / row: 1, 0, 1/2. F1 = 2PR/(P+R): 2/3, 0, 2/3.
        Assert.Equal([0.5, 0, 1], m.ConfusionMatrix.PerClassPrecision);
        Assert.Equal([1, 0, 0.5], m.ConfusionMatrix.PerClassRecall);
        Assert.Equal(2.0 / 3, m.ConfusionMatrix.PerClassF1[0], 12);
        Assert.Equal(0, m.ConfusionMatrix.PerClassF1[1]);
        Assert.Equal(2.0 / 3, m.ConfusionMatrix.PerClassF1[2], 12);
        Assert.Equal([1, 1, 2], m.ConfusionMatrix.PerClassSupport);
    }

    [Fact]
    public void TiesRankTheLowerClassFirstAndZeroProbabilitiesAreClamped()
    {
        // p = (0.4, 0.4, 0.2): the prediction is class 0; truth 1 ranks second (the tie goes to the lower index).
        // Truth 2 with p = 0: −ln(1e−15 as float).
        MulticlassMetrics m = MulticlassMetrics.Evaluate([0.4f, 0.4f, 0.2f, 0.4f, 0.4f, 0.2f, 1f, 0f, 0f], [0, 1, 2], 3, topK: 2);
        Assert.Equal(1.0 / 3, m.MicroAccuracy, 12);
        Assert.Equal([1.0 / 3, 2.0 / 3], m.TopKAccuracyForAllK);
        Assert.Equal(-Math.Log(1e-15f), m.PerClassLogLoss[2], 12);
        Assert.Equal(34.538776, m.PerClassLogLoss[2], 5);
        Assert.Equal(1, m.ConfusionMatrix.Counts[1][0]);
    }

    [Fact]
    public void UnknownClassesCountAsErrorsOutsideTheConfusionMatrix()
    {
        // Label 3 is a class the 3-class model does not know: log loss −ln 1e−15, an error, no confusion row.
        MulticlassMetrics m = MulticlassMetrics.Evaluate([0.7f, 0.2f, 0.1f, 0.2f, 0.3f, 0.5f], [0, 3], 3, topK: 3);
        Assert.Equal(1, m.UnknownClassCount);
        Assert.Equal(0.5, m.MicroAccuracy);
        Assert.Equal(1.0, m.MacroAccuracy); // only class 0 is present among known labels
        Assert.Equal((-Math.Log(0.7f) - Math.Log(1e-15f)) / 2, m.LogLoss, 12);
        Assert.Equal(1, m.ConfusionMatrix.Counts.Sum(r => r.Sum()));
        Assert.Equal([0.5, 0.5, 0.5], m.TopKAccuracyForAllK);
    }

    [Fact]
    public void PerfectPredictionsReduceTheLogLossFully()
    {
        float[] p = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0];
        MulticlassMetrics m = MulticlassMetrics.Evaluate(p, [0, 1, 2, 1], 3);
        Assert.Equal(1.0, m.MicroAccuracy);
        Assert.Equal(0.0, m.LogLoss, 12);
        Assert.Equal(1.0, m.LogLossReduction, 12);
    }

    [Fact]
    public void UniformPredictionsOnBalancedClassesReduceNothing()
    {
        // LogLoss = ln 4 = the prior's entropy when the four classes are balanced.
        float[] p = Enumerable.Repeat(0.25f, 8 * 4).ToArray();
        MulticlassMetrics m = MulticlassMetrics.Evaluate(p, [0, 1, 2, 3, 3, 2, 1, 0], 4);
        Assert.Equal(Math.Log(4), m.LogLoss, 6);
        Assert.Equal(0.0, m.LogLossReduction, 6);
    }

    [Fact]
    public void SerializesWithMlNetsCamelCaseNames()
    {
        string json = JsonSerializer.Serialize(MulticlassMetrics.Evaluate(P, Y, 3));
        foreach (string name in new[] { "microAccuracy", "macroAccuracy", "logLoss", "logLossReduction", "topKAccuracy", "topKAccuracyForAllK",
                                        "topKPredictionCount", "perClassLogLoss", "confusionMatrix", "counts", "perClassPrecision", "perClassRecall", "perClassF1" })
            Assert.Contains($"\"{name}\":", json);
        // A single-class set has zero entropy: the reduction is undefined (NaN) and must still serialize, and come back.
        MulticlassMetrics single = MulticlassMetrics.Evaluate([0.9f, 0.1f], [0], 2);
        Assert.True(double.IsNaN(single.LogLossReduction));
        string text = JsonSerializer.Serialize(single);
        Assert.Contains("\"logLossReduction\":\"NaN\"", text);
        Assert.True(double.IsNaN(JsonSerializer.Deserialize<MulticlassMetrics>(text)!.LogLossReduction));
    }

    [Theory]
    [InlineData(0.9f)]
    [InlineData(0.5f)]
    [InlineData(0.1f)]
    [InlineData(1f)]
    public void The_log_loss_reduction_of_a_single_class_is_undefined_whatever_the_scores(float score)
    {
        // ML.NET's (H − LL) / H with H = 0 / −n = −0.0 gave −∞, +∞ or NaN depending on the log loss: none means anything.
        MulticlassMetrics single = MulticlassMetrics.Evaluate([score, 1 - score, score, 1 - score], [0, 0], 2);
        Assert.True(double.IsNaN(single.LogLossReduction), $"got {single.LogLossReduction}");
        Assert.True(double.IsNaN(MulticlassMetrics.Evaluate([], [], 2).LogLossReduction), "no rows: no prior either");
    }

    [Fact]
    public void TheTableNamesClassesAndShowsTheMatrix()
    {
        string table = MulticlassMetrics.Evaluate(P, Y, 3).ToTable(["daisy", "rose", "tulip"]);
        Assert.Contains("MicroAccuracy     0.5000", table);
        Assert.Contains("tulip", table);
        Assert.Contains("rows = truth", table);
    }

    [Fact]
    public void CrossValidationStatisticsUseTheSampleStandardDeviation()
    {
        // Folds 0.8, 0.9, 1.0: mean 0.9, sample std √((0.01 + 0 + 0.01) / 2) = 0.1, standard error 0.1 / √3.
        MetricStatistics s = MetricStatistics.Of([0.8, 0.9, 1.0]);
        Assert.Equal(0.9, s.Mean, 12);
        Assert.Equal(0.1, s.StandardDeviation, 12);
        Assert.Equal(0.1 / Math.Sqrt(3), s.StandardError, 12);
        Assert.Equal(0, MetricStatistics.Of([0.7]).StandardDeviation);
        MulticlassMetrics a = MulticlassMetrics.Evaluate(P, Y, 3);
        MulticlassMetrics b = MulticlassMetrics.Evaluate([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1], Y, 3);
        CrossValidationSummary summary = CrossValidationSummary.From([a, b]);
        Assert.Equal(0.75, summary.MicroAccuracy.Mean, 12);
        Assert.Equal(Math.Sqrt(0.125), summary.MicroAccuracy.StandardDeviation, 12);
        Assert.Contains("mean", summary.ToTable());
    }
}
