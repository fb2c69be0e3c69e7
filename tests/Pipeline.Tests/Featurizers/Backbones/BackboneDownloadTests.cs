using System.Security.Cryptography;
using Pipeline.Featurizers.Backbones;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Featurizers.Backbones;

/// <summary>The download path against a scripted server on 127.0.0.1. No test touches the internet.</summary>
public sealed class BackboneDownloadTests
{
    private static readonly byte[] Model = MakeModel(300_000);

    private static readonly BackboneDownloadOptions Fast = new()
    {
        MaxAttempts = 4,
        InitialRetryDelay = TimeSpan.FromMilliseconds(5),
        MaxRetryDelay = TimeSpan.FromMilliseconds(40),
        StallTimeout = TimeSpan.FromSeconds(5),
        LockTimeout = TimeSpan.FromSeconds(60),
    };

    private static byte[] MakeModel(int length)
    {
        byte[] data = PackageSamples.Bytes(length, 42);
        data[0] = 0x08; // an ONNX-looking first byte
        return data;
    }

    private static BackboneEntry EntryAt(Uri url, byte[]? content = null) => new()
    {
        Name = "test-net",
        Url = url,
        Size = (content ?? Model).Length,
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(content ?? Model)),
        Format = BackboneFormat.Onnx,
        Preprocessing = new Pipeline.Imaging.Processing.ImagePreprocessing(),
        License = "test",
        Source = "test",
    };

    private static BackboneStore Store(ScratchFolder folder, BackboneEntry entry, BackboneDownloadOptions? options = null) =>
        new(folder.Path, new BackboneRegistry([entry]), new HttpClient(), options ?? Fast);

    /// <summary>Files left in the cache other than the lock file, which is kept by design.</summary>
    private static string[] Leftovers(ScratchFolder folder) => folder.ListFiles().Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).ToArray();

    [Fact]
    public async Task DownloadsVerifiesAndReusesTheCachedFile()
    {
        using var folder = new ScratchFolder("download");
        await using var server = new LoopbackHttpServer((request, _) => ScriptedReply.File(Model, request));
        BackboneStore store = Store(folder, EntryAt(server.UrlFor("models/test-net.onnx")));

        ResolvedBackbone first = await store.ResolveAsync("test-net", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(folder.File("test-net.onnx"), first.Path);
        Assert.Equal(BackboneFormat.Onnx, first.Format);
        Assert.Equal("test-net", first.Entry!.Name);
        Assert.Equal(Model, File.ReadAllBytes(first.Path));
        Assert.Equal(["test-net.onnx"], Leftovers(folder));

        ResolvedBackbone second = await store.ResolveAsync("TEST-NET", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(first.Path, second.Path);
        Assert.Single(server.Requests);
        Assert.Equal("/models/test-net.onnx", server.Requests.Single().Path);
    }

    [Fact]
    public async Task ReportsProgressUpToTheFullSize()
    {
        using var folder = new ScratchFolder("download");
        await using var server = new LoopbackHttpServer((request, _) => ScriptedReply.File(Model, request) with { ChunkSize = 20_000, ChunkDelay = TimeSpan.FromMilliseconds(15) });
        var reports = new List<DownloadProgress>();
        await Store(folder, EntryAt(server.UrlFor("m.onnx"))).ResolveAsync("test-net", new SyncProgress(reports.Add), TestContext.Current.CancellationToken);

        Assert.True(reports.Count >= 3, $"{reports.Count} reports");
        Assert.All(reports, r => Assert.Equal(Model.Length, r.TotalBytes));
        Assert.All(reports, r => Assert.Equal("test-net", r.Name));
        for (int i = 1; i < reports.Count; i++) Assert.True(reports[i].BytesReceived >= reports[i - 1].BytesReceived);
        Assert.Equal(0, reports[0].BytesReceived);
        Assert.Equal(Model.Length, reports[^1].BytesReceived);
        Assert.Equal(1.0, reports[^1].Fraction);
        Assert.True(reports[^1].BytesPerSecond > 0);
    }

    [Fact]
    public async Task AShaMismatchIsRefusedAndLeavesNothingInTheCache()
    {
        using var folder = new ScratchFolder("download");
        byte[] impostor = PackageSamples.Bytes(Model.Length, 7);
        await using var server = new LoopbackHttpServer((request, _) => ScriptedReply.File(impostor, request));
        BackboneEntry entry = EntryAt(server.UrlFor("m.onnx"));
        var e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => Store(folder, entry).GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("SHA-256", e.Reason);
        Assert.Contains(entry.Sha256, e.Message);
        Assert.Empty(Leftovers(folder));
        Assert.Single(server.Requests); // a full download with the wrong hash is not retried
    }

    [Fact]
    public async Task RetriesAServerThatFailsTwiceThenSucceeds()
    {
        using var folder = new ScratchFolder("download");
        await using var server = new LoopbackHttpServer((request, index) => index < 2 ? new ScriptedReply(503, "busy"u8.ToArray()) : ScriptedReply.File(Model, request));
        ResolvedBackbone resolved = await Store(folder, EntryAt(server.UrlFor("m.onnx"))).ResolveAsync("test-net", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Model, File.ReadAllBytes(resolved.Path));
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task ATruncatedResponseIsResumedWithARangeRequest()
    {
        using var folder = new ScratchFolder("download");
        await using var server = new LoopbackHttpServer((request, index) => index == 0
            ? ScriptedReply.File(Model, request) with { CutAfter = 100_000 }
            : ScriptedReply.File(Model, request));
        ResolvedBackbone resolved = await Store(folder, EntryAt(server.UrlFor("m.onnx"))).ResolveAsync("test-net", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Model, File.ReadAllBytes(resolved.Path));
        HttpRequestInfo[] requests = server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Null(requests[0].Header("Range"));
        Assert.StartsWith("bytes=", requests[1].Header("Range"));
        Assert.True(long.Parse(requests[1].Header("Range")![6..^1], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task AServerThatIgnoresRangeStillGivesTheRightFile()
    {
        using var folder = new ScratchFolder("download");
        await using var server = new LoopbackHttpServer((request, index) => index == 0
            ? ScriptedReply.File(Model, request) with { CutAfter = 150_000 }
            : ScriptedReply.File(Model, request, honourRange: false));
        ResolvedBackbone resolved = await Store(folder, EntryAt(server.UrlFor("m.onnx"))).ResolveAsync("test-net", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Model, File.ReadAllBytes(resolved.Path));
    }

    [Fact]
    public async Task AStalledResponseIsAbandonedAndResumed()
    {
        using var folder = new ScratchFolder("download");
        await using var server = new LoopbackHttpServer((request, index) => index == 0
            ? ScriptedReply.File(Model, request) with { CutAfter = 50_000, StallAtCut = TimeSpan.FromSeconds(20) }
            : ScriptedReply.File(Model, request));
        BackboneDownloadOptions options = Fast with { StallTimeout = TimeSpan.FromMilliseconds(300) };
        ResolvedBackbone resolved = await Store(folder, EntryAt(server.UrlFor("m.onnx")), options).ResolveAsync("test-net", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Model, File.ReadAllBytes(resolved.Path));
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task AResponseThatIsAlwaysTruncatedFailsTypedWithoutACachedFile()
    {
        using var folder = new ScratchFolder("download");
        await using var server = new LoopbackHttpServer((request, _) => ScriptedReply.File(Model, request, honourRange: false) with { CutAfter = 1000 });
        BackboneEntry entry = EntryAt(server.UrlFor("m.onnx"));
        BackboneStore store = Store(folder, entry);
        var e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => store.GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("after 4 attempts", e.Reason);
        Assert.False(File.Exists(store.GetCachePath(entry)));
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public async Task A404FailsAtOnceWithTheManualInstructions()
    {
        using var folder = new ScratchFolder("download");
        await using var server = new LoopbackHttpServer((_, _) => new ScriptedReply(404, "no such file"u8.ToArray()));
        BackboneEntry entry = EntryAt(server.UrlFor("gone.onnx"));
        var e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => Store(folder, entry).GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("HTTP 404", e.Reason);
        Assert.Contains(entry.Url.ToString(), e.Message);
        Assert.Single(server.Requests);
        Assert.Empty(Leftovers(folder));
    }

    [Fact]
    public async Task AWrongAnnouncedSizeIsRefused()
    {
        using var folder = new ScratchFolder("download");
        byte[] bigger = [.. Model, .. new byte[10]];
        await using var server = new LoopbackHttpServer((request, _) => ScriptedReply.File(bigger, request));
        BackboneEntry entry = EntryAt(server.UrlFor("m.onnx"));
        var e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => Store(folder, entry).GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("different file", e.Reason);
        Assert.Empty(Leftovers(folder));
    }

    [Fact]
    public async Task AServerSendingMoreThanTheRegistrySizeIsCutOff()
    {
        using var folder = new ScratchFolder("download");
        byte[] bigger = [.. Model, .. new byte[70_000]];
        await using var server = new LoopbackHttpServer((_, _) => new ScriptedReply(200, bigger) { OmitContentLength = true });
        BackboneEntry entry = EntryAt(server.UrlFor("m.onnx"));
        var e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => Store(folder, entry).GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("more than the", e.Reason);
        Assert.Empty(Leftovers(folder));
    }

    [Fact]
    public async Task OfflineTheErrorSaysWhichUrlToFetchAndWhereToPutIt()
    {
        using var folder = new ScratchFolder("download");
        var url = new Uri($"http://127.0.0.1:{LoopbackHttpServer.UnusedPort()}/models/test-net.onnx");
        BackboneEntry entry = EntryAt(url);
        BackboneStore store = Store(folder, entry);
        var e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => store.ResolveAsync("test-net", cancellationToken: TestContext.Current.CancellationToken));

        string expectedPath = store.GetCachePath(entry);
        Assert.Equal(url, e.Url);
        Assert.Equal(expectedPath, e.ExpectedPath);
        Assert.Equal(entry.Sha256, e.Sha256);
        Assert.Contains("could not reach 127.0.0.1", e.Reason);
        Assert.Contains("To install it by hand, download", e.Message);
        Assert.Contains("  " + url, e.Message);
        Assert.Contains("and save it as" + Environment.NewLine + "  " + expectedPath, e.Message);
        Assert.Contains($"({Model.Length} bytes, SHA-256 {entry.Sha256})", e.Message);

        // Following the instructions works, still offline.
        File.WriteAllBytes(expectedPath, Model);
        ResolvedBackbone resolved = await store.ResolveAsync("test-net", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(expectedPath, resolved.Path);
    }

    [Fact]
    public async Task AnUnusableCacheFolderIsATypedErrorNamingTheVariable()
    {
        using var folder = new ScratchFolder("download");
        File.WriteAllText(folder.File("not-a-folder"), "x");
        BackboneEntry entry = EntryAt(new Uri("http://127.0.0.1:9/m.onnx"));
        var store = new BackboneStore(folder.File("not-a-folder"), new BackboneRegistry([entry]), new HttpClient(), Fast);
        var e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => store.GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("PIPELINE_CACHE", e.Reason);
    }

    [Fact]
    public async Task ACorruptCachedFileIsDownloadedAgain()
    {
        using var folder = new ScratchFolder("download");
        await using var server = new LoopbackHttpServer((request, _) => ScriptedReply.File(Model, request));
        BackboneEntry entry = EntryAt(server.UrlFor("m.onnx"));
        BackboneStore store = Store(folder, entry);
        byte[] corrupt = (byte[])Model.Clone();
        corrupt[12345] ^= 1;
        File.WriteAllBytes(store.GetCachePath(entry), corrupt);
        Assert.False(await store.IsCachedAsync(entry, TestContext.Current.CancellationToken));

        await store.GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Model, File.ReadAllBytes(store.GetCachePath(entry)));
        Assert.True(await store.IsCachedAsync(entry, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Offline_a_bad_file_already_in_the_cache_is_named_in_the_error_with_what_is_wrong()
    {
        using var folder = new ScratchFolder("download");
        var url = new Uri($"http://127.0.0.1:{LoopbackHttpServer.UnusedPort()}/models/test-net.onnx");
        BackboneEntry entry = EntryAt(url);
        BackboneStore store = Store(folder, entry, Fast with { MaxAttempts = 1 });
        string cached = store.GetCachePath(entry);
        File.WriteAllBytes(cached, Model.AsSpan(0, 1000).ToArray());
        var e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => store.GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains($"the file already at {cached} is not it (1000 bytes, expected {Model.Length})", e.Reason);
        Assert.Contains("could not reach 127.0.0.1", e.Reason);

        byte[] corrupt = (byte[])Model.Clone();
        corrupt[12345] ^= 1;
        File.WriteAllBytes(cached, corrupt);
        e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => store.GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains($"SHA-256 {Convert.ToHexStringLower(SHA256.HashData(corrupt))}, expected {entry.Sha256}", e.Reason);
    }

    [Fact]
    public async Task A_symbolic_link_in_the_cache_counts_by_its_target()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "creating a symbolic link needs a privilege on Windows");
        using var folder = new ScratchFolder("download");
        using var elsewhere = new ScratchFolder("download-target");
        BackboneEntry entry = EntryAt(new Uri($"http://127.0.0.1:{LoopbackHttpServer.UnusedPort()}/m.onnx"));
        BackboneStore store = Store(folder, entry, Fast with { MaxAttempts = 1 });
        string target = elsewhere.File("m.onnx");
        File.WriteAllBytes(target, Model);
        File.CreateSymbolicLink(store.GetCachePath(entry), target);
        Assert.True(await store.IsCachedAsync(entry, TestContext.Current.CancellationToken));
        Assert.Equal(store.GetCachePath(entry), await store.GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TwoConcurrentDownloadsOfTheSameFileFetchItOnce()
    {
        using var folder = new ScratchFolder("download");
        await using var server = new LoopbackHttpServer((request, _) => ScriptedReply.File(Model, request) with { ChunkSize = 30_000, ChunkDelay = TimeSpan.FromMilliseconds(20) });
        BackboneEntry entry = EntryAt(server.UrlFor("m.onnx"));
        // Two stores with their own clients stand for two processes sharing the cache folder.
        BackboneStore a = Store(folder, entry), b = Store(folder, entry);
        string[] paths = await Task.WhenAll(
            Task.Run(() => a.GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken)),
            Task.Run(() => b.GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken)));
        Assert.Equal(paths[0], paths[1]);
        Assert.Equal(Model, File.ReadAllBytes(paths[0]));
        Assert.Single(server.Requests);
        Assert.Equal(["m.onnx"], Leftovers(folder));
    }

    [Fact]
    public async Task AnInterruptedDownloadResumesInTheNextRun()
    {
        using var folder = new ScratchFolder("download");
        await using var server = new LoopbackHttpServer((request, index) => index == 0
            ? ScriptedReply.File(Model, request) with { CutAfter = 120_000 }
            : ScriptedReply.File(Model, request));
        BackboneEntry entry = EntryAt(server.UrlFor("m.onnx"));
        var oneShot = Fast with { MaxAttempts = 1 };
        await Assert.ThrowsAsync<BackboneUnavailableException>(() => Store(folder, entry, oneShot).GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken));
        await Store(folder, entry, oneShot).GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Model, File.ReadAllBytes(folder.File("m.onnx")));
        Assert.Equal("bytes=120000-", server.Requests.ToArray()[1].Header("Range"));
    }

    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
