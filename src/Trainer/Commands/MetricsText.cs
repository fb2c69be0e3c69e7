using System.Globalization;
using Pipeline.Classification;
using Pipeline.Datasets;
using Pipeline.Training;
using Pipeline.Training.Metrics;

namespace Trainer.Commands;

/// <summary>Human-readable lines for metrics and exclusions, shared by the training and evaluation commands.</summary>
internal static class MetricsText
{
    /// <summary>How many excluded files are listed by path before "... and N more".</summary>
    public const int ListedExclusions = 5;

    public static string Summary(string title, MulticlassMetrics m) => string.Create(CultureInfo.InvariantCulture,
        $"{title}: microAccuracy {m.MicroAccuracy:0.0000}, macroAccuracy {m.MacroAccuracy:0.0000}, logLoss {m.LogLoss:0.0000}, logLossReduction {MetricsTable.Metric(m.LogLossReduction)}, top-{m.TopKPredictionCount} accuracy {m.TopKAccuracy:0.0000} ({m.InstanceCount} images)");

    /// <summary>How many class names <see cref="Names"/> lists before "... (N in all)".</summary>
    public const int ListedNames = 20;

    /// <summary>Class names for a message, comma-separated; a long list is cut after <see cref="ListedNames"/>.</summary>
    public static string Names(IReadOnlyList<string> names)
        => names.Count <= ListedNames ? string.Join(", ", names) : $"{string.Join(", ", names.Take(ListedNames))}, ... ({names.Count} in all)";

    /// <summary>Prints the excluded files loudly: the count and the first few paths with reasons.</summary>
    public static void Exclusions(CommandOutput output, IReadOnlyList<ExcludedFile> excluded)
    {
        if (excluded.Count == 0) return;
        output.Text($"excluded {excluded.Count} file(s) that could not be used:");
        for (int i = 0; i < excluded.Count && i < ListedExclusions; i++) output.Text($"  {excluded[i].Path}: {excluded[i].Reason}");
        if (excluded.Count > ListedExclusions) output.Text($"  ... and {excluded.Count - ListedExclusions} more");
    }

    private const string SkippedPrefix = "skipped: ";

    /// <summary>Says how the head's probabilities were calibrated: the temperature, or why calibration was skipped.</summary>
    public static void Calibration(CommandOutput output, TrainingSummary? head)
    {
        if (head?.Temperature is { } temperature)
            output.Text(string.Create(CultureInfo.InvariantCulture, $"probabilities calibrated: logits divided by a temperature of {temperature:0.###}"));
        else if (head is not null && head.Calibration.StartsWith(SkippedPrefix, StringComparison.Ordinal))
            output.Text($"probabilities not calibrated: {head.Calibration[SkippedPrefix.Length..]}");
    }

    /// <summary>
    /// How featurizing went, as the JSON record every command that featurizes writes: its time is <c>elapsedMs</c>, a
    /// number of milliseconds like every other time in the output (serialized as it is, a TimeSpan was a string).
    /// </summary>
    public static object FeaturizationRecord(FeaturizationReport report) => new
    {
        images = report.Images,
        cacheHits = report.CacheHits,
        computed = report.Computed,
        elapsedMs = Math.Round(report.Elapsed.TotalMilliseconds, 1),
        imagesPerSecond = report.ImagesPerSecond,
    };

    /// <summary>The excluded files as JSON records (all of them: machine readers want the whole list).</summary>
    public static object[] ExclusionRecords(IReadOnlyList<ExcludedFile> excluded)
        => excluded.Select(e => (object)new { path = e.Path, reason = e.Reason }).ToArray();
}
