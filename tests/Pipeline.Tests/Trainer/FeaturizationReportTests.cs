using System.Text.Json;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Trainer;

/// <summary>
/// Every command that featurizes says so the same way in --json: a <c>featurization</c> record with the cache hits, and
/// its time as <c>elapsedMs</c>, a number of milliseconds like every other time in the output.
/// </summary>
public sealed class FeaturizationReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("featurization-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonElement Featurization(params string[] args)
    {
        (int exit, string output, string error) = TrainerCli.Run([.. args, "--json"]);
        Assert.True(exit == 0, error);
        JsonElement record = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.True(record.TryGetProperty("featurization", out JsonElement featurization), $"{args[0]} --json has no featurization record");
        Assert.Equal(["cacheHits", "computed", "elapsedMs", "images", "imagesPerSecond"], featurization.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(JsonValueKind.Number, featurization.GetProperty("elapsedMs").ValueKind);
        Assert.Equal(128, featurization.GetProperty("images").GetInt32());
        return featurization;
    }

    [Fact]
    public void Train_evaluate_and_retrain_report_featurization_and_the_cache_hits_alike()
    {
        string cache = Path.Combine(_dir, "cache"), model = Path.Combine(_dir, "m.zip");
        JsonElement trained = Featurization("train", "--data", Shapes, "--out", model, "--cache", cache);
        Assert.Equal(0, trained.GetProperty("cacheHits").GetInt32());
        Assert.Equal(128, trained.GetProperty("computed").GetInt32());

        // The same featurizer on the same images: every feature comes from the cache train filled.
        foreach (string[] command in new[]
        {
            new[] { "evaluate", "--model", model, "--data", Shapes, "--cache", cache },
            new[] { "retrain", "--model", model, "--data", Shapes, "--out", Path.Combine(_dir, "r.zip"), "--cache", cache },
        })
        {
            JsonElement featurization = Featurization(command);
            Assert.Equal(128, featurization.GetProperty("cacheHits").GetInt32());
            Assert.Equal(0, featurization.GetProperty("computed").GetInt32());
        }
    }
}
