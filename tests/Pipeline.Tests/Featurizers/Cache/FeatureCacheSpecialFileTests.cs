using Pipeline.Featurizers.Cache;
using Pipeline.Tests.Infrastructure;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Featurizers.Cache;

/// <summary>
/// A named pipe where an entry should be: opening it for reading waits for a writer forever, so a lookup must take it
/// for a miss without opening it, and the next write of that key must replace it.
/// </summary>
public sealed class FeatureCacheSpecialFileTests
{
    private static readonly FeatureCacheKey Key = FeatureCacheKey.Create(PackageSamples.Bytes(500, 3), "special-file-test");
    private static readonly float[] Values = Enumerable.Range(0, 300).Select(i => (float)Math.Cos(i)).ToArray();

    private static void MakeFifo(string path)
    {
        string mkfifo = SharedData.RequireTool("mkfifo", "coreutils");
        using var process = System.Diagnostics.Process.Start(mkfifo, [path]);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    /// <summary>
    /// Runs <paramref name="action"/> and fails, rather than hanging the run, if it has not returned in 30 s. A reader
    /// still blocked then is released by opening the pipe for writing, so the test process can end.
    /// </summary>
    private static async Task Within30Seconds(Action action, string fifo)
    {
        Task run = Task.Run(action, TestContext.Current.CancellationToken);
        Task first = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        if (first != run)
        {
            using (new FileStream(fifo, FileMode.Open, FileAccess.Write)) { }
            Assert.Fail("the cache opened a named pipe and waited for a writer");
        }
        await run;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ANamedPipeInPlaceOfAnEntryIsAMissAndTheNextWriteReplacesIt(bool throughALink)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "named pipes in the file system are a Unix thing");
        using var folder = new ScratchFolder("features-fifo");
        var cache = new FeatureCache(folder.Path);
        cache.Set(Key, Values);
        string entry = cache.PathOf(Key);
        File.Delete(entry);
        string fifo = throughALink ? folder.File("pipe") : entry;
        MakeFifo(fifo);
        if (throughALink) File.CreateSymbolicLink(entry, fifo);

        bool hit = true;
        await Within30Seconds(() => hit = cache.TryGet(Key, out _), fifo);
        Assert.False(hit);
        Assert.Equal(1, cache.Misses);

        await Within30Seconds(() => cache.Set(Key, Values), fifo);
        Assert.True(cache.TryGet(Key, out float[]? rewritten));
        Assert.Equal(Values, rewritten);
        Assert.True(File.Exists(fifo), "the pipe a link pointed to was deleted");
    }
}
