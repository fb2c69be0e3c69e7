using Pipeline.Classification;
using Pipeline.Datasets;
using Pipeline.Tests.Infrastructure;
using Pipeline.Tests.Persistence;
using Pipeline.Training.Data;

namespace Pipeline.Tests.Classification;

/// <summary>Retraining, Model Builder style, as a user runs it: the same folder with images added, or with a class left out.</summary>
public sealed class RetrainingTests
{
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    private static TrainerOptions Options => new() { Seed = 1, UseFeatureCache = false, Threads = 2 };

    /// <summary>Copies the first <paramref name="perClass"/> images (by name) of each shapes class into <paramref name="folder"/>.</summary>
    private static void CopyShapes(string folder, int perClass, params string[] classes)
    {
        foreach (string cls in classes)
        {
            Directory.CreateDirectory(Path.Combine(folder, cls));
            foreach (string file in Directory.GetFiles(Path.Combine(Shapes, cls)).Order(StringComparer.Ordinal).Take(perClass))
                File.Copy(file, Path.Combine(folder, cls, Path.GetFileName(file)), overwrite: true);
        }
    }

    [Fact]
    public void AddedImagesNeverMoveAnImageTheOldModelTrainedOnIntoValidation()
    {
        // The retrain compares the old and new models on the new validation part: an image the old model was trained
        // on would make the old one look better than it is.
        using var folder = new ScratchFolder("retrain-split");
        var trainer = new ImageClassificationTrainer(Options);
        string[] classes = ["circles", "squares", "stripes", "triangles"];
        CopyShapes(folder.Path, 12, classes);
        ImageDataset before = ImageDataset.Load(folder.Path);
        DataSplit first = trainer.Split(before);
        var trained = new HashSet<string>(first.Train.Select(i => before.Samples[i].Path));
        foreach (int perClass in new[] { 13, 16, 20, 28 })
        {
            CopyShapes(folder.Path, perClass, classes);
            ImageDataset after = ImageDataset.Load(folder.Path);
            DataSplit split = trainer.Split(after);
            Assert.DoesNotContain(split.Validation, i => trained.Contains(after.Samples[i].Path));
            Assert.NotEmpty(split.Validation);
        }
    }

    [Fact]
    public void RetrainingRefusesAnOldClassWhoseImagesAllFailToDecode()
    {
        using var folder = new ScratchFolder("retrain-broken");
        string all = folder.File("all"), next = folder.File("next");
        CopyShapes(all, 8, "circles", "squares", "triangles");
        CopyShapes(next, 10, "circles", "squares", "triangles");
        // PNG signatures, so the scan takes them as images; the data ends long before the pixels do.
        foreach (string file in Directory.GetFiles(Path.Combine(next, "squares")))
            File.WriteAllBytes(file, File.ReadAllBytes(file)[..300]);
        var trainer = new ImageClassificationTrainer(Options);
        CancellationToken token = TestContext.Current.CancellationToken;
        using TrainingResult original = trainer.Fit(ImageDataset.Load(all), token);
        InvalidDatasetException e = Assert.Throws<InvalidDatasetException>(() => trainer.Retrain(original.Classifier, ImageDataset.Load(next), token));
        Assert.Contains("class 'squares' has no usable image", e.Message);
    }

    [Fact]
    public void TheRetrainedModelRecordsTheHeadItReallyHas()
    {
        using var folder = new ScratchFolder("retrain-record");
        CopyShapes(folder.Path, 10, "circles", "squares");
        CancellationToken token = TestContext.Current.CancellationToken;
        var mlp = new ImageClassificationTrainer(Options with { Head = new Pipeline.Training.HeadOptions { Kind = Pipeline.Training.HeadKind.Mlp, HiddenSizes = [16], Standardize = false, Epochs = 5 } });
        using TrainingResult original = mlp.Fit(ImageDataset.Load(folder.Path), token);
        // Retrained with default options (logistic, [256], standardized): the head stays the model's own.
        using RetrainingResult retrained = new ImageClassificationTrainer(Options).Retrain(original.Classifier, ImageDataset.Load(folder.Path), token);
        System.Text.Json.JsonElement head = retrained.Classifier.Package.TrainingOptions!.Value.GetProperty("head");
        Assert.Equal("mlp", head.GetProperty("kind").GetString(), ignoreCase: true);
        Assert.Equal(16, head.GetProperty("hiddenSizes")[0].GetInt32());
        Assert.False(head.GetProperty("standardize").GetBoolean());
    }
}
