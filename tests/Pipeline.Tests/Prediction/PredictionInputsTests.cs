using Pipeline.Imaging;
using Pipeline.Prediction;
using Pipeline.Tests.Classification;

namespace Pipeline.Tests.Prediction;

/// <summary>Every way of handing an image to a loaded model gives the same answer; a bad image is a typed error naming it.</summary>
public sealed class PredictionInputsTests(ShapesModel model) : IClassFixture<ShapesModel>
{
    [Fact]
    public void PathBytesStreamImageAndBatchAgree()
    {
        ImageClassifier classifier = model.Result.Classifier;
        string[] paths = model.Data.Samples.Take(6).Select(s => s.Path).ToArray();
        IReadOnlyList<global::Pipeline.Prediction.Prediction> batch = classifier.Predict(paths);
        for (int i = 0; i < paths.Length; i++)
        {
            float[] expected = classifier.Predict(paths[i]).Scores.ToArray();
            Assert.Equal(expected, classifier.Predict(File.ReadAllBytes(paths[i])).Scores);
            using (FileStream stream = File.OpenRead(paths[i])) Assert.Equal(expected, classifier.Predict(stream).Scores);
            Assert.Equal(expected, classifier.Predict(ImageDecoder.Decode(paths[i])).Scores);
            Assert.Equal(expected, batch[i].Scores);
        }
    }

    [Fact]
    public void LabelsAndScoresCannotBeChangedThroughACast()
    {
        // One labels list serves every prediction on every thread: writable through a cast, one caller could relabel all.
        ImageClassifier classifier = model.Result.Classifier;
        global::Pipeline.Prediction.Prediction prediction = classifier.Predict(model.Data.Samples[0].Path);
        Assert.Throws<NotSupportedException>(() => ((IList<string>)classifier.Labels)[0] = "x");
        Assert.Throws<NotSupportedException>(() => ((IList<string>)prediction.Labels)[0] = "x");
        Assert.Throws<NotSupportedException>(() => ((IList<float>)prediction.Scores)[prediction.Index] = 42);
        Assert.IsNotType<float[]>(prediction.Scores);
    }

    [Fact]
    public void ABadPathInABatchThrowsItsOwnExceptionAsOneCallWould()
    {
        ImageClassifier classifier = model.Result.Classifier;
        string good = model.Data.Samples[0].Path, missing = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.png");
        Assert.Throws<ArgumentException>(() => classifier.Predict([good, ""]));
        Assert.Throws<ArgumentNullException>(() => classifier.Predict([good, null!]));
        Assert.Throws<FileNotFoundException>(() => classifier.Predict([good, missing]));
        Assert.Throws<FileNotFoundException>(() => classifier.Predict(missing));
    }

    [Fact]
    public void ADisposedClassifierRefusesEveryInputBeforeReadingIt()
    {
        // A classifier of its own, so disposing it leaves the fixture's alone.
        using var saved = new MemoryStream();
        model.Result.Classifier.Save(saved);
        saved.Position = 0;
        ImageClassifier classifier = ImageClassifier.Load(saved);
        classifier.Dispose();
        string missing = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.png");
        Assert.Throws<ObjectDisposedException>(() => classifier.Predict(missing));
        Assert.Throws<ObjectDisposedException>(() => classifier.Predict(new byte[] { 1, 2, 3 }));
        Assert.Throws<ObjectDisposedException>(() => classifier.Predict(new MemoryStream([1, 2, 3])));
        Assert.Throws<ObjectDisposedException>(() => classifier.Predict(new[] { missing }));
        Assert.Throws<ObjectDisposedException>(() => classifier.Predict(Array.Empty<string>()));
        var trainer = new Pipeline.Classification.ImageClassificationTrainer(model.Options);
        Assert.Throws<ObjectDisposedException>(() => trainer.Evaluate(classifier, model.Data, TestContext.Current.CancellationToken));
        Assert.Throws<ObjectDisposedException>(() => trainer.Retrain(classifier, model.Data, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void ManyPathsArePredictedChunkByChunkInOrderAndTheFirstBadFileIsNamed()
    {
        // More files than one decoding chunk (16 per thread), so several chunks and a short last one run.
        ImageClassifier classifier = model.Result.Classifier;
        string[] paths = model.Data.Samples.Select(s => s.Path).ToArray();
        Assert.True(paths.Length > 16 * Environment.ProcessorCount + 1, $"{paths.Length} sample images");
        IReadOnlyList<global::Pipeline.Prediction.Prediction> batch = classifier.Predict(paths);
        Assert.Equal(paths.Length, batch.Count);
        for (int i = 0; i < paths.Length; i += 7) Assert.Equal(classifier.Predict(paths[i]).Scores.ToArray(), batch[i].Scores);

        string bad = Path.Combine(Path.GetTempPath(), $"not-an-image-{Guid.NewGuid():N}.png");
        File.WriteAllText(bad, "text");
        try
        {
            string[] withBad = [.. paths[..40], bad, .. paths[40..]];
            InvalidImageException e = Assert.Throws<InvalidImageException>(() => classifier.Predict(withBad));
            Assert.Contains(Path.GetFileName(bad), e.Message);
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Fact]
    public void TopKIsOrderedAndStartsWithTheLabel()
    {
        global::Pipeline.Prediction.Prediction p = model.Result.Classifier.Predict(model.Data.Samples[0].Path);
        IReadOnlyList<LabelScore> top = p.Top(p.Labels.Count);
        Assert.Equal(p.Label, top[0].Label);
        Assert.Equal(p.Score, top[0].Score);
        for (int i = 1; i < top.Count; i++) Assert.True(top[i - 1].Score >= top[i].Score);
        Assert.Equal(2, p.Top(2).Count);
        Assert.InRange(p.Scores.Sum(), 0.999f, 1.001f);
    }

    [Fact]
    public void ACorruptImageIsATypedErrorNamingTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"corrupt-{Guid.NewGuid():N}.png");
        byte[] png = File.ReadAllBytes(model.Data.Samples[0].Path);
        File.WriteAllBytes(path, png[..(png.Length / 2)]);
        try
        {
            InvalidImageException e = Assert.Throws<InvalidImageException>(() => model.Result.Classifier.Predict(path));
            Assert.Contains(Path.GetFileName(path), e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
