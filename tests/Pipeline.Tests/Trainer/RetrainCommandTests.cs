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

    private static JsonElement Head(string model) => Record(model).GetProperty("head");

    private static JsonElement Record(string model) => Pipeline.Persistence.ModelPackage.Load(model).TrainingOptions!.Value;

    private static string AsTrainedLine(string output) => output.Split('\n').Single(l => l.StartsWith("as the model was trained: ", StringComparison.Ordinal)).TrimEnd('\r');

    /// <summary>A copy of <paramref name="model"/> whose recorded head settings are changed by <paramref name="edit"/>, as a model trained from C# with them would record them.</summary>
    private string WithRecordedHead(string model, string name, Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        Pipeline.Persistence.ModelPackage package = Pipeline.Persistence.ModelPackage.Load(model);
        var options = System.Text.Json.Nodes.JsonNode.Parse(package.TrainingOptions!.Value.GetRawText())!.AsObject();
        edit(options["head"]!.AsObject());
        string copy = Path.Combine(_dir, name);
        (package with { TrainingOptions = JsonDocument.Parse(options.ToJsonString()).RootElement }).Save(copy, TestContext.Current.CancellationToken);
        return copy;
    }

    [Fact]
    public void Retrain_keeps_every_head_setting_the_model_was_trained_with_unless_given()
    {
        // The QA case: these were reset to train's defaults (l2 0.001, calibrated, no class weighting) while the output
        // said the model's settings were kept.
        string model = Path.Combine(_dir, "tuned.zip"), kept = Path.Combine(_dir, "kept.zip"), changed = Path.Combine(_dir, "changed.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", model, "--no-cache", "--l2", "0.5", "--class-weights", "balanced", "--no-calibration", "--exemplars", "5");
        Assert.True(exit == 0, error);

        (exit, string output, error) = TrainerCli.Run("retrain", "--model", model, "--data", Shapes, "--out", kept, "--no-cache");
        Assert.True(exit == 0, error);
        JsonElement head = Head(kept);
        Assert.Equal(0.5, head.GetProperty("l2Regularization").GetDouble());
        Assert.False(head.GetProperty("calibrate").GetBoolean());
        Assert.Equal("balanced", head.GetProperty("classWeighting").GetString());
        Assert.Equal(5, Record(kept).GetProperty("exemplarsPerClass").GetInt32());
        Assert.Equal("as the model was trained: --seed 1, --validation-fraction 0.2, --exemplars 5, --l2 0.5, --class-weights balanced, --no-calibration", AsTrainedLine(output));
        Assert.DoesNotContain("probabilities calibrated", output, StringComparison.Ordinal);

        // Given options win, and are not listed as the model's; --no-calibration false turns calibration back on.
        (exit, output, error) = TrainerCli.Run("retrain", "--model", model, "--data", Shapes, "--out", changed, "--no-cache", "--l2", "0.01", "--class-weights", "none", "--no-calibration", "false", "--json");
        Assert.True(exit == 0, error);
        head = Head(changed);
        Assert.Equal(0.01, head.GetProperty("l2Regularization").GetDouble());
        Assert.True(head.GetProperty("calibrate").GetBoolean());
        Assert.Equal("none", head.GetProperty("classWeighting").GetString());
        Assert.Equal(["--seed 1", "--validation-fraction 0.2", "--exemplars 5"], Last(output).GetProperty("inherited").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Retrain_keeps_the_mlp_settings_and_those_set_from_code()
    {
        string trained = Path.Combine(_dir, "mlp.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", trained, "--no-cache", "--head", "mlp", "--hidden", "16",
            "--epochs", "6", "--learning-rate", "0.002", "--dropout", "0.3", "--weight-decay", "0.05", "--patience", "2", "--exemplars", "2");
        Assert.True(exit == 0, error);
        // Settings the command line cannot make, as a model trained from C# records them.
        string model = WithRecordedHead(trained, "mlp-code.zip", head =>
        {
            head["batchSize"] = 16;
            head["schedule"] = "step";
        });

        string kept = Path.Combine(_dir, "mlp2.zip");
        (exit, string output, error) = TrainerCli.Run("retrain", "--model", model, "--data", Shapes, "--out", kept, "--no-cache", "--epochs", "4");
        Assert.True(exit == 0, error);
        JsonElement recorded = Head(kept);
        Assert.Equal(4, recorded.GetProperty("epochs").GetInt32());
        Assert.Equal(0.002, recorded.GetProperty("learningRate").GetDouble());
        Assert.Equal(0.3, recorded.GetProperty("dropout").GetDouble());
        Assert.Equal(0.05, recorded.GetProperty("weightDecay").GetDouble());
        Assert.Equal(2, recorded.GetProperty("patience").GetInt32());
        Assert.Equal(16, recorded.GetProperty("batchSize").GetInt32());
        Assert.Equal("step", recorded.GetProperty("schedule").GetString());
        Assert.Equal([16], recorded.GetProperty("hiddenSizes").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("as the model was trained: --seed 1, --validation-fraction 0.2, --exemplars 2, --learning-rate 0.002, --dropout 0.3, --weight-decay 0.05, "
            + "--patience 2, --class-weights none, calibration on, set from C#: batchSize 16, schedule step", AsTrainedLine(output));
    }

    [Fact]
    public void A_learning_rate_below_the_models_recorded_floor_is_refused_naming_both_values()
    {
        string trained = Path.Combine(_dir, "mlp.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", trained, "--no-cache", "--head", "mlp", "--hidden", "8", "--epochs", "2");
        Assert.True(exit == 0, error);
        string model = WithRecordedHead(trained, "floor.zip", head => head["minLearningRate"] = 0.0005);

        (exit, _, error) = TrainerCli.Run("retrain", "--model", model, "--data", Shapes, "--out", Path.Combine(_dir, "x.zip"), "--no-cache", "--learning-rate", "0.0001");
        Assert.Equal(ExitCodes.BadArguments, exit);
        // The user typed 0.0001; the 0.0005 is the model's, and is named as such.
        Assert.Contains("--learning-rate 0.0001 is below the minimum learning rate the model was trained with (0.0005", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Explicit_class_weights_are_kept_for_the_same_classes_and_dropped_with_a_warning_for_new_ones()
    {
        string model = WithRecordedHead(Model(), "weighted.zip", head =>
        {
            head["classWeighting"] = "explicit";
            head["classWeights"] = new System.Text.Json.Nodes.JsonArray(1, 2, 1, 1);
        });
        string same = Path.Combine(_dir, "same.zip");
        (int exit, string output, string error) = TrainerCli.Run("retrain", "--model", model, "--data", Shapes, "--out", same, "--no-cache");
        Assert.True(exit == 0, error);
        Assert.Equal("explicit", Head(same).GetProperty("classWeighting").GetString());
        Assert.Equal([1f, 2f, 1f, 1f], Head(same).GetProperty("classWeights").EnumerateArray().Select(e => e.GetSingle()));
        Assert.Contains("class weights 1,2,1,1 (explicit, set from C#)", AsTrainedLine(output), StringComparison.Ordinal);

        // A new class has no weight: retrain says what it does instead, and does not claim the weights were kept.
        string more = Subset("more", "circles", "squares", "stripes", "triangles");
        Directory.Move(Path.Combine(more, "triangles"), Path.Combine(more, "wedges"));
        string grown = Path.Combine(_dir, "grown.zip");
        (exit, output, error) = TrainerCli.Run("retrain", "--model", model, "--data", more, "--out", grown, "--no-cache");
        Assert.True(exit == 0, error);
        Assert.Contains("explicit class weights, one for each of its 4 classes; the data adds wedges, which have none, so this retrain weighs every image alike (--class-weights none)", error, StringComparison.Ordinal);
        Assert.Equal("none", Head(grown).GetProperty("classWeighting").GetString());
        Assert.False(Head(grown).TryGetProperty("classWeights", out _));
        Assert.DoesNotContain("class weights", AsTrainedLine(output), StringComparison.Ordinal);
    }

    [Fact]
    public void Help_says_the_inherited_options_default_to_the_models_settings()
    {
        (int exit, string help, _) = TrainerCli.Run("retrain", "--help");
        Assert.Equal(0, exit);
        string[] lines = help.Split('\n');
        foreach (string flag in new[] { "--seed", "--validation-fraction", "--exemplars", "--class-weights", "--no-calibration", "--l2", "--epochs", "--learning-rate", "--dropout", "--weight-decay", "--patience" })
        {
            string line = lines.Single(l => l.TrimStart().StartsWith(flag + " ", StringComparison.Ordinal));
            Assert.Contains("[default: the model's", line, StringComparison.Ordinal);
            Assert.Equal(1, line.Split("[default:").Length - 1);
        }
        // train's own --help keeps its defaults.
        (_, string trainHelp, _) = TrainerCli.Run("train", "--help");
        Assert.Contains("[default: 20]", trainHelp.Split('\n').Single(l => l.TrimStart().StartsWith("--exemplars ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("the model's", trainHelp.Split('\n').Single(l => l.TrimStart().StartsWith("--seed ", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void One_validation_image_fewer_right_is_noise_not_a_worse_model()
    {
        // 16 images per class with a quarter held out: 17 validation images, one of which is 0.059 of microAccuracy,
        // over the 0.05 bar that alone called the new model worse and refused the in-place replace (exit 1).
        string small = Path.Combine(_dir, "small");
        foreach (string label in new[] { "circles", "squares", "stripes", "triangles" })
        {
            string target = Directory.CreateDirectory(Path.Combine(small, label)).FullName;
            foreach (string file in Directory.GetFiles(Path.Combine(Shapes, label)).Order(StringComparer.Ordinal).Take(16)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        string cache = Path.Combine(_dir, "cache"), model = Path.Combine(_dir, "small.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", small, "--out", model, "--cache", cache, "--validation-fraction", "0.25");
        Assert.True(exit == 0, error);

        var lostByL2 = new Dictionary<string, int>();
        foreach (string l2 in new[] { "1", "3", "10", "100" })
        {
            string copy = Path.Combine(_dir, $"small-{l2}.zip");
            File.Copy(model, copy);
            byte[] before = File.ReadAllBytes(copy);
            (exit, string output, error) = TrainerCli.Run("retrain", "--model", copy, "--data", small, "--out", copy, "--cache", cache, "--l2", l2, "--json");
            JsonElement? record = exit == 0 ? Last(output) : null;
            // The drop is read from a run written elsewhere when the in-place one was refused.
            if (record is null)
            {
                (int elsewhere, string other, string otherError) = TrainerCli.Run("retrain", "--model", copy, "--data", small, "--out", Path.Combine(_dir, $"other-{l2}.zip"), "--cache", cache, "--l2", l2, "--json");
                Assert.True(elsewhere == 0, otherError);
                record = Last(other);
            }
            double drop = record.Value.GetProperty("previous").GetProperty("microAccuracy").GetDouble() - record.Value.GetProperty("microAccuracy").GetDouble();
            int lost = record.Value.GetProperty("validationImagesLost").GetInt32();
            Assert.Equal(17, record.Value.GetProperty("validationImages").GetInt32());
            Assert.Equal(Math.Round(drop * 17), lost);
            bool worse = drop > RetrainCommand.AccuracyDropLimit && lost >= RetrainCommand.MinImagesLost;
            Assert.Equal(worse, record.Value.GetProperty("worseThanPrevious").GetBoolean());
            Assert.Equal(worse ? ExitCodes.CheckFailed : ExitCodes.Ok, exit);
            Assert.Equal(worse, error.Contains("THE NEW MODEL IS WORSE", StringComparison.Ordinal));
            if (worse) Assert.Equal(before, File.ReadAllBytes(copy));
            lostByL2[l2] = lost;
        }
        // The case this is about happens on this data (one image, 0.059), and a real drop is still caught.
        Assert.Contains(lostByL2.Values, lost => lost == 1);
        Assert.Contains(lostByL2.Values, lost => lost >= RetrainCommand.MinImagesLost);

        // In text, a one-image drop is said to be noise.
        string again = Path.Combine(_dir, "again.zip");
        File.Copy(model, again);
        (exit, string text, error) = TrainerCli.Run("retrain", "--model", again, "--data", small, "--out", again, "--cache", cache, "--l2", lostByL2.First(p => p.Value == 1).Key);
        Assert.True(exit == 0, error);
        Assert.Contains("the new model gets 1 of the 17 validation images fewer right than the old one: not called worse", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16, 11, 10, false)] // the QA case: 0.0625 lower, one image
    [InlineData(16, 11, 9, true)]
    [InlineData(40, 30, 28, false)] // two images, but exactly 0.05
    [InlineData(40, 30, 27, true)]
    [InlineData(400, 300, 281, false)]
    [InlineData(400, 300, 279, true)]
    [InlineData(16, 10, 11, false)]
    public void A_model_is_called_worse_from_more_than_the_limit_and_two_images(int images, int rightBefore, int rightAfter, bool worse)
    {
        static Pipeline.Training.Metrics.MulticlassMetrics Metrics(int right, int n) => new() { MicroAccuracy = (double)right / n, InstanceCount = n };
        Assert.Equal(worse, RetrainCommand.ClearlyWorse(Metrics(rightBefore, images), Metrics(rightAfter, images), out int lost));
        Assert.Equal(rightBefore - rightAfter, lost);
    }
}
