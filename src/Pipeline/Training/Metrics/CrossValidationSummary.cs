using System.Text.Json.Serialization;

namespace Pipeline.Training.Metrics;

/// <summary>Cross-validation results: every fold's metrics and the mean ± standard deviation of each metric across folds.</summary>
public sealed record CrossValidationSummary
{
    /// <summary>Each fold's validation metrics, in fold order.</summary>
    [JsonPropertyName("folds")] public MulticlassMetrics[] Folds { get; init; } = [];

    /// <summary>MicroAccuracy across folds.</summary>
    [JsonPropertyName("microAccuracy")] public MetricStatistics MicroAccuracy { get; init; } = new();

    /// <summary>MacroAccuracy across folds.</summary>
    [JsonPropertyName("macroAccuracy")] public MetricStatistics MacroAccuracy { get; init; } = new();

    /// <summary>LogLoss across folds.</summary>
    [JsonPropertyName("logLoss")] public MetricStatistics LogLoss { get; init; } = new();

    /// <summary>LogLossReduction across folds.</summary>
    [JsonPropertyName("logLossReduction")] public MetricStatistics LogLossReduction { get; init; } = new();

    /// <summary>TopKAccuracy across folds.</summary>
    [JsonPropertyName("topKAccuracy")] public MetricStatistics TopKAccuracy { get; init; } = new();

    /// <summary>Each class's log loss across folds.</summary>
    [JsonPropertyName("perClassLogLoss")] public MetricStatistics[] PerClassLogLoss { get; init; } = [];

    /// <summary>Summarizes the folds' metrics (all over the same classes).</summary>
    public static CrossValidationSummary From(IReadOnlyList<MulticlassMetrics> folds)
    {
        ArgumentNullException.ThrowIfNull(folds);
        if (folds.Count == 0) throw new ArgumentException("No folds to summarize.", nameof(folds));
        int k = folds[0].PerClassLogLoss.Length;
        var values = new double[folds.Count];
        MetricStatistics Of(Func<MulticlassMetrics, double> metric)
        {
            for (int f = 0; f < folds.Count; f++) values[f] = metric(folds[f]);
            return MetricStatistics.Of(values);
        }
        var perClass = new MetricStatistics[k];
        for (int c = 0; c < k; c++)
        {
            int cls = c;
            perClass[c] = Of(m => m.PerClassLogLoss.Length > cls ? m.PerClassLogLoss[cls] : double.NaN);
        }
        return new CrossValidationSummary
        {
            Folds = [.. folds],
            MicroAccuracy = Of(m => m.MicroAccuracy),
            MacroAccuracy = Of(m => m.MacroAccuracy),
            LogLoss = Of(m => m.LogLoss),
            LogLossReduction = Of(m => m.LogLossReduction),
            TopKAccuracy = Of(m => m.TopKAccuracy),
            PerClassLogLoss = perClass,
        };
    }

    /// <summary>A plain-text table: one row per fold and a mean ± std row.</summary>
    public string ToTable() => MetricsTable.Format(this);
}
