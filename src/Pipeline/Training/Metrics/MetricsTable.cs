using System.Globalization;
using System.Text;

namespace Pipeline.Training.Metrics;

/// <summary>Plain-text renderings of metrics for terminals and logs (invariant culture, fixed 4 decimals).</summary>
internal static class MetricsTable
{
    /// <summary>A metric with 4 decimals, or "n/a" for an undefined one (NaN, such as a log-loss reduction on one class).</summary>
    public static string Metric(double value) => double.IsFinite(value) ? value.ToString("F4", CultureInfo.InvariantCulture) : "n/a";

    public static string Format(MulticlassMetrics m, IReadOnlyList<string>? names)
    {
        var sb = new StringBuilder();
        int k = m.ConfusionMatrix.NumberOfClasses;
        string Name(int c) => names is not null && c < names.Count ? names[c] : c.ToString(CultureInfo.InvariantCulture);
        sb.AppendLine(Invariant($"MicroAccuracy     {m.MicroAccuracy:F4}"));
        sb.AppendLine(Invariant($"MacroAccuracy     {m.MacroAccuracy:F4}"));
        sb.AppendLine(Invariant($"LogLoss           {m.LogLoss:F4}"));
        sb.AppendLine(Invariant($"LogLossReduction  {Metric(m.LogLossReduction)}"));
        if (m.TopKPredictionCount > 0)
            sb.AppendLine("Top-1.." + m.TopKPredictionCount.ToString(CultureInfo.InvariantCulture) + " accuracy "
                + string.Join(" ", m.TopKAccuracyForAllK.Select(a => a.ToString("F4", CultureInfo.InvariantCulture))));
        sb.AppendLine(Invariant($"Rows              {m.InstanceCount}") + (m.UnknownClassCount > 0 ? Invariant($" ({m.UnknownClassCount} of classes unknown to the model)") : ""));
        sb.AppendLine();

        int width = Math.Max(5, Enumerable.Range(0, k).Select(c => Name(c).Length).DefaultIfEmpty(5).Max());
        sb.AppendLine($"{"Class".PadRight(width)}  Precision  Recall  F1      LogLoss  Support");
        ConfusionMatrix cm = m.ConfusionMatrix;
        for (int c = 0; c < k; c++)
            sb.AppendLine(Invariant($"{Name(c).PadRight(width)}  {cm.PerClassPrecision[c],9:F4}  {cm.PerClassRecall[c],6:F4}  {cm.PerClassF1[c],6:F4}  {m.PerClassLogLoss[c],7:F4}  {cm.PerClassSupport[c],7}"));
        sb.AppendLine();

        sb.AppendLine("Confusion matrix (rows = truth, columns = predicted)");
        int cell = Math.Max(6, cm.Counts.SelectMany(r => r).Select(v => v.ToString(CultureInfo.InvariantCulture).Length).DefaultIfEmpty(1).Max() + 1);
        sb.Append(new string(' ', width));
        for (int c = 0; c < k; c++) sb.Append(Clip(Name(c), cell - 1).PadLeft(cell));
        sb.AppendLine();
        for (int t = 0; t < k; t++)
        {
            sb.Append(Name(t).PadRight(width));
            for (int c = 0; c < k; c++) sb.Append(cm.Counts[t][c].ToString(CultureInfo.InvariantCulture).PadLeft(cell));
            sb.AppendLine();
        }
        return sb.ToString();
    }

    public static string Format(CrossValidationSummary s)
    {
        var sb = new StringBuilder();
        sb.AppendLine("Fold  MicroAccuracy  MacroAccuracy  LogLoss  LogLossReduction  TopKAccuracy");
        for (int f = 0; f < s.Folds.Length; f++)
        {
            MulticlassMetrics m = s.Folds[f];
            sb.AppendLine(Invariant($"{f + 1,4}  {m.MicroAccuracy,13:F4}  {m.MacroAccuracy,13:F4}  {m.LogLoss,7:F4}  {Metric(m.LogLossReduction),16}  {m.TopKAccuracy,12:F4}"));
        }
        sb.AppendLine(Invariant($"mean  {s.MicroAccuracy.Mean,13:F4}  {s.MacroAccuracy.Mean,13:F4}  {s.LogLoss.Mean,7:F4}  {Metric(s.LogLossReduction.Mean),16}  {s.TopKAccuracy.Mean,12:F4}"));
        sb.AppendLine(Invariant($" std  {s.MicroAccuracy.StandardDeviation,13:F4}  {s.MacroAccuracy.StandardDeviation,13:F4}  {s.LogLoss.StandardDeviation,7:F4}  {Metric(s.LogLossReduction.StandardDeviation),16}  {s.TopKAccuracy.StandardDeviation,12:F4}"));
        return sb.ToString();
    }

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..length];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
