using Pipeline.Classification;
using Pipeline.Persistence;
using Pipeline.Prediction;
using Pipeline.Tests.Classification;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Prediction;

/// <summary>The reloading holder swaps in a changed model only when it loads, and keeps serving the old one otherwise.</summary>
public sealed class ReloadingImageClassifierTests(ShapesModel model) : IClassFixture<ShapesModel>
{
    [Fact]
    public void AChangedFileIsSwappedInAndACorruptOneKeepsTheServingModel()
    {
        using var folder = new ScratchFolder("reloading");
        string path = folder.File("model.zip");
        model.Result.Save(path);
        string image = model.Data.Samples[0].Path;
        using var holder = new ReloadingImageClassifier(path, new ReloadingOptions { WatchForChanges = false });
        float[] before = holder.Predict(image).Scores.ToArray();
        Assert.Equal(1, holder.Generation);
        Assert.False(holder.Reload()); // unchanged file: nothing to do

        using (TrainingResult other = new ImageClassificationTrainer(model.Options with { Seed = 8 }).Fit(model.Data, TestContext.Current.CancellationToken))
            other.Save(path);
        var reloaded = new List<int>();
        holder.Reloaded += (_, e) => reloaded.Add(e.Generation);
        Assert.True(holder.Reload());
        Assert.Equal(2, holder.Generation);
        Assert.Equal([2], reloaded);
        float[] after = holder.Predict(image).Scores.ToArray();
        Assert.NotEqual(before, after);

        byte[] good = File.ReadAllBytes(path);
        File.WriteAllBytes(path, good[..(good.Length / 2)]); // a half-written copy
        var failures = new List<Exception>();
        holder.ReloadFailed += (_, e) => failures.Add(e.Error);
        Assert.False(holder.Reload());
        Assert.IsType<InvalidModelPackageException>(holder.LastError);
        Assert.Single(failures);
        Assert.Equal(2, holder.Generation);
        Assert.Equal(after, holder.Predict(image).Scores.ToArray()); // still the last good model
    }

    [Fact]
    public void TheWatcherPicksUpAReplacedFile()
    {
        using var folder = new ScratchFolder("reloading-watch");
        string path = folder.File("model.zip");
        model.Result.Save(path);
        using var holder = new ReloadingImageClassifier(path, new ReloadingOptions { Debounce = TimeSpan.FromMilliseconds(50) });
        using var swapped = new ManualResetEventSlim();
        holder.Reloaded += (_, _) => swapped.Set();
        using (TrainingResult other = new ImageClassificationTrainer(model.Options with { Seed = 9 }).Fit(model.Data, TestContext.Current.CancellationToken))
            other.Save(path); // atomic rename over the watched file
        Assert.True(swapped.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken), "the changed file was not reloaded within 30 s");
        Assert.Equal(2, holder.Generation);
    }
}
