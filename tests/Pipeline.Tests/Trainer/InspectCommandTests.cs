using Pipeline.Persistence;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>inspect never calls fine a model.zip that predict refuses: it describes it, then exits 3 with the loader's reason.</summary>
public sealed class InspectCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("inspect-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_model_zip_whose_head_does_not_match_its_labels_is_described_and_refused()
    {
        string model = Path.Combine(_dir, "model.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", model, "--no-cache");
        Assert.True(exit == 0, error);
        (exit, _, error) = TrainerCli.Run("inspect", "--model", model);
        Assert.True(exit == 0, error);
        Assert.Equal("", error);
        (exit, _, error) = TrainerCli.Run("inspect", "--model", model, "--batch", "-3"); // refused for a model.zip too
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains("--batch must be at least 1", error, StringComparison.Ordinal);

        // Every entry intact and listed, but the 4-class head now sits under 2 labels.
        string bad = Path.Combine(_dir, "bad.zip");
        (ModelPackage.Load(model) with { Labels = ["circles", "squares"] }).Save(bad, TestContext.Current.CancellationToken);
        string circle = Directory.GetFiles(Path.Combine(Shapes, "circles"))[0];
        (int predictExit, _, string predictError) = TrainerCli.Run("predict", "--model", bad, circle);
        Assert.Equal(ExitCodes.InvalidInput, predictExit);

        string output;
        (exit, output, error) = TrainerCli.Run("inspect", "--model", bad);
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("labels      2: circles, squares", output, StringComparison.Ordinal);
        Assert.Contains("the head scores 4 classes but the manifest lists 2 labels", error, StringComparison.Ordinal);
        Assert.Contains("bad.zip", error, StringComparison.Ordinal);
        Assert.Contains("the head scores 4 classes", predictError, StringComparison.Ordinal);
    }
}
