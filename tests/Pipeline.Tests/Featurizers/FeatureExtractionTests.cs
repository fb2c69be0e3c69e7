using Pipeline.Featurizers;
using Pipeline.Featurizers.Cache;
using Pipeline.Featurizers.FilterBank;
using Pipeline.Imaging;
using Pipeline.Imaging.Png;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Featurizers;

public sealed class FeatureExtractionTests
{
    private static readonly FilterBankSpec Spec = new() { ImageSize = 16, PatchSize = 4, Centroids = 8, TrainingPatches = 200, Iterations = 3, ColorBins = [4, 2, 2], Seed = 3 };

    [Fact]
    public void Computes_misses_reuses_hits_lists_failures_and_never_reuses_a_stale_entry()
    {
        using var folder = new ScratchFolder("extraction");
        Image[] images = SyntheticImages.Make(10, seed: 12);
        var paths = new List<string>();
        for (int i = 0; i < images.Length; i++)
        {
            paths.Add(folder.File($"image{i}.png"));
            PngEncoder.Save(images[i], paths[^1]);
        }
        paths.Insert(3, folder.File("notes.png"));
        File.WriteAllText(paths[3], "not an image");
        paths.Insert(6, folder.File("missing.png"));

        CancellationToken token = TestContext.Current.CancellationToken;
        using IFeaturizer featurizer = FeaturizerFactory.TrainFilterBank(images, Spec, new FeaturizerOptions { Threads = 2 }, token);
        var cache = new FeatureCache(folder.File("cache"));
        var options = new FeaturizerOptions { Threads = 2, BatchSize = 4 };
        var reports = new List<FeatureExtractionProgress>();
        ExtractedFeatures first = FeatureExtraction.FromFiles(featurizer, paths, cache, options, new SynchronousProgress(reports), token);

        Assert.Equal([3, 6], first.Failures.Select(f => f.Index));
        Assert.Contains("notes.png", first.Failures[0].Path);
        Assert.Equal(paths.Count - 2, first.Rows.Length);
        Assert.Equal((0, 10), (first.CacheHits, first.Computed));
        Assert.Equal(paths.Count, reports[^1].Done);
        var expected = new float[featurizer.Dimension];
        for (int r = 0; r < first.Rows.Length; r++)
        {
            featurizer.Featurize(ImageDecoder.Decode(paths[first.Rows[r]]), expected);
            Assert.Equal(expected, first.Features.AsSpan(r * featurizer.Dimension, featurizer.Dimension).ToArray());
        }

        ExtractedFeatures second = FeatureExtraction.FromFiles(featurizer, paths, cache, options, cancellation: token);
        Assert.Equal((10, 0), (second.CacheHits, second.Computed));
        Assert.Equal(first.Features, second.Features);

        // A changed image is a miss; content already seen (a copy under another name) is a hit; another featurizer misses everything.
        PngEncoder.Save(SyntheticImages.Make(1, seed: 99)[0], paths[1]);
        ExtractedFeatures third = FeatureExtraction.FromFiles(featurizer, paths, cache, options, cancellation: token);
        Assert.Equal((9, 1), (third.CacheHits, third.Computed));
        File.Copy(paths[0], paths[2], overwrite: true);
        ExtractedFeatures copied = FeatureExtraction.FromFiles(featurizer, paths, cache, options, cancellation: token);
        Assert.Equal((10, 0), (copied.CacheHits, copied.Computed));
        Assert.Equal(copied.Features.AsSpan(0, featurizer.Dimension).ToArray(), copied.Features.AsSpan(2 * featurizer.Dimension, featurizer.Dimension).ToArray());
        using IFeaturizer other = FeaturizerFactory.TrainFilterBank(images, Spec with { Seed = 4 }, new FeaturizerOptions { Threads = 2 }, token);
        ExtractedFeatures fourth = FeatureExtraction.FromFiles(other, paths, cache, options, cancellation: token);
        Assert.Equal((0, 10), (fourth.CacheHits, fourth.Computed));
    }

    [Fact]
    public void Without_a_cache_everything_is_computed_in_path_order()
    {
        using var folder = new ScratchFolder("extraction-nocache");
        Image[] images = SyntheticImages.Make(5, seed: 13);
        string[] paths = images.Select((image, i) => { string p = folder.File($"{i}.png"); PngEncoder.Save(image, p); return p; }).ToArray();
        using IFeaturizer featurizer = FeaturizerFactory.TrainFilterBank(images, Spec, new FeaturizerOptions { Threads = 1 }, TestContext.Current.CancellationToken);
        ExtractedFeatures result = FeatureExtraction.FromFiles(featurizer, paths, cancellation: TestContext.Current.CancellationToken);
        var direct = new float[images.Length * featurizer.Dimension];
        featurizer.Featurize(images, direct);
        Assert.Equal(direct, result.Features);
        Assert.Equal([0, 1, 2, 3, 4], result.Rows);
        Assert.Empty(result.Failures);
    }

