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
        Assert.Equal(trained.GetProperty("classes").EnumerateArray().Select(e => e.GetString()), evaluated.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(4, evaluated.GetProperty("perClassLogLoss").GetArrayLength());

        (exit, output, error) = Run("inspect", "--model", model, "--json");
        Assert.True(exit == 0, error);
        JsonElement inspected = Last(output);
        Assert.Equal(["circles", "squares", "stripes", "triangles"], inspected.GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("filterBank", inspected.GetProperty("featurizer").GetProperty("kind").GetString());
        Assert.Equal("logistic", inspected.GetProperty("head").GetProperty("kind").GetString());
        Assert.Equal(trained.GetProperty("microAccuracy").GetDouble(), inspected.GetProperty("metrics").GetProperty("validation").GetProperty("microAccuracy").GetDouble());
        Assert.Contains(inspected.GetProperty("entries").EnumerateArray(), e => e.GetProperty("name").GetString() == "head/weights.bin" && e.GetProperty("bytes").GetInt32() > 0);

        string circle = Directory.GetFiles(Path.Combine(Shapes, "circles"))[0];
        (exit, output, error) = Run("predict", "--model", model, circle, "--top", "2", "--json");
        Assert.True(exit == 0, error);
        JsonElement prediction = JsonDocument.Parse(output.Split('\n')[0]).RootElement;
        Assert.Equal(2, prediction.GetProperty("top").GetArrayLength());
        Assert.True(Last(output).GetProperty("summary").GetBoolean());

        // A folder: every image under it, recursively and in name order, scored as when named alone; other files are
        // listed as excluded without failing the run.
        string photos = Path.Combine(_dir, "photos");
        Directory.CreateDirectory(Path.Combine(photos, "later"));
        string square = Directory.GetFiles(Path.Combine(Shapes, "squares"))[0];
        File.Copy(circle, Path.Combine(photos, "a.png"));
        File.Copy(square, Path.Combine(photos, "later", "b.png"));
        File.WriteAllText(Path.Combine(photos, "notes.txt"), "not an image");
        (exit, output, error) = Run("predict", "--model", model, photos, "--top", "2", "--json");
        Assert.True(exit == 0, error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        JsonElement first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal(Path.Combine(photos, "a.png"), first.GetProperty("image").GetString());
        Assert.Equal(prediction.GetProperty("score").GetDouble(), first.GetProperty("score").GetDouble());
        Assert.Equal(Path.Combine(photos, "later", "b.png"), JsonDocument.Parse(lines[1]).RootElement.GetProperty("image").GetString());
        JsonElement summary = Last(output);
        Assert.Equal(2, summary.GetProperty("images").GetInt32());
        Assert.Equal(Path.Combine(photos, "notes.txt"), summary.GetProperty("excluded")[0].GetProperty("path").GetString());
        Assert.Contains("not a JPEG", summary.GetProperty("excluded")[0].GetProperty("reason").GetString());

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
        Assert.True(re.GetProperty("head").GetProperty("temperature").GetDouble() > 0, "retrain reports the calibration it fitted");
        Assert.Equal(before, File.ReadAllBytes(model)); // the input model is never touched
    }

    [Fact]
    public void InspectingABrokenModelZipNamesTheFileAndTheReason()
    {
        string broken = Path.Combine(_dir, "broken.zip");
        File.WriteAllBytes(broken, [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0, 8, 0]);
        (int exit, _, string error) = Run("inspect", "--model", broken);
        Assert.NotEqual(0, exit);
        Assert.Contains("broken.zip", error);
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
    public void HeadFlagsReachTheSavedModel()
    {
        string model = Path.Combine(_dir, "mlp.zip");
        (int exit, _, string error) = Run("train", "--data", Shapes, "--out", model, "--no-cache", "--json", "--head", "mlp", "--hidden", "16,8",
            "--epochs", "3", "--learning-rate", "0.01", "--dropout", "0.1", "--weight-decay", "0.001", "--patience", "0", "--class-weights", "balanced", "--no-standardize", "--no-calibration");
        Assert.True(exit == 0, error);
        using var zip = System.IO.Compression.ZipFile.OpenRead(model);
        using var manifest = JsonDocument.Parse(zip.GetEntry("manifest.json")!.Open());
        JsonElement head = manifest.RootElement.GetProperty("trainingOptions").GetProperty("head");
        Assert.Equal("Mlp", head.GetProperty("kind").GetString(), ignoreCase: true);
        Assert.Equal([16, 8], head.GetProperty("hiddenSizes").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(3, head.GetProperty("epochs").GetInt32());
        Assert.Equal(0.01, head.GetProperty("learningRate").GetDouble());
        Assert.Equal(0.1, head.GetProperty("dropout").GetDouble());
        Assert.Equal(0.001, head.GetProperty("weightDecay").GetDouble());
        Assert.Equal(0, head.GetProperty("patience").GetInt32());
        Assert.Equal("Balanced", head.GetProperty("classWeighting").GetString(), ignoreCase: true);
        Assert.False(head.GetProperty("standardize").GetBoolean());
        Assert.False(head.GetProperty("calibrate").GetBoolean());

        string logistic = Path.Combine(_dir, "logistic.zip");
        string output;
        (exit, output, error) = Run("train", "--data", Shapes, "--out", logistic, "--no-cache", "--l2", "0.5", "--json");
        Assert.True(exit == 0, error);
        using var zip2 = System.IO.Compression.ZipFile.OpenRead(logistic);
        using var manifest2 = JsonDocument.Parse(zip2.GetEntry("manifest.json")!.Open());
        JsonElement head2 = manifest2.RootElement.GetProperty("trainingOptions").GetProperty("head");
        Assert.Equal(0.5, head2.GetProperty("l2Regularization").GetDouble());
        Assert.True(head2.GetProperty("calibrate").GetBoolean());
        // Calibration is on by default, and the run reports the temperature it fitted.
        JsonElement summary = Last(output).GetProperty("head");
        Assert.StartsWith("temperature scaling", summary.GetProperty("calibration").GetString(), StringComparison.Ordinal);
        Assert.True(summary.GetProperty("temperature").GetDouble() > 0);
    }

    [Fact]
    public void A_class_too_small_to_calibrate_is_named_in_the_output()
    {
        // Every shape class with 12 images, but only 2 triangles: too few for calibration's 3 folds.
        string data = Path.Combine(_dir, "few");
        foreach (string folder in Directory.GetDirectories(Shapes))
        {
            string name = Path.GetFileName(folder), target = Directory.CreateDirectory(Path.Combine(data, name)).FullName;
            foreach (string file in Directory.GetFiles(folder).Order(StringComparer.Ordinal).Take(name == "triangles" ? 2 : 12))
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        (int exit, string output, string error) = Run("train", "--data", data, "--out", Path.Combine(_dir, "few.zip"), "--no-cache", "--validation-fraction", "0");
        Assert.True(exit == 0, error);
        Assert.Contains("probabilities not calibrated: class 'triangles' has 2 training rows; calibration needs 3", output, StringComparison.Ordinal);
    }

    [Fact]
    public void PreprocessingFlagsShapeWhatABackboneSeesAndTheModelKeepsThem()
    {
        // A float backbone with no registry entry: conv, relu, global pooling and a classifier, 16×16 NCHW input.
        var random = new Random(5);
        float[] Weights(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        string backbone = Path.Combine(_dir, "tiny.onnx");
        File.WriteAllBytes(backbone, new Pipeline.Tests.Graph.OnnxBuilder()
            .Input("image", Pipeline.Tensors.DataType.Float32, 1, 3, 16, 16)
            .Initializer("w", Weights(4 * 27), 4, 3, 3, 3)
            .Initializer("fc", Weights(3 * 4), 3, 4)
            .Node("Conv", ["image", "w"], ["conv"], "conv", Pipeline.Tests.Graph.OnnxBuilder.Ints("pads", 1, 1, 1, 1))
            .Node("Relu", ["conv"], ["relu"], "relu")
            .Node("GlobalAveragePool", ["relu"], ["gap"], "gap")
            .Node("Flatten", ["gap"], ["flat"], "flat")
            .Node("Gemm", ["flat", "fc"], ["logits"], "classifier", Pipeline.Tests.Graph.OnnxBuilder.Int("transB", 1))
            .Output("logits")
            .Build());

        string plain = Path.Combine(_dir, "plain.zip"), changed = Path.Combine(_dir, "changed.zip");
        (int exit, _, string error) = Run("train", "--data", Shapes, "--backbone", backbone, "--out", plain, "--no-cache");
        Assert.True(exit == 0, error);
        (exit, _, error) = Run("train", "--data", Shapes, "--backbone", backbone, "--out", changed, "--no-cache",
            "--resize", "isopad", "--anchor", "Top", "--filter", "bicubic", "--channels", "bgr", "--mean", "0.5", "--std", "0.25,0.5,1");
        Assert.True(exit == 0, error);

        using var before = Pipeline.Prediction.ImageClassifier.Load(plain);
        using var after = Pipeline.Prediction.ImageClassifier.Load(changed);
        Pipeline.Imaging.Processing.ImagePreprocessing p = after.Info.Preprocessing, q = before.Info.Preprocessing;
        Assert.Equal((16, 16, Pipeline.Imaging.Processing.TensorLayout.Chw), (p.Width, p.Height, p.Layout));
        Assert.Equal((Pipeline.Imaging.Processing.ResizeMode.IsoPad, Pipeline.Imaging.Processing.CropAnchor.Top, Pipeline.Imaging.Processing.ResamplingFilter.Bicubic, Pipeline.Imaging.Processing.ChannelOrder.Bgr),
            (p.Mode, p.Anchor, p.Filter, p.Channels));
        Assert.Equal(new Pipeline.Imaging.Processing.ChannelValues(127.5f, 127.5f, 127.5f), p.Normalization.Offset);
        Assert.Equal(new Pipeline.Imaging.Processing.ChannelValues(1 / (255f * 0.25f), 1 / (255f * 0.5f), 1 / 255f), p.Normalization.Scale);
        Assert.Equal(Pipeline.Imaging.Processing.PixelNormalization.ImageNet, q.Normalization);
        Assert.Equal((Pipeline.Imaging.Processing.ResizeMode.IsoCrop, Pipeline.Imaging.Processing.ChannelOrder.Rgb), (q.Mode, q.Channels));

        // The model sees another input, so it scores differently.
        string image = Directory.GetFiles(Shapes, "*.png", SearchOption.AllDirectories)[0];
        Assert.NotEqual(before.Predict(image).Scores, after.Predict(image).Scores);
    }

    [Theory]
    [InlineData("--l2 -1", "--l2 -1")]
    [InlineData("--head mlp --dropout 1", "--dropout 1")]
    [InlineData("--head mlp --hidden 64,x", "--hidden '64,x'")]
    [InlineData("--head mlp --hidden 1,2,3", "--hidden")]
    [InlineData("--class-weights heavy", "heavy")]
    [InlineData("--pooling gem", "--backbone")]
    [InlineData("--mirror", "--backbone")]
    [InlineData("--normalize final", "--backbone")]
    [InlineData("--mean 0.5", "--backbone")]
    [InlineData("--resize Fill", "--backbone")]
    [InlineData("--backbone mobilenet_v2_1.0_224_quant --resize sideways", "--resize 'sideways' is unknown: use Fill, IsoPad, IsoCrop, ShorterSideThenCenterCrop")]
    [InlineData("--backbone mobilenet_v2_1.0_224_quant --anchor 2", "--anchor '2' is unknown")]
    [InlineData("--backbone mobilenet_v2_1.0_224_quant --anchor Top,Bottom", "--anchor 'Top,Bottom' is unknown")]
    [InlineData("--backbone mobilenet_v2_1.0_224_quant --channels gray", "--channels 'gray' is unknown: use rgb or bgr")]
    [InlineData("--backbone mobilenet_v2_1.0_224_quant --mean 0.5,0.5", "--mean '0.5,0.5': expected r,g,b or one value")]
    [InlineData("--backbone mobilenet_v2_1.0_224_quant --std 0.2,0,0.2", "each above 0")]
    [InlineData("--backbone mobilenet_v2_1.0_224_quant --shorter-side 0", "--shorter-side 0 is out of range")]
    [InlineData("--epochs 5", "add --head mlp")]
    [InlineData("--head mlp --l2 0.1", "--weight-decay")]
    public void FlagsWithBadValuesOrNoEffectAreRejectedByName(string flags, string expected)
    {
        string[] args = ["train", "--data", Shapes, "--out", Path.Combine(_dir, "never.zip"), "--no-cache", .. flags.Split(' ')];
        (int exit, _, string error) = Run(args);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains(expected, error);
        Assert.False(File.Exists(Path.Combine(_dir, "never.zip")));
    }

    [Fact]
    public void Retrain_refuses_flags_the_old_models_head_cannot_use()
    {
        string model = Path.Combine(_dir, "logistic.zip"), target = Path.Combine(_dir, "never.zip");
        (int exit, _, string error) = Run("train", "--data", Shapes, "--out", model, "--no-cache");
        Assert.True(exit == 0, error);

        // The old model is logistic: an mlp setting would do nothing, and the kind itself is not the user's to change.
        (exit, _, error) = Run("retrain", "--model", model, "--data", Shapes, "--out", target, "--no-cache", "--epochs", "3");
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains("logistic head", error);
        Assert.DoesNotContain("add --head mlp", error); // retrain has no --head
        (exit, _, _) = Run("retrain", "--model", model, "--data", Shapes, "--out", target, "--no-cache", "--head", "mlp");
        Assert.NotEqual(0, exit);
        Assert.False(File.Exists(target));

        (exit, _, error) = Run("retrain", "--model", model, "--data", Shapes, "--out", target, "--no-cache", "--l2", "0.01", "--class-weights", "balanced");
        Assert.True(exit == 0, error);
    }

    [Fact]
    public void Retrain_splits_as_the_model_was_trained_unless_told_otherwise()
    {
        // The comparison with the old model is fair only on the old model's own split: its seed and fraction are the
        // defaults, not 1 and 0.2.
        string model = Path.Combine(_dir, "seeded.zip"), first = Path.Combine(_dir, "first.zip"), second = Path.Combine(_dir, "second.zip");
        (int exit, _, string error) = Run("train", "--data", Shapes, "--out", model, "--no-cache", "--seed", "5", "--validation-fraction", "0.3");
        Assert.True(exit == 0, error);
        (exit, string output, error) = Run("retrain", "--model", model, "--data", Shapes, "--out", first, "--no-cache");
        Assert.True(exit == 0, error);
        Assert.Contains("as the model was trained: --seed 5, --validation-fraction 0.3", output);
        JsonElement record = Pipeline.Persistence.ModelPackage.Load(first).TrainingOptions!.Value;
        Assert.Equal(5, record.GetProperty("seed").GetInt32());
        Assert.Equal(0.3, record.GetProperty("validationFraction").GetDouble());

        (exit, output, error) = Run("retrain", "--model", model, "--data", Shapes, "--out", second, "--no-cache", "--seed", "2");
        Assert.True(exit == 0, error);
        Assert.Contains("as the model was trained: --validation-fraction 0.3", output);
        Assert.Equal(2, Pipeline.Persistence.ModelPackage.Load(second).TrainingOptions!.Value.GetProperty("seed").GetInt32());

        // A model from before the keyed split records none: its split cannot be made again, and retrain says so.
        Pipeline.Persistence.ModelPackage package = Pipeline.Persistence.ModelPackage.Load(model);
        var options = System.Text.Json.Nodes.JsonNode.Parse(package.TrainingOptions!.Value.GetRawText())!.AsObject();
        Assert.True(options.Remove("split"));
        string older = Path.Combine(_dir, "older.zip");
        (package with { TrainingOptions = JsonDocument.Parse(options.ToJsonString()).RootElement }).Save(older, TestContext.Current.CancellationToken);
        (exit, output, error) = Run("retrain", "--model", older, "--data", Shapes, "--out", Path.Combine(_dir, "third.zip"), "--no-cache");
        Assert.True(exit == 0, error);
        Assert.Contains("made before validation images were chosen by path", error);
        // Its settings are still the ones it was trained with; only its split cannot be made again.
        Assert.Contains("as the model was trained: --seed 5, --validation-fraction 0.3", output);
    }

    [Fact]
    public void Retrain_keeps_the_models_exemplars_setting_unless_given()
    {
        string model = Path.Combine(_dir, "lean.zip"), kept = Path.Combine(_dir, "lean2.zip"), grown = Path.Combine(_dir, "grown.zip");
        (int exit, _, string error) = Run("train", "--data", Shapes, "--out", model, "--no-cache", "--exemplars", "0");
        Assert.True(exit == 0, error);
        Assert.DoesNotContain("head/exemplars.bin", Pipeline.Persistence.ModelPackage.Load(model).Entries.Keys);

        (exit, string output, error) = Run("retrain", "--model", model, "--data", Shapes, "--out", kept, "--no-cache");
        Assert.True(exit == 0, error);
        Assert.Contains("--exemplars 0", output);
        Assert.DoesNotContain("head/exemplars.bin", Pipeline.Persistence.ModelPackage.Load(kept).Entries.Keys);

        (exit, output, error) = Run("retrain", "--model", model, "--data", Shapes, "--out", grown, "--no-cache", "--exemplars", "3");
        Assert.True(exit == 0, error);
        Assert.DoesNotContain("--exemplars", output);
        Pipeline.Persistence.ModelPackage package = Pipeline.Persistence.ModelPackage.Load(grown);
        Assert.Contains("head/exemplars.bin", package.Entries.Keys);
        Assert.Equal(3, package.TrainingOptions!.Value.GetProperty("exemplarsPerClass").GetInt32());

        (exit, _, error) = Run("train", "--data", Shapes, "--out", model, "--no-cache", "--exemplars", "1001");
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains("--exemplars 1001 is out of range: use 0 to 1000", error);
    }

    [Fact]
    public void CrossValidationReportsMeanAndStandardDeviation()
    {
        (int exit, string output, string error) = Run("cv", "--data", Shapes, "--folds", "2", "--no-cache", "--json");
        Assert.True(exit == 0, error);
        JsonElement summary = Last(output);
        Assert.Equal(2, summary.GetProperty("folds").GetInt32());
        // The order of each fold's perClassLogLoss and confusion matrix.
        Assert.Equal(["circles", "squares", "stripes", "triangles"], summary.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(4, summary.GetProperty("summary").GetProperty("folds")[0].GetProperty("perClassLogLoss").GetArrayLength());
        Assert.True(summary.GetProperty("microAccuracy").GetProperty("mean").GetDouble() > 0.4);
        Assert.True(summary.GetProperty("microAccuracy").TryGetProperty("standardDeviation", out _));
    }
}
