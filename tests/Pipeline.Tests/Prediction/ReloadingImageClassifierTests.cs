using System.Collections.Concurrent;
using Pipeline.Classification;
using Pipeline.Featurizers.Backbones;
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
        model.Result.Save(path, TestContext.Current.CancellationToken);
        string image = model.Data.Samples[0].Path;
        using var holder = new ReloadingImageClassifier(path, new ReloadingOptions { WatchForChanges = false });
        float[] before = holder.Predict(image).Scores.ToArray();
        Assert.Equal(1, holder.Generation);
        Assert.False(holder.Reload()); // unchanged file: nothing to do

        using (TrainingResult other = new ImageClassificationTrainer(model.Options with { Seed = 8 }).Fit(model.Data, TestContext.Current.CancellationToken))
            other.Save(path, TestContext.Current.CancellationToken);
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
    public void AManifestTheLoaderChokesOnAndAThrowingHandlerKeepTheServingModel()
    {
        using var folder = new ScratchFolder("reloading-odd");
        string path = folder.File("model.zip");
        model.Result.Save(path, TestContext.Current.CancellationToken);
        using var holder = new ReloadingImageClassifier(path, new ReloadingOptions { WatchForChanges = false });
        holder.ReloadFailed += (_, _) => throw new InvalidOperationException("a subscriber's bug");
        holder.Reloaded += (_, _) => throw new InvalidOperationException("a subscriber's bug");

        // Valid packages whose featurizer spec has no 'kind', or 'taps': null: the loader's errors were not typed.
        ModelPackage package = ModelPackage.Load(path);
        foreach (string featurizer in new[] { "{\"pooling\":\"gem\"}", "{\"kind\":\"backbone\",\"taps\":null}" })
        {
            (package with { Featurizer = System.Text.Json.JsonDocument.Parse(featurizer).RootElement }).Save(path, TestContext.Current.CancellationToken);
            Assert.False(holder.Reload());
            InvalidModelPackageException error = Assert.IsType<InvalidModelPackageException>(holder.LastError);
            Assert.Contains(path, error.Message);
            Assert.Equal(1, holder.Generation);
        }
        using (TrainingResult other = new ImageClassificationTrainer(model.Options with { Seed = 10 }).Fit(model.Data, TestContext.Current.CancellationToken))
            other.Save(path, TestContext.Current.CancellationToken);
        Assert.True(holder.Reload()); // the throwing Reloaded handler does not undo or fail the swap
        Assert.Equal(2, holder.Generation);
        Assert.Null(holder.LastError);
    }

    [Fact]
    public void AModelLinkedThroughASwappedFolderLinkIsFollowed()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && File.Exists("/bin/mv"), "needs Linux's mv -T to swap a folder link atomically");
        // Kubernetes' layout for a mounted ConfigMap: model.zip -> ..data/model.zip, and ..data -> a versioned folder.
        using var folder = new ScratchFolder("reloading-link");
        string first = Directory.CreateDirectory(folder.File("v1")).FullName, second = Directory.CreateDirectory(folder.File("v2")).FullName;
        model.Result.Save(Path.Combine(first, "model.zip"), TestContext.Current.CancellationToken);
        using (TrainingResult other = new ImageClassificationTrainer(model.Options with { Seed = 11 }).Fit(model.Data, TestContext.Current.CancellationToken))
            other.Save(Path.Combine(second, "model.zip"), TestContext.Current.CancellationToken);
        Directory.CreateSymbolicLink(folder.File("..data"), first);
        File.CreateSymbolicLink(folder.File("model.zip"), Path.Combine("..data", "model.zip"));

        using var holder = new ReloadingImageClassifier(folder.File("model.zip"), new ReloadingOptions { Debounce = TimeSpan.FromMilliseconds(50) });
        using var swapped = new ManualResetEventSlim();
        holder.Reloaded += (_, _) => swapped.Set();
        Directory.CreateSymbolicLink(folder.File("..data_tmp"), second);
        using (var mv = System.Diagnostics.Process.Start("/bin/mv", ["-T", folder.File("..data_tmp"), folder.File("..data")]))
            mv.WaitForExit();
        Assert.True(swapped.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken), "the swapped folder link was not followed within 30 s");
        Assert.Equal(2, holder.Generation);
    }

    [Fact]
    public void AThrowingSubscriberDoesNotSilenceTheNextOne()
    {
        using var folder = new ScratchFolder("reloading-subscribers");
        string path = folder.File("model.zip");
        model.Result.Save(path, TestContext.Current.CancellationToken);
        using var holder = new ReloadingImageClassifier(path, new ReloadingOptions { WatchForChanges = false });
        var seen = new List<int>();
        holder.Reloaded += (_, _) => throw new InvalidOperationException("a subscriber's bug");
        holder.Reloaded += (_, e) => seen.Add(e.Generation);
        using (TrainingResult other = new ImageClassificationTrainer(model.Options with { Seed = 12 }).Fit(model.Data, TestContext.Current.CancellationToken))
            other.Save(path, TestContext.Current.CancellationToken);
        Assert.True(holder.Reload());
        Assert.Equal([2], seen);
    }

    [Fact]
    public async Task ALinkToAModelInAnotherFolderIsFollowedAndABusyNeighbourDoesNotHoldItUp()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "symbolic links need privileges on Windows");
        using var folder = new ScratchFolder("reloading-elsewhere");
        string models = Directory.CreateDirectory(folder.File("models")).FullName, app = Directory.CreateDirectory(folder.File("app")).FullName;
        string target = Path.Combine(models, "model.zip"), link = Path.Combine(app, "model.zip"), log = Path.Combine(app, "app.log");
        model.Result.Save(target, TestContext.Current.CancellationToken);
        File.CreateSymbolicLink(link, target);
        using var holder = new ReloadingImageClassifier(link, new ReloadingOptions { Debounce = TimeSpan.FromMilliseconds(200) });
        using var swapped = new ManualResetEventSlim();
        holder.Reloaded += (_, _) => swapped.Set();
        CancellationToken token = TestContext.Current.CancellationToken;
        // A log beside the link, written every 50 ms, would restart a folder-wide debounce for ever.
        using var stop = new CancellationTokenSource();
        Task writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                File.AppendAllText(log, "line\n");
                await Task.Delay(50, CancellationToken.None);
            }
        }, token);
        using (TrainingResult other = new ImageClassificationTrainer(model.Options with { Seed = 13 }).Fit(model.Data, token))
            other.Save(target, TestContext.Current.CancellationToken); // atomic: a new file renamed over the link's target
        bool followed = swapped.Wait(TimeSpan.FromSeconds(20), token);
        stop.Cancel();
        await writer;
        Assert.True(followed, "the link's target was replaced and not reloaded within 20 s");
        Assert.Equal(2, holder.Generation);
    }

    [Fact]
    public void TheWatcherPicksUpAReplacedFile()
    {
        using var folder = new ScratchFolder("reloading-watch");
        string path = folder.File("model.zip");
        model.Result.Save(path, TestContext.Current.CancellationToken);
        using var holder = new ReloadingImageClassifier(path, new ReloadingOptions { Debounce = TimeSpan.FromMilliseconds(50) });
        using var swapped = new ManualResetEventSlim();
        holder.Reloaded += (_, _) => swapped.Set();
        using (TrainingResult other = new ImageClassificationTrainer(model.Options with { Seed = 9 }).Fit(model.Data, TestContext.Current.CancellationToken))
            other.Save(path, TestContext.Current.CancellationToken); // atomic rename over the watched file
        Assert.True(swapped.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken), "the changed file was not reloaded within 30 s");
        Assert.Equal(2, holder.Generation);
    }

    [Fact]
    public async Task ASlowSubscriberHoldsUpNeitherTheNextReloadNorDispose()
    {
        using var folder = new ScratchFolder("reloading-slow-subscriber");
        string path = folder.File("model.zip");
        model.Result.Save(path, TestContext.Current.CancellationToken);
        ModelPackage package = ModelPackage.Load(path);
        CancellationToken token = TestContext.Current.CancellationToken;
        var holder = new ReloadingImageClassifier(path, new ReloadingOptions { WatchForChanges = false });
        using var inHandler = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var seen = new ConcurrentQueue<int>();
        holder.Reloaded += (_, e) =>
        {
            seen.Enqueue(e.Generation);
            inHandler.Set();
            release.Wait(TimeSpan.FromMinutes(2), CancellationToken.None);
        };
        Task<bool> first = Task.FromResult(false);
        try
        {
            Relabelled(package, "-a").Save(path, TestContext.Current.CancellationToken);
            first = Task.Run(holder.Reload, token);
            Assert.True(inHandler.Wait(TimeSpan.FromSeconds(30), token), "the first reload did not reach its subscriber within 30 s");

            Relabelled(package, "-b").Save(path, TestContext.Current.CancellationToken);
            Task<bool> second = Task.Run(holder.Reload, token);
            Assert.True(await Finishes(second), "the second reload waited for the first one's subscriber");
            Assert.True(await second);
            Assert.Equal(3, holder.Generation);

            Task dispose = Task.Run(holder.Dispose, token);
            Assert.True(await Finishes(dispose), "Dispose waited for a subscriber");
            Assert.False(holder.Reload()); // disposed: no new load starts
        }
        finally
        {
            release.Set();
            holder.Dispose();
        }
        Assert.True(await first);
        Assert.Equal([2, 3], seen); // the second swap's event came after the first's, once its subscriber returned
    }

    [Fact]
    public async Task DisposeDoesNotWaitForALoadThatWaitsForItsBackbone()
    {
        using var folder = new ScratchFolder("reloading-dispose-during-load");
        string path = folder.File("model.zip"), cache = Directory.CreateDirectory(folder.File("cache")).FullName;
        model.Result.Save(path, TestContext.Current.CancellationToken);
        var holder = new ReloadingImageClassifier(path, new ReloadingOptions
        {
            WatchForChanges = false,
            Load = ImageClassifierOptions.Default with { BackboneCacheFolder = cache },
        });
        try
        {
            // A model whose backbone is referenced by registry name, not cached, while another process holds the
            // cache's lock for it: the load waits there (for up to half an hour), with no network involved.
            BackboneEntry entry = BackboneRegistry.Default.Find("mobilenetv2-12")!;
            ModelPackage package = ModelPackage.Load(path);
            (package with
            {
                Featurizer = System.Text.Json.JsonDocument.Parse("{\"kind\":\"backbone\"}").RootElement,
                Backbone = ModelBackbone.Referenced(entry.Name, entry.FileName, entry.Sha256, entry.Size),
                Entries = package.Entries.Where(e => e.Key.StartsWith("head/", StringComparison.Ordinal)).ToDictionary(),
            }).Save(path, TestContext.Current.CancellationToken);
            using var held = new FileStream(Path.Combine(cache, "." + entry.FileName + ".lock"), FileMode.Create, FileAccess.ReadWrite, FileShare.None);
            var failures = new ConcurrentQueue<Exception>();
            holder.ReloadFailed += (_, e) => failures.Enqueue(e.Error);

            Task<bool> reload = Task.Run(holder.Reload, TestContext.Current.CancellationToken);
            // Time for the load to reach the lock. Were Dispose first, the reload would not start and this test would
            // pass without showing anything; it cannot fail for that reason.
            await Task.Delay(1000, TestContext.Current.CancellationToken);
            Task dispose = Task.Run(holder.Dispose, TestContext.Current.CancellationToken);
            Assert.True(await Finishes(dispose), "Dispose waited for the load");
            Assert.True(await Finishes(reload), "the load kept waiting for its backbone after Dispose");
            Assert.False(await reload);
            Assert.Empty(failures);
            Assert.Throws<ObjectDisposedException>(() => holder.Predict(model.Data.Samples[0].Path));
        }
        finally
        {
            holder.Dispose();
        }
    }

    [Theory]
    [InlineData("renamed")]
    [InlineData("recreated")]
    public void AModelFolderReplacedUnderTheWatchIsFollowed(string how)
    {
        using var folder = new ScratchFolder("reloading-folder-" + how);
        string models = Directory.CreateDirectory(folder.File("models")).FullName, path = Path.Combine(models, "model.zip");
        model.Result.Save(path, TestContext.Current.CancellationToken);
        ModelPackage package = ModelPackage.Load(path);
        // No poll: the watchers alone must follow the path.
        using var holder = new ReloadingImageClassifier(path, new ReloadingOptions { Debounce = TimeSpan.FromMilliseconds(50), PollInterval = TimeSpan.Zero });
        if (how == "renamed")
        {
            string next = Directory.CreateDirectory(folder.File("models.new")).FullName;
            Relabelled(package, "-a").Save(Path.Combine(next, "model.zip"), TestContext.Current.CancellationToken);
            Directory.Move(models, folder.File("models.old"));
            Directory.Move(next, models);
        }
        else
        {
            Directory.Delete(models, recursive: true);
            Directory.CreateDirectory(models);
            Relabelled(package, "-a").Save(path, TestContext.Current.CancellationToken);
        }
        Assert.True(WaitUntil(() => holder.Generation == 2), "the model in the replacing folder was not loaded within 30 s");
        Relabelled(package, "-b").Save(path, TestContext.Current.CancellationToken);
        Assert.True(WaitUntil(() => holder.Generation == 3), "a change in the replacing folder was not seen within 30 s");
        Assert.EndsWith("-b", holder.Labels[0], StringComparison.Ordinal);
    }

    [Fact]
    public void AFolderReplacedAboveTheModelsFolderIsCaughtByThePoll()
    {
        using var folder = new ScratchFolder("reloading-poll");
        string app = folder.File("app"), path = Path.Combine(app, "models", "model.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        model.Result.Save(path, TestContext.Current.CancellationToken);
        ModelPackage package = ModelPackage.Load(path);
        using var holder = new ReloadingImageClassifier(path, new ReloadingOptions { Debounce = TimeSpan.FromMilliseconds(50), PollInterval = TimeSpan.FromMilliseconds(100) });
        // Both watches (the models folder and the one above it) stay on the old folders: no event reports this.
        string next = folder.File("app.new");
        Directory.CreateDirectory(Path.Combine(next, "models"));
        Relabelled(package, "-a").Save(Path.Combine(next, "models", "model.zip"), TestContext.Current.CancellationToken);
        Directory.Move(app, folder.File("app.old"));
        Directory.Move(next, app);
        Assert.True(WaitUntil(() => holder.Generation == 2), "the replaced model was not loaded within 30 s");
        Relabelled(package, "-b").Save(path, TestContext.Current.CancellationToken);
        Assert.True(WaitUntil(() => holder.Generation == 3), "a later change was not seen within 30 s");
    }

    [Fact]
    public void ADeletedModelIsReportedAndKeepsServingUntilAFileReturns()
    {
        using var folder = new ScratchFolder("reloading-deleted");
        string path = folder.File("model.zip"), image = model.Data.Samples[0].Path;
        model.Result.Save(path, TestContext.Current.CancellationToken);
        ModelPackage package = ModelPackage.Load(path);
        using var holder = new ReloadingImageClassifier(path, new ReloadingOptions { Debounce = TimeSpan.FromMilliseconds(50), PollInterval = TimeSpan.Zero });
        var failures = new ConcurrentQueue<Exception>();
        holder.ReloadFailed += (_, e) => failures.Enqueue(e.Error);
        float[] before = holder.Predict(image).Scores.ToArray();

        File.Delete(path);
        Assert.True(WaitUntil(() => !failures.IsEmpty), "the deleted model was not reported within 30 s");
        Assert.IsType<FileNotFoundException>(holder.LastError);
        Assert.Equal(before, holder.Predict(image).Scores.ToArray());

        Relabelled(package, "-a").Save(path, TestContext.Current.CancellationToken);
        Assert.True(WaitUntil(() => holder.Generation == 2), "the model put back was not loaded within 30 s");
        Assert.Null(holder.LastError);
    }

    /// <summary>Polls <paramref name="condition"/> for a generous 30 s: waits for a reload, does not time one.</summary>
    private static bool WaitUntil(Func<bool> condition) =>
        SpinWait.SpinUntil(() =>
        {
            if (condition()) return true;
            Thread.Sleep(20);
            return false;
        }, TimeSpan.FromSeconds(30));

    /// <summary>Whether <paramref name="task"/> ends within a generous 30 s: a wait for a deadlock, not a timing.</summary>
    private static async Task<bool> Finishes(Task task) =>
        await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)) == task;

    private static ModelPackage Relabelled(ModelPackage package, string suffix) =>
        package with { Labels = [.. package.Labels.Select(label => label + suffix)] };
}
