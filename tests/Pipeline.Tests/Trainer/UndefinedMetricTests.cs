using System.Text.Json;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Trainer;

/// <summary>An undefined metric (the log-loss reduction on images of one class) prints as "n/a" and is JSON null, never "NaN" or "Infinity".</summary>
public sealed class UndefinedMetricTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("metric-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Evaluating_on_one_class_reports_the_log_loss_reduction_as_not_available()
    {
        string model = Path.Combine(_dir, "model.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", model, "--no-cache");
        Assert.True(exit == 0, error);
        string circles = Path.Combine(_dir, "only", "circles");
        Directory.CreateDirectory(circles);
        foreach (string file in Directory.GetFiles(Path.Combine(Shapes, "circles"))) File.Copy(file, Path.Combine(circles, Path.GetFileName(file)));

        string output;
        (exit, output, error) = TrainerCli.Run("evaluate", "--model", model, "--data", Path.Combine(_dir, "only"), "--no-cache");
        Assert.True(exit == 0, error);
        Assert.Contains("logLossReduction n/a", output, StringComparison.Ordinal);
        Assert.Contains("LogLossReduction  n/a", output, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", output, StringComparison.Ordinal);

        (exit, output, error) = TrainerCli.Run("evaluate", "--model", model, "--data", Path.Combine(_dir, "only"), "--no-cache", "--json");
        Assert.True(exit == 0, error);
        JsonElement record = JsonDocument.Parse(output).RootElement;
        Assert.Equal(JsonValueKind.Null, record.GetProperty("logLossReduction").ValueKind);
        Assert.Equal(JsonValueKind.Null, record.GetProperty("metrics").GetProperty("logLossReduction").ValueKind);
        Assert.Equal(JsonValueKind.Number, record.GetProperty("logLoss").ValueKind);
        Assert.DoesNotContain("NaN", output, StringComparison.Ordinal);
    }
}