    [Fact]
    public async Task A_failure_while_featurizing_ends_the_extraction_instead_of_leaving_the_reader_waiting()
    {
        using var folder = new ScratchFolder("extraction-throws");
        Image[] images = SyntheticImages.Make(48, seed: 15);
        string[] paths = images.Select((image, i) => { string p = folder.File($"{i}.png"); PngEncoder.Save(image, p); return p; }).ToArray();
        CancellationToken token = TestContext.Current.CancellationToken;
        using IFeaturizer featurizer = FeaturizerFactory.TrainFilterBank(images, Spec, new FeaturizerOptions { Threads = 2 }, token);
        // Six batches of 8 (the least): the reader is ahead, blocked on the full queue, when the first report throws.
        var options = new FeaturizerOptions { Threads = 2, BatchSize = 8 };
        var throwing = new ThrowingProgress();
        Task<ExtractedFeatures> run = Task.Run(() => FeatureExtraction.FromFiles(featurizer, paths, null, options, throwing, token), token);
        Task finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60), token));
        Assert.True(finished == run, "the extraction hung after its progress report threw");
        await Assert.ThrowsAsync<InvalidOperationException>(() => run);
    }

    [Fact]
    public void A_cache_entry_the_file_system_refuses_is_a_miss_not_a_failed_image()
    {
        using var folder = new ScratchFolder("extraction-cache-refuses");
        Image[] images = SyntheticImages.Make(4, seed: 16);
        string[] paths = images.Select((image, i) => { string p = folder.File($"{i}.png"); PngEncoder.Save(image, p); return p; }).ToArray();
        CancellationToken token = TestContext.Current.CancellationToken;
        using IFeaturizer featurizer = FeaturizerFactory.TrainFilterBank(images, Spec, new FeaturizerOptions { Threads = 2 }, token);
        var cache = new FeatureCache(folder.File("cache"));
        ExtractedFeatures first = FeatureExtraction.FromFiles(featurizer, paths, cache, cancellation: token);
        Assert.Equal((0, 4), (first.CacheHits, first.Computed));

        // A folder where one entry's file was: opening it is refused (UnauthorizedAccessException), not "not found".
        string entry = Directory.GetFiles(folder.File("cache"), "*", SearchOption.AllDirectories).First(f => f.EndsWith(".f32", StringComparison.Ordinal));
        File.Delete(entry);
        Directory.CreateDirectory(entry);
        ExtractedFeatures second = FeatureExtraction.FromFiles(featurizer, paths, cache, cancellation: token);
        Assert.Empty(second.Failures);
        Assert.Equal([0, 1, 2, 3], second.Rows);
        Assert.Equal((3, 1), (second.CacheHits, second.Computed));
        Assert.Equal(first.Features, second.Features);
    }

    [Fact]
    public void Images_that_fail_to_decode_are_failures_and_never_cached()
    {
        using var folder = new ScratchFolder("extraction-corrupt");
        Image[] images = SyntheticImages.Make(3, seed: 14);
        var paths = new List<string>();
        for (int i = 0; i < images.Length; i++)
        {
            paths.Add(folder.File($"{i}.png"));
            PngEncoder.Save(images[i], paths[^1]);
        }
        // A whole batch of truncated PNGs (their signature passes, their data does not), then a good image.
        byte[] good = File.ReadAllBytes(paths[0]);
        for (int i = 0; i < 2; i++)
        {
            paths.Insert(1, folder.File($"truncated{i}.png"));
            File.WriteAllBytes(paths[1], good[..(good.Length / (2 + i))]);
        }
        CancellationToken token = TestContext.Current.CancellationToken;
        using IFeaturizer featurizer = FeaturizerFactory.TrainFilterBank(images, Spec, new FeaturizerOptions { Threads = 2 }, token);
        var cache = new FeatureCache(folder.File("cache"));
        var options = new FeaturizerOptions { Threads = 2, BatchSize = 2 };
        for (int run = 0; run < 2; run++)
        {
            ExtractedFeatures result = FeatureExtraction.FromFiles(featurizer, paths, cache, options, cancellation: token);
            Assert.Equal([1, 2], result.Failures.Select(f => f.Index));
            Assert.All(result.Failures, f => Assert.Contains("truncated", f.Path));
            Assert.All(result.Failures, f => Assert.False(string.IsNullOrWhiteSpace(f.Reason)));
            Assert.Equal([0, 3, 4], result.Rows);
            Assert.Equal(run == 0 ? (0, 3) : (3, 0), (result.CacheHits, result.Computed));
            var direct = new float[images.Length * featurizer.Dimension];
            featurizer.Featurize(images, direct);
            Assert.Equal(direct, result.Features);
        }
    }

    private sealed class ThrowingProgress : IProgress<FeatureExtractionProgress>
    {
        public void Report(FeatureExtractionProgress value) => throw new InvalidOperationException("the progress display failed");
    }

    private sealed class SynchronousProgress(List<FeatureExtractionProgress> reports) : IProgress<FeatureExtractionProgress>
    {
        public void Report(FeatureExtractionProgress value) => reports.Add(value);
    }
}
