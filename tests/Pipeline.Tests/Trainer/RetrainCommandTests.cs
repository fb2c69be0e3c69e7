using System.Text.Json;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>
/// retrain must not turn a good model into a useless one quietly: data of one class is refused as train refuses it,
/// classes the data lacks are named, and a clearly worse model is flagged and does not replace --model without --force.
/// </summary>
public sealed class RetrainCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("retrain-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonElement Last(string text) => JsonDocument.Parse(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;

    private string Model()
    {
        string model = Path.Combine(_dir, "r.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", model, "--no-cache");
        Assert.True(exit == 0, error);
        return model;
    }

    /// <summary>A copy of some of the shape classes.</summary>
    private string Subset(string name, params string[] classes)
    {
        string root = Path.Combine(_dir, name);
        foreach (string label in classes)
        {
            string target = Directory.CreateDirectory(Path.Combine(root, label)).FullName;
            foreach (string file in Directory.GetFiles(Path.Combine(Shapes, label))) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        return root;
    }

    [Fact]
    public void Data_of_one_class_is_refused_as_train_refuses_it_and_the_model_is_untouched()
    {
        string model = Model();
        byte[] before = File.ReadAllBytes(model);
        string one = Subset("one", "circles");
        (int trainExit, _, string trainError) = TrainerCli.Run("train", "--data", one, "--out", Path.Combine(_dir, "t.zip"), "--no-cache");
        (int exit, string output, string error) = TrainerCli.Run("retrain", "--model", model, "--data", one, "--out", model, "--no-cache");
        Assert.Equal(ExitCodes.InvalidInput, trainExit);
        Assert.Equal(trainExit, exit);
        Assert.Equal("", output);
        Assert.Contains("a classifier needs images of at least two classes; the data has 1 (circles)", error, StringComparison.Ordinal);
        Assert.Equal(trainError.Replace("train:", "", StringComparison.Ordinal), error.Replace("retrain:", "", StringComparison.Ordinal));
        Assert.Equal(before, File.ReadAllBytes(model));
    }

    [Theory]
    [InlineData("--backbone", "mobilenet_v2_1.0_224_quant")]
    [InlineData("--tap", "features")]
    [InlineData("--pooling", "gap")]
    [InlineData("--mirror")]
    [InlineData("--normalize", "final")]
    [InlineData("--resize", "Fill")]
    [InlineData("--mean", "0.5")]
    [InlineData("--head", "mlp")]
    [InlineData("--hidden", "64")]
    [InlineData("--no-standardize")]
    public void Featurizer_and_head_architecture_options_are_refused_with_the_reason(params string[] flag)
    {
        string model = Path.Combine(_dir, "absent.zip"), target = Path.Combine(_dir, "never.zip");
        foreach (bool json in new[] { false, true })
        {
            (int exit, string output, string error) = TrainerCli.Run(["retrain", "--model", model, "--data", Shapes, "--out", target, .. flag, .. json ? (string[])["--json"] : []]);
            Assert.Equal(ExitCodes.BadArguments, exit);
            Assert.Equal("", output);
            if (!json) Assert.StartsWith("retrain: ", error, StringComparison.Ordinal); // the prefix of every retrain error
            string message = json ? JsonDocument.Parse(error).RootElement.GetProperty("error").GetString()! : error["retrain: ".Length..];
            Assert.StartsWith($"{flag[0]} does not apply to retrain, which keeps the model's featurizer and head architecture", message, StringComparison.Ordinal);
            Assert.Contains($"train a new model with train --data <images> {flag[0]}", message, StringComparison.Ordinal);
            Assert.DoesNotContain("Unrecognized", error, StringComparison.Ordinal);
        }
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void Classes_the_data_lacks_are_named_in_a_warning()
    {
        string model = Model();
        string two = Subset("two", "circles", "squares");
        (int exit, string output, string error) = TrainerCli.Run("retrain", "--model", model, "--data", two, "--out", Path.Combine(_dir, "r2.zip"), "--no-cache", "--json");
        Assert.True(exit == 0, error);
        Assert.Contains("the data has no images of stripes, triangles", error, StringComparison.Ordinal);
        Assert.Equal(["stripes", "triangles"], Last(output).GetProperty("missingClasses").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void A_clearly_worse_model_is_flagged_and_replaces_the_old_one_only_with_force()
    {
        string model = Model();
        byte[] before = File.ReadAllBytes(model);
        // An L2 strength this large pulls every weight to zero: the new head scores all classes alike (accuracy 0.25).
        string[] crippled = ["--data", Shapes, "--no-cache", "--l2", "1000000"];

        (int exit, string output, string error) = TrainerCli.Run(["retrain", "--model", model, "--out", model, .. crippled]);
        Assert.Equal(ExitCodes.CheckFailed, exit);
        Assert.Contains("THE NEW MODEL IS WORSE: microAccuracy", error, StringComparison.Ordinal);
        Assert.Contains("the old model was left untouched", error, StringComparison.Ordinal);
        Assert.Contains("--force", error, StringComparison.Ordinal);
        Assert.DoesNotContain("saved", output, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(model));

        // Written elsewhere, nothing is lost: the model is saved, with the warning.
        string other = Path.Combine(_dir, "worse.zip");
        (exit, output, error) = TrainerCli.Run(["retrain", "--model", model, "--out", other, "--json", .. crippled]);
        Assert.True(exit == 0, error);
        Assert.Contains("THE NEW MODEL IS WORSE", error, StringComparison.Ordinal);
        JsonElement record = Last(output);
        Assert.True(record.GetProperty("worseThanPrevious").GetBoolean());
        Assert.True(record.GetProperty("previous").GetProperty("microAccuracy").GetDouble() - record.GetProperty("microAccuracy").GetDouble() > RetrainCommand.AccuracyDropLimit);
        Assert.True(File.Exists(other));

        (exit, _, error) = TrainerCli.Run(["retrain", "--model", model, "--out", model, "--force", .. crippled]);
        Assert.True(exit == 0, error);
        Assert.NotEqual(before, File.ReadAllBytes(model));
    }
}
