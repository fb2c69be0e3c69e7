using Pipeline.Featurizers.Cache;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Featurizers.Cache;

/// <summary>Two real processes reading and writing one cache folder at once.</summary>
public sealed class FeatureCacheCrossProcessTests
{
    private const string FolderVariable = "PIPELINE_TEST_CACHE_WORKER_FOLDER";
    private const string SeedVariable = "PIPELINE_TEST_CACHE_WORKER_SEED";
    private const int Keys = 40;

    private static FeatureCacheKey KeyOf(int k) => FeatureCacheKey.Create(PackageSamples.Bytes(300, 5000 + k), "cross-process-test");

    private static float[] ValueOf(int k) => Enumerable.Range(0, 200 + 7 * k).Select(i => (float)Math.Sin(k * 1000 + i)).ToArray();

    [Fact]
    public async Task TwoProcessesWritingAndReadingTheSameKeysNeverSeeWrongData()
    {
        using var folder = new ScratchFolder("features-xproc");
        var children = Enumerable.Range(1, 2).Select(seed => CrossProcess.Start(
            $"{typeof(FeatureCacheCrossProcessTests).FullName}.{nameof(Worker)}",
            new Dictionary<string, string> { [FolderVariable] = folder.Path, [SeedVariable] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) })).ToArray();
        await Task.WhenAll(children.Select(c => CrossProcess.ExpectSuccessAsync(c, TimeSpan.FromSeconds(120))));

        var cache = new FeatureCache(folder.Path);
        for (int k = 0; k < Keys; k++)
        {
            Assert.True(cache.TryGet(KeyOf(k), out float[]? got), $"key {k} missing");
            Assert.Equal(ValueOf(k), got);
        }
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp", SearchOption.AllDirectories));
    }

    /// <summary>The child's side: random writes and reads over shared keys, checking every hit.</summary>
    [Fact]
    public void Worker()
    {
        string? folder = Environment.GetEnvironmentVariable(FolderVariable);
        if (string.IsNullOrEmpty(folder)) Assert.Skip("Runs only as a child process of TwoProcessesWritingAndReadingTheSameKeysNeverSeeWrongData.");
        int seed = int.Parse(Environment.GetEnvironmentVariable(SeedVariable)!, System.Globalization.CultureInfo.InvariantCulture);
        var cache = new FeatureCache(folder);
        var random = new Random(seed);
        // Every key is written at least once by each process; reads and rewrites interleave with the other process's.
        for (int k = 0; k < Keys; k++) cache.Set(KeyOf(k), ValueOf(k));
        for (int op = 0; op < 1000; op++)
        {
            int k = random.Next(Keys);
            if (random.Next(3) == 0) cache.Set(KeyOf(k), ValueOf(k));
            else if (cache.TryGet(KeyOf(k), out float[]? got)) Assert.Equal(ValueOf(k), got);
        }
        Assert.Equal(0, cache.CorruptEntries);
        Assert.True(cache.Hits > 0);
    }
}
