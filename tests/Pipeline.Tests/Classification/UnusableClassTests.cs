using Pipeline.Classification;
using Pipeline.Datasets;
using Pipeline.Tests.Infrastructure;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Classification;

/// <summary>
/// A class with no usable image is an error naming it, not a label the model never learned nor a class quietly left
/// out: whether its images fail to decode or are not in a format the decoders read, the refusal is the same sentence.
/// </summary>
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
        File.WriteAllBytes(folder.File(Path.Combine("broken", "photo.heic")), Datasets.UnusableClassDatasetTests.Heic);

        ImageDataset data = ImageDataset.Load(folder.Path);
        Assert.Equal(["broken", "round"], data.Classes);
        var trainer = new ImageClassificationTrainer(new TrainerOptions { Seed = 1, UseFeatureCache = false, Threads = 2 });
        CancellationToken token = TestContext.Current.CancellationToken;
        InvalidDatasetException fit = Assert.Throws<InvalidDatasetException>(() => trainer.Fit(data, token));
        // Every file of the class, by reason: those that failed to decode (an example, with the decoder's reason), and
        // the one the reader had excluded already.
        Assert.Contains($"class 'broken' has no usable image: of its 4 files, 3 could not be decoded, e.g. {folder.File(Path.Combine("broken", "0.png"))} (invalid Png image", fit.Message);
        Assert.Contains($"; 1 is a HEIC image (as iPhones save photos), which is not supported: only JPEG, PNG, BMP, GIF or WebP images are read (export or convert it to JPEG), e.g. {folder.File(Path.Combine("broken", "photo.heic"))}; give each class", fit.Message);
        Assert.Throws<InvalidDatasetException>(() => trainer.CrossValidate(data, folds: 2, token));
    }

    /// <summary>Circles, squares, and a class folder <paramref name="unusable"/> of photos in formats the decoders do not read.</summary>
    private static ImageDataset WithHeicFolder(ScratchFolder folder, string unusable = "heic", params string[] classes)
    {
        string shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");
        foreach (string cls in classes)
        {
            Directory.CreateDirectory(folder.File(cls));
            foreach (string file in Directory.GetFiles(Path.Combine(shapes, cls)).Order(StringComparer.Ordinal).Take(6))
                File.Copy(file, folder.File(Path.Combine(cls, Path.GetFileName(file))));
        }
        Directory.CreateDirectory(folder.File(unusable));
        File.WriteAllBytes(folder.File(Path.Combine(unusable, "a.heic")), Datasets.UnusableClassDatasetTests.Heic);
        File.WriteAllBytes(folder.File(Path.Combine(unusable, "b.tif")), Datasets.UnusableClassDatasetTests.Tiff);
        return ImageDataset.Load(folder.Path);
    }

    [Fact]
    public void TrainingAndCrossValidationRefuseAClassFolderOfUnsupportedFormats_BeforeAnyWork()
    {
        using var folder = new ScratchFolder("heic-class");
        ImageDataset data = WithHeicFolder(folder, "heic", "circles", "squares");
        Assert.Equal(["circles", "squares"], data.Classes);
        var trainer = new ImageClassificationTrainer(new TrainerOptions { Seed = 1, UseFeatureCache = false, Threads = 2 });
        CancellationToken token = TestContext.Current.CancellationToken;

        InvalidDatasetException fit = Assert.Throws<InvalidDatasetException>(() => trainer.Fit(data, token));
        InvalidDatasetException cv = Assert.Throws<InvalidDatasetException>(() => trainer.CrossValidate(data, folds: 2, token));

        Assert.Equal($"{folder.Path}: {data.UnusableClasses[0].Message}; give each class at least one image that decodes, or take the class out of the data", fit.Message);
        Assert.StartsWith("class 'heic' has no usable image: of its 2 files, 1 is a HEIC image", fit.Reason, StringComparison.Ordinal);
        Assert.Equal(fit.Message, cv.Message);
    }

    [Fact]
    public void WithOneClassLeft_TheUnusableClassIsWhatIsRefused_AndWhenAcceptedTheCountErrorStillNamesIt()
    {
        using var folder = new ScratchFolder("heic-one");
        ImageDataset data = WithHeicFolder(folder, "heic", "circles");
        var trainer = new ImageClassificationTrainer(new TrainerOptions { Seed = 1, UseFeatureCache = false, Threads = 2 });
        CancellationToken token = TestContext.Current.CancellationToken;

        InvalidDatasetException refused = Assert.Throws<InvalidDatasetException>(() => trainer.Fit(data, token));
        InvalidDatasetException accepted = Assert.Throws<InvalidDatasetException>(() => trainer.Fit(data.WithoutUnusableClasses(), token));

        Assert.StartsWith("class 'heic' has no usable image", refused.Reason, StringComparison.Ordinal);
        Assert.StartsWith("a classifier needs images of at least two classes; the data has 1 (circles); left out: class 'heic' has no usable image: of its 2 files", accepted.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AcceptedAsLeftOut_TheUnusableClassIsNotTrained_AndIsListedInTheResult()
    {
        using var folder = new ScratchFolder("heic-accepted");
        ImageDataset data = WithHeicFolder(folder, "photos", "circles", "squares").WithoutUnusableClasses();
        var trainer = new ImageClassificationTrainer(new TrainerOptions { Seed = 1, UseFeatureCache = false, Threads = 2 });

        using TrainingResult result = trainer.Fit(data, TestContext.Current.CancellationToken);

        Assert.Equal(["circles", "squares"], result.Classifier.Labels);
        Assert.Contains(result.Excluded, e => e.Path == folder.File("photos") && e.Reason.StartsWith("class 'photos' has no usable image", StringComparison.Ordinal));
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
