using System.Security.Cryptography;
using Pipeline.Featurizers.Backbones;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Featurizers.Backbones;

/// <summary>Two real processes asking for the same registry backbone at once: one downloads, the other waits and reuses it.</summary>
public sealed class BackboneCrossProcessTests
{
    private const string Variable = "PIPELINE_TEST_DOWNLOAD_WORKER";
    private static readonly byte[] Model = PackageSamples.Bytes(400_000, 77);

    [Fact]
    public async Task TwoProcessesDownloadingTheSameBackboneFetchItOnce()
    {
        using var folder = new ScratchFolder("download-xproc");
        await using var server = new LoopbackHttpServer((request, _) =>
            ScriptedReply.File(Model, request) with { ChunkSize = 25_000, ChunkDelay = TimeSpan.FromMilliseconds(40) });
        string spec = string.Join('|', folder.Path, server.UrlFor("shared/model.onnx"), Model.Length, Convert.ToHexStringLower(SHA256.HashData(Model)));
        var children = Enumerable.Range(0, 2).Select(_ => CrossProcess.Start(
            $"{typeof(BackboneCrossProcessTests).FullName}.{nameof(Worker)}", new Dictionary<string, string> { [Variable] = spec })).ToArray();
        await Task.WhenAll(children.Select(c => CrossProcess.ExpectSuccessAsync(c, TimeSpan.FromSeconds(120))));

        Assert.Equal(Model, File.ReadAllBytes(folder.File("model.onnx")));
        Assert.Single(server.Requests);
    }

    /// <summary>The child's side: resolve the backbone and check its bytes.</summary>
    [Fact]
    public async Task Worker()
    {
        string? spec = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(spec)) Assert.Skip("Runs only as a child process of TwoProcessesDownloadingTheSameBackboneFetchItOnce.");
        string[] parts = spec.Split('|');
        var entry = new BackboneEntry
        {
            Name = "shared-net",
            Url = new Uri(parts[1]),
            Size = long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture),
            Sha256 = parts[3],
            Format = BackboneFormat.Onnx,
            Preprocessing = new Pipeline.Imaging.Processing.ImagePreprocessing(),
            License = "test",
            Source = "test",
        };
        var store = new BackboneStore(parts[0], new BackboneRegistry([entry]), new HttpClient(),
            new BackboneDownloadOptions { MaxAttempts = 2, InitialRetryDelay = TimeSpan.FromMilliseconds(10), LockTimeout = TimeSpan.FromSeconds(90) });
        string path = await store.GetOrDownloadAsync(entry, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(parts[3], Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken))));
    }
}
