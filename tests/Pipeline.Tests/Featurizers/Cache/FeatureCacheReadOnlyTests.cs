using Pipeline.Featurizers;
using Pipeline.Featurizers.Cache;
using Pipeline.Featurizers.FilterBank;
using Pipeline.Imaging;
using Pipeline.Imaging.Png;
using Pipeline.Tests.Featurizers.FilterBank;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Featurizers.Cache;

/// <summary>A read-only cache serves the features already in it and leaves the folder exactly as it found it.</summary>
public sealed class FeatureCacheReadOnlyTests
{
    private static readonly FeatureCacheOptions ReadOnly = new() { ReadOnly = true };

    private static FeatureCacheKey Key(int image) => FeatureCacheKey.Create(PackageSamples.Bytes(500, image), "read-only-test");

    private static float[] Vector(int seed) => Enumerable.Range(0, 1000).Select(i => (float)Math.Sin(seed * 1000 + i)).ToArray();

    /// <summary>
    /// Every file under <paramref name="folder"/> with its length and write time (not its access time: the kernel may
    /// refresh it on any read).
    /// </summary>
    private static string[] Snapshot(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => new FileInfo(f))
            .Select(f => $"{f.FullName} {f.Length} {f.LastWriteTimeUtc:O}")
            .ToArray();

    [Fact]
    public void HitsAreServedAndNothingIsWrittenTouchedOrDeleted()
    {
        using var folder = new ScratchFolder("features-read-only");
        var writer = new FeatureCache(folder.Path);
        for (int i = 0; i < 6; i++) writer.Set(Key(i), Vector(i));
        // Entry 5 is corrupt, and a writer crashed long ago: a writable cache would delete both.
        File.WriteAllBytes(writer.PathOf(Key(5)), [1, 2, 3]);
        string shard = Path.GetDirectoryName(writer.PathOf(Key(0)))!;
        string abandoned = Path.Combine(shard, $".{Key(0)}.00000000abcd.tmp");
        File.WriteAllBytes(abandoned, [1]);
        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddHours(-2));
        string[] before = Snapshot(folder.Path);

        // A bound the entries are already over: a writable cache would trim.
        var cache = new FeatureCache(folder.Path, ReadOnly with { MaxBytes = 2 * 4096 });
        Assert.True(cache.IsReadOnly);
        for (int i = 0; i < 5; i++)
        {
            Assert.True(cache.TryGet(Key(i), out float[]? hit));
            Assert.Equal(Vector(i), hit);
        }
        Assert.False(cache.TryGet(Key(5), out _));
        Assert.False(cache.TryGet(Key(6), out _));
        Assert.Throws<InvalidOperationException>(() => cache.Set(Key(6), Vector(6)));
        Assert.Equal(6 * 4096, cache.Trim());

        Assert.Equal((5L, 2L, 1L, 0L, 0L), (cache.Hits, cache.Misses, cache.CorruptEntries, cache.Writes, cache.Evictions));
        Assert.Equal(before, Snapshot(folder.Path));
    }

    [Fact]
    public void AMissingFolderIsNotCreated()
    {
        using var folder = new ScratchFolder("features-read-only-missing");
        var cache = new FeatureCache(folder.File("absent"), ReadOnly);
        Assert.False(cache.TryGet(Key(1), out _));
        Assert.Equal(0, cache.Trim());
        Assert.False(Directory.Exists(folder.File("absent")));
    }

    [Fact]
    public void ExtractionUsesTheHitsAndComputesTheMissesWithoutStoringThem()
    {
        using var folder = new ScratchFolder("extraction-read-only");
        Image[] images = SyntheticImages.Make(6, seed: 31);
        string[] paths = images.Select((_, i) => folder.File($"image{i}.png")).ToArray();
        for (int i = 0; i < images.Length; i++) PngEncoder.Save(images[i], paths[i]);
        CancellationToken token = TestContext.Current.CancellationToken;
        var spec = new FilterBankSpec { ImageSize = 16, PatchSize = 4, Centroids = 8, TrainingPatches = 200, Iterations = 3, ColorBins = [4, 2, 2], Seed = 3 };
        using IFeaturizer featurizer = FeaturizerFactory.TrainFilterBank(images, spec, new FeaturizerOptions { Threads = 2 }, token);
        var options = new FeaturizerOptions { Threads = 2 };
        string cacheFolder = folder.File("cache");
        ExtractedFeatures written = FeatureExtraction.FromFiles(featurizer, paths[..4], new FeatureCache(cacheFolder), options, cancellation: token);
        string[] before = Directory.GetFiles(cacheFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

        ExtractedFeatures read = FeatureExtraction.FromFiles(featurizer, paths, new FeatureCache(cacheFolder, ReadOnly), options, cancellation: token);

        Assert.Equal((4, 2), (read.CacheHits, read.Computed));
        Assert.Equal(written.Features, read.Features.AsSpan(0, written.Features.Length).ToArray());
        Assert.Equal(before, Directory.GetFiles(cacheFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray());
    }
}
