using System.Text.Json.Serialization;

namespace Pipeline.Training.Metrics;

/// <summary>
/// The confusion matrix of a multiclass evaluation, as ML.NET's <c>ConfusionMatrix</c>: <see cref="Counts"/>[truth][predicted]
/// (rows are the true classes), with per-class precision (diagonal / column sum) and recall (diagonal / row sum), each 0
/// when its denominator is 0. <see cref="PerClassF1"/> (the harmonic mean of the two, 0 when both are 0) is an addition.
/// Rows whose label is unknown to the model are not counted, as in ML.NET.
/// </summary>
public sealed record ConfusionMatrix
{
    /// <summary>The number of classes (rows and columns).</summary>
    [JsonPropertyName("numberOfClasses")] public int NumberOfClasses { get; init; }

    /// <summary>Counts[truth][predicted].</summary>
    [JsonPropertyName("counts")] public int[][] Counts { get; init; } = [];

    /// <summary>Precision per class: correct predictions of the class / all predictions of the class.</summary>
    [JsonPropertyName("perClassPrecision")] public double[] PerClassPrecision { get; init; } = [];

    /// <summary>Recall per class: correct predictions of the class / rows of the class.</summary>
    [JsonPropertyName("perClassRecall")] public double[] PerClassRecall { get; init; } = [];

    /// <summary>F1 per class: 2·P·R / (P + R).</summary>
    [JsonPropertyName("perClassF1")] public double[] PerClassF1 { get; init; } = [];

    /// <summary>The number of rows of each class (the row sums).</summary>
    [JsonPropertyName("perClassSupport")] public int[] PerClassSupport { get; init; } = [];
}
