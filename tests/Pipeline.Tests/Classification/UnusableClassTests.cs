using Pipeline.Classification;
using Pipeline.Datasets;
using Pipeline.Tests.Infrastructure;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Classification;

/// <summary>A class whose every image fails to decode is an error naming it, not a label the model never learned.</summary>
public sealed class UnusableClassTests
{
    [Fact]
    public void TrainingAndCrossValidationRefuseAClassWithNoDecodableImage()
    {
        using var folder = new ScratchFolder("unusable-class");
        string shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");
        string[] circles = Directory.GetFiles(Path.Combine(shapes, "circles")).Order(StringComparer.Ordinal).ToArray();
        Directory.CreateDirectory(folder.File("round"));
        Directory.CreateDirectory(folder.File("broken"));
        foreach (string file in circles.Take(6)) File.Copy(file, folder.File(Path.Combine("round", Path.GetFileName(file))));
        // PNG signatures, so the scan takes them as images; the data ends long before the pixels do.
        for (int i = 0; i < 3; i++) File.WriteAllBytes(folder.File(Path.Combine("broken", $"{i}.png")), File.ReadAllBytes(circles[6 + i])[..300]);

        ImageDataset data = ImageDataset.Load(folder.Path);
        Assert.Equal(["broken", "round"], data.Classes);
        var trainer = new ImageClassificationTrainer(new TrainerOptions { Seed = 1, UseFeatureCache = false, Threads = 2 });
        CancellationToken token = TestContext.Current.CancellationToken;
        InvalidDatasetException fit = Assert.Throws<InvalidDatasetException>(() => trainer.Fit(data, token));
        Assert.Contains("class 'broken' has no usable image", fit.Message);
        Assert.Contains(folder.File("broken"), fit.Message); // an example file, with the decoder's reason
        Assert.Throws<InvalidDatasetException>(() => trainer.CrossValidate(data, folds: 2, token));
    }

    [Fact]
    public void CrossValidationStillTakesAClassWhoseFewImagesAllFallInOneFoldsValidationPart()
    {
        using var folder = new ScratchFolder("tiny-class");
        string shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");
        foreach ((string cls, int count) in new[] { ("circles", 6), ("squares", 6), ("triangles", 1) })
        {
            Directory.CreateDirectory(folder.File(cls));
            foreach (string file in Directory.GetFiles(Path.Combine(shapes, cls)).Order(StringComparer.Ordinal).Take(count))
                File.Copy(file, folder.File(Path.Combine(cls, Path.GetFileName(file))));
        }
        var trainer = new ImageClassificationTrainer(new TrainerOptions { Seed = 1, UseFeatureCache = false, Threads = 2 });
        CrossValidationResult result = trainer.CrossValidate(ImageDataset.Load(folder.Path), folds: 2, TestContext.Current.CancellationToken);
        Assert.Equal(13, result.Images);
    }
}
