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

    [Fact]
    public void AClassMissingFromTheRetrainingDataIsTrainedOnTheVectorsTheModelKept()
    {
        // Retraining on circles, squares and stripes only. Without stored vectors, softmax training pushes triangles
        // down everywhere and the other classes take its images; with them, triangles keeps most of its images.
        using var folder = new ScratchFolder("retrain-missing");
        CopyShapes(folder.Path, 32, "circles", "squares", "stripes");
        CancellationToken token = TestContext.Current.CancellationToken;
        ImageDataset all = ImageDataset.Load(Shapes), withoutTriangles = ImageDataset.Load(folder.Path);
        int triangles = all.Classes.ToList().IndexOf("triangles");

        double Recall(TrainerOptions options)
        {
            var trainer = new ImageClassificationTrainer(options);
            using TrainingResult original = trainer.Fit(all, token);
            using RetrainingResult retrained = trainer.Retrain(original.Classifier, withoutTriangles, token);
            Assert.Equal(["triangles"], retrained.MissingClasses);
            Assert.Equal(options.ExemplarsPerClass > 0 ? ["triangles"] : [], retrained.RehearsedClasses);
            Assert.Equal(96 - retrained.ValidationImages, retrained.TrainingImages); // the stored vectors are not images
            return trainer.Evaluate(retrained.Classifier, all, token).Metrics.ConfusionMatrix.PerClassRecall[triangles];
        }

        double blind = Recall(Options with { ExemplarsPerClass = 0 });
        double rehearsed = Recall(Options);
        Assert.True(blind < 0.2, $"without stored vectors triangles kept {blind:0.00} of its images; the test expects the failure it guards against");
        Assert.True(rehearsed >= 0.5, $"with stored vectors triangles kept only {rehearsed:0.00} of its images (without: {blind:0.00})");
    }

    [Fact]
    public void TheKeptVectorsOfAMissingClassCarryOverAndOtherClassesAreChosenAfresh()
    {
        using var folder = new ScratchFolder("retrain-memory");
        string first = folder.File("first"), next = folder.File("next");
        CopyShapes(first, 12, "circles", "squares", "triangles");
        CopyShapes(next, 16, "circles", "squares");
        CancellationToken token = TestContext.Current.CancellationToken;
        var trainer = new ImageClassificationTrainer(Options with { ExemplarsPerClass = 5 });
        using TrainingResult original = trainer.Fit(ImageDataset.Load(first), token);
        ExemplarMemory before = Memory(original.Classifier);
        Assert.Equal([5, 5, 5], Enumerable.Range(0, 3).Select(before.CountOf));

        using RetrainingResult retrained = trainer.Retrain(original.Classifier, ImageDataset.Load(next), token);
        ExemplarMemory after = Memory(retrained.Classifier);
        Assert.Equal([5, 5, 5], Enumerable.Range(0, 3).Select(after.CountOf));
        Assert.Equal(Rows(before, 2), Rows(after, 2));
        Assert.NotEqual(Rows(before, 0), Rows(after, 0));

        // Saved and loaded, the entry is checked against the head; with --exemplars 0 a retrain drops it.
        string path = Path.Combine(folder.Path, "m.zip");
        retrained.Save(path, token);
        using (var loaded = Pipeline.Prediction.ImageClassifier.Load(path))
            Assert.Equal(Rows(after, 2), Rows(Memory(loaded), 2));
        var entries = new Dictionary<string, ReadOnlyMemory<byte>>(retrained.Classifier.Package.Entries, StringComparer.Ordinal)
        {
            [Pipeline.Prediction.ModelLayout.ExemplarsEntry] = after.Serialize(new byte[32])[..^4],
        };
        string tampered = Path.Combine(folder.Path, "tampered.zip");
        (retrained.Classifier.Package with { Entries = entries }).Save(tampered, token);
        var e = Assert.Throws<Pipeline.Persistence.InvalidModelPackageException>(() => Pipeline.Prediction.ImageClassifier.Load(tampered));
        Assert.Equal("head/exemplars.bin", e.Entry);
        Assert.Contains("more than the entry holds", e.Message);
        using RetrainingResult dropped = new ImageClassificationTrainer(Options with { ExemplarsPerClass = 0 }).Retrain(original.Classifier, ImageDataset.Load(next), token);
        Assert.False(dropped.Classifier.Package.Entries.ContainsKey(Pipeline.Prediction.ModelLayout.ExemplarsEntry));
    }

    [Fact]
    public void AMemoryLeftFromAnotherHeadIsIgnored_AndTheManifestCountsImagesNotStoredVectors()
    {
        using var folder = new ScratchFolder("retrain-stale");
        string first = folder.File("first"), next = folder.File("next"), later = folder.File("later");
        CopyShapes(first, 12, "circles", "squares", "triangles");
        CopyShapes(next, 12, "circles", "squares", "triangles", "stripes");
        CopyShapes(later, 12, "circles", "squares", "stripes");
        CancellationToken token = TestContext.Current.CancellationToken;
        var trainer = new ImageClassificationTrainer(Options with { ExemplarsPerClass = 5 });
        using TrainingResult original = trainer.Fit(ImageDataset.Load(first), token);

        // What a library that does not know the entry leaves after a retrain that adds a class: a new head, and the
        // old memory carried over unchanged.
        using RetrainingResult unaware = new ImageClassificationTrainer(Options with { ExemplarsPerClass = 0 }).Retrain(original.Classifier, ImageDataset.Load(next), token);
        var entries = new Dictionary<string, ReadOnlyMemory<byte>>(unaware.Classifier.Package.Entries, StringComparer.Ordinal)
        {
            [Pipeline.Prediction.ModelLayout.ExemplarsEntry] = original.Classifier.Package.Entries[Pipeline.Prediction.ModelLayout.ExemplarsEntry],
        };
        string stale = Path.Combine(folder.Path, "stale.zip");
        (unaware.Classifier.Package with { Entries = entries }).Save(stale, token);

        using var loaded = Pipeline.Prediction.ImageClassifier.Load(stale);
        Assert.Null(Pipeline.Prediction.ModelLayout.Exemplars(loaded.Package, loaded.Head, file: null));
        using RetrainingResult retrained = trainer.Retrain(loaded, ImageDataset.Load(later), token);
        Assert.Equal(["triangles"], retrained.MissingClasses);
        Assert.Empty(retrained.RehearsedClasses); // the stale vectors were not trusted: triangles keeps its weights instead

        using RetrainingResult rehearsed = trainer.Retrain(original.Classifier, ImageDataset.Load(later), token);
        Assert.Equal(["triangles"], rehearsed.RehearsedClasses);
        int recorded = rehearsed.Classifier.Package.Metrics!.Value.GetProperty("trainingImages").GetInt32();
        Assert.Equal(rehearsed.TrainingImages, recorded);
        Assert.Equal(36 - rehearsed.ValidationImages, recorded);
    }

    private static ExemplarMemory Memory(Pipeline.Prediction.ImageClassifier model)
        => Pipeline.Prediction.ModelLayout.Exemplars(model.Package, model.Head, file: null) ?? throw new InvalidOperationException("the model kept no vectors");

    private static float[] Rows(ExemplarMemory memory, int label)
    {
        var set = new Pipeline.Training.FeatureSet(new float[memory.Dimension], memory.Dimension, new[] { 0 }, memory.ClassCount);
        Pipeline.Training.FeatureSet appended = memory.AppendTo(set, [label]);
        return appended.Features.Span[memory.Dimension..].ToArray();
    }
}
