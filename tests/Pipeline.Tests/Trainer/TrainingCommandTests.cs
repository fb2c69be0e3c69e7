using System.CommandLine;
using System.Text.Json;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>The user's main job through the CLI, in-process: train, evaluate, predict, retrain, cv on data/shapes.</summary>
public sealed class TrainingCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("training-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Run(params string[] args) => TrainerCli.Run(args);

    private static JsonElement Last(string text) => JsonDocument.Parse(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;

    [Fact]
    public void TrainEvaluatePredictAndRetrainWithANewClass()
    {
        string model = Path.Combine(_dir, "model.zip");
        (int exit, string output, string error) = Run("train", "--data", Shapes, "--out", model, "--no-cache", "--json");
        Assert.True(exit == 0, error);
        JsonElement trained = Last(output);
        Assert.Equal(4, trained.GetProperty("classes").GetArrayLength());
        foreach (string key in new[] { "microAccuracy", "macroAccuracy", "logLoss", "logLossReduction", "excluded", "trainingImages", "validationImages" })
            Assert.True(trained.TryGetProperty(key, out _), $"train --json lacks {key}");
        Assert.True(trained.GetProperty("microAccuracy").GetDouble() > 0.4, "well above chance (0.25) on the sample shapes");

        (exit, output, error) = Run("evaluate", "--model", model, "--data", Shapes, "--no-cache", "--json");
        Assert.True(exit == 0, error);
        JsonElement evaluated = Last(output);
        Assert.Equal(128, evaluated.GetProperty("images").GetInt32());
        Assert.Equal(4, evaluated.GetProperty("perClassLogLoss").GetArrayLength());

        string circle = Directory.GetFiles(Path.Combine(Shapes, "circles"))[0];
        (exit, output, error) = Run("predict", "--model", model, circle, "--top", "2", "--json");
        Assert.True(exit == 0, error);
        JsonElement prediction = JsonDocument.Parse(output.Split('\n')[0]).RootElement;
        Assert.Equal(2, prediction.GetProperty("top").GetArrayLength());
        Assert.True(Last(output).GetProperty("summary").GetBoolean());

        string data = Path.Combine(_dir, "more");
        foreach (string folder in Directory.GetDirectories(Shapes))
        {
            string target = Path.Combine(data, Path.GetFileName(folder));
            Directory.CreateDirectory(target);
            foreach (string file in Directory.GetFiles(folder)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        // Renamed, the stripes are a class the old model has never seen.
        Directory.Move(Path.Combine(data, "stripes"), Path.Combine(data, "bands"));
        byte[] before = File.ReadAllBytes(model);
        string retrained = Path.Combine(_dir, "model2.zip");
        (exit, output, error) = Run("retrain", "--model", model, "--data", data, "--out", retrained, "--no-cache", "--json");
        Assert.True(exit == 0, error);
        JsonElement re = Last(output);
        Assert.Equal("bands", re.GetProperty("newClasses")[0].GetString());
        Assert.True(re.TryGetProperty("previous", out JsonElement previous) && previous.TryGetProperty("microAccuracy", out _));
        Assert.Equal(before, File.ReadAllBytes(model)); // the input model is never touched
    }

    [Fact]
    public void BadInputsGiveNonZeroExitsAndNameTheFile()
    {
        (int exit, _, string error) = Run("train", "--data", Path.Combine(_dir, "nowhere"), "--out", Path.Combine(_dir, "m.zip"));
        Assert.NotEqual(0, exit);
        Assert.Contains("nowhere", error);

        (exit, _, error) = Run("train", "--data", Shapes, "--out", Path.Combine(_dir, "missing-folder", "m.zip"));
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains("missing-folder", error);

        (exit, _, error) = Run("train", "--data", Shapes, "--head", "forest");
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains("forest", error);

        string corrupt = Path.Combine(_dir, "corrupt.zip");
        File.WriteAllBytes(corrupt, [0x50, 0x4B, 0x03, 0x04, 1, 2, 3]);
        (exit, _, error) = Run("predict", "--model", corrupt, Directory.GetFiles(Path.Combine(Shapes, "circles"))[0]);
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("corrupt.zip", error);

        (exit, _, error) = Run("evaluate", "--model", corrupt);
        Assert.Equal(ExitCodes.BadArguments, exit);
    }

    [Fact]
    public void CrossValidationReportsMeanAndStandardDeviation()
    {
        (int exit, string output, string error) = Run("cv", "--data", Shapes, "--folds", "2", "--no-cache", "--json");
        Assert.True(exit == 0, error);
        JsonElement summary = Last(output);
        Assert.Equal(2, summary.GetProperty("folds").GetInt32());
        Assert.True(summary.GetProperty("microAccuracy").GetProperty("mean").GetDouble() > 0.4);
        Assert.True(summary.GetProperty("microAccuracy").TryGetProperty("standardDeviation", out _));
    }
}
