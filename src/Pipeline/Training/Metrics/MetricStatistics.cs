using System.Text.Json.Serialization;

namespace Pipeline.Training.Metrics;

/// <summary>
/// Summary statistics of one metric over several observations (cross-validation folds), as ML.NET's
/// <c>MetricStatistics</c>: the mean, the sample standard deviation (n − 1 in the denominator; 0 for fewer than two
/// observations) and the standard error of the mean (std / √n).
/// </summary>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record MetricStatistics
{
    /// <summary>The mean.</summary>
    [JsonPropertyName("mean")] public double Mean { get; init; }

    /// <summary>The sample standard deviation.</summary>
    [JsonPropertyName("standardDeviation")] public double StandardDeviation { get; init; }

    /// <summary>The standard error of the mean.</summary>
    [JsonPropertyName("standardError")] public double StandardError { get; init; }

    /// <summary>The number of observations.</summary>
    [JsonPropertyName("count")] public int Count { get; init; }

    /// <summary>The statistics of <paramref name="values"/>.</summary>
    public static MetricStatistics Of(ReadOnlySpan<double> values)
    {
        int n = values.Length;
        double mean = 0;
        foreach (double v in values) mean += v;
        mean = n > 0 ? mean / n : 0;
        double squares = 0;
        foreach (double v in values) squares += (v - mean) * (v - mean);
        double std = n > 1 ? Math.Sqrt(squares / (n - 1)) : 0;
        return new MetricStatistics { Mean = mean, StandardDeviation = std, StandardError = n > 1 ? std / Math.Sqrt(n) : 0, Count = n };
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Mean:F4} ± {StandardDeviation:F4}";
}
