using System.Security.Cryptography;
using Pipeline.Featurizers;
using Pipeline.Featurizers.Backbones;
using Pipeline.Imaging.Processing;
using Pipeline.Tests.Infrastructure;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Featurizers.Backbones;

public sealed class BackboneRegistryTests
{
    [Fact]
    public void TheBuiltInRegistryHoldsTheSeededBackbonesWithDistinctCacheFiles()
    {
        BackboneRegistry registry = BackboneRegistry.Default;
        Assert.Equal(10, registry.Entries.Count);
        Assert.Equal(registry.Entries.Count, registry.Entries.Select(e => e.FileName).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        BackboneEntry mobilenet = registry.Find("mobilenetv2-12")!;
        Assert.Equal(13964571, mobilenet.Size);
        Assert.Equal("c0c3f76d93fa3fd6580652a45618618a220fced18babf65774ed169de0432ad5", mobilenet.Sha256);
        Assert.Equal("https://github.com/onnx/models/raw/main/validated/vision/classification/mobilenet/model/mobilenetv2-12.onnx", mobilenet.Url.ToString());
        Assert.Equal(PixelNormalization.ImageNet, mobilenet.Preprocessing.Normalization);
        Assert.Equal((TensorLayout.Chw, ChannelOrder.Rgb, 224, 224), (mobilenet.Preprocessing.Layout, mobilenet.Preprocessing.Channels, mobilenet.Preprocessing.Width, mobilenet.Preprocessing.Height));
        Assert.Equal(TensorLayout.Hwc, registry.Find("efficientnet-lite4-11")!.Preprocessing.Layout);
        Assert.Equal(1f / 128f, registry.Find("efficientnet-lite4-11")!.Preprocessing.Normalization.Scale.G);
        Assert.Equal(ChannelOrder.Bgr, registry.Find("inception-v1-12")!.Preprocessing.Channels);
    }

    [Fact]
    public void TheTfliteEntryMatchesTheSharedModelFile()
    {
        string path = SharedData.Require("models/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite");
        BackboneEntry entry = BackboneRegistry.Default.Find("mobilenet_v2_1.0_224_quant")!;
        Assert.Equal(new FileInfo(path).Length, entry.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), entry.Sha256);
        Assert.Equal(BackboneFormat.Tflite, entry.Format);
        Assert.Equal(BackboneFormat.Tflite, BackboneFormats.Detect(path));
        Assert.Equal("mobilenet_v2_1.0_224_quant.tflite", entry.FileName);
        Assert.Equal((TensorElementType.UInt8, TensorLayout.Hwc), (entry.Preprocessing.ElementType, entry.Preprocessing.Layout));
        Assert.Equal((224, 224), (entry.Preprocessing.Width, entry.Preprocessing.Height));
    }

    [Fact]
    public async Task AnExistingFileIsUsedAsItIsWithItsFormatFromItsBytes()
    {
        using var folder = new ScratchFolder("resolve");
        var store = new BackboneStore(folder.File("cache"), BackboneRegistry.Default, new HttpClient());
        byte[] tflite = new byte[64];
        "TFL3"u8.CopyTo(tflite.AsSpan(4));
        File.WriteAllBytes(folder.File("my-model.bin"), tflite);
        File.WriteAllBytes(folder.File("other.onnx"), new byte[] { 1, 2, 3 });
        File.WriteAllBytes(folder.File("no-extension"), new byte[] { 0x08, 0x07, 0x12 });
        File.WriteAllBytes(folder.File("notes.txt"), "hello"u8.ToArray());

        ResolvedBackbone a = await store.ResolveAsync(folder.File("my-model.bin"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal((BackboneFormat.Tflite, (BackboneEntry?)null), (a.Format, a.Entry));
        Assert.Equal(BackboneFormat.Onnx, (await store.ResolveAsync(folder.File("other.onnx"), cancellationToken: TestContext.Current.CancellationToken)).Format);
        Assert.Equal(BackboneFormat.Onnx, (await store.ResolveAsync(folder.File("no-extension"), cancellationToken: TestContext.Current.CancellationToken)).Format);
        await Assert.ThrowsAsync<BackboneUnavailableException>(() => store.ResolveAsync(folder.File("notes.txt"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.False(Directory.Exists(folder.File("cache")));
    }

    [Fact]
    public async Task AModelZipGivenAsTheBackboneIsNamedAsAZipArchive()
    {
        using var folder = new ScratchFolder("resolve");
        var store = new BackboneStore(folder.File("cache"), BackboneRegistry.Default, new HttpClient());
        using (var zip = new System.IO.Compression.ZipArchive(File.Create(folder.File("model.zip")), System.IO.Compression.ZipArchiveMode.Create))
            zip.CreateEntry("manifest.json");
        var e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => store.ResolveAsync(folder.File("model.zip"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("is a zip archive, not a network", e.Message);
        Assert.Contains(folder.File("model.zip"), e.Message);
    }

    [Fact]
    public async Task AnUnknownNameListsTheRegistry()
    {
        using var folder = new ScratchFolder("resolve");
        var store = new BackboneStore(folder.Path, BackboneRegistry.Default, new HttpClient());
        var e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => store.ResolveAsync("resnet9000", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("neither an existing file nor a registry backbone", e.Message);
        Assert.Contains("mobilenetv2-12", e.Message);
        Assert.Null(e.Url);
    }

    [Fact]
    public async Task AReferencedBackboneMustHaveTheRegistrysHash()
    {
        using var folder = new ScratchFolder("resolve");
        var store = new BackboneStore(folder.Path, BackboneRegistry.Default, new HttpClient());
        var e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => store.ResolveReferencedAsync("mobilenetv2-12", new string('0', 64), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("retrain", e.Message);
        e = await Assert.ThrowsAsync<BackboneUnavailableException>(() => store.ResolveReferencedAsync("gone-net", new string('0', 64), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("does not know", e.Message);
    }

    [Fact]
    public void InvalidEntriesAreRefused()
    {
        BackboneEntry good = BackboneRegistry.Default.Entries[0];
        Assert.Throws<ArgumentException>(() => new BackboneRegistry([good, good with { Name = good.Name.ToUpperInvariant() }]));
        Assert.Throws<ArgumentException>(() => new BackboneRegistry([good with { Sha256 = "abc" }]));
        Assert.Throws<ArgumentException>(() => new BackboneRegistry([good with { Size = 0 }]));
        Assert.Throws<ArgumentException>(() => new BackboneRegistry([good with { Url = new Uri("ftp://example.invalid/x.onnx") }]));
        Assert.Throws<ArgumentException>(() => new BackboneRegistry([good with { Name = "a/b" }]));
        Assert.Throws<ArgumentException>(() => new BackboneRegistry([good with { Preprocessing = new ImagePreprocessing { Width = 0 } }]));
    }

    [Fact]
    public void TheCacheRootFollowsPipelineCache()
    {
        string? saved = Environment.GetEnvironmentVariable(CacheFolders.EnvironmentVariable);
        try
        {
            string root = Path.Combine(Path.GetTempPath(), "pipeline-cache-root-test");
            Environment.SetEnvironmentVariable(CacheFolders.EnvironmentVariable, root);
            Assert.Equal(root, CacheFolders.Root);
            Assert.Equal(Path.Combine(root, "backbones"), CacheFolders.Backbones);
            Assert.Equal(Path.Combine(root, "features"), CacheFolders.Features);
            Environment.SetEnvironmentVariable(CacheFolders.EnvironmentVariable, null);
            Assert.EndsWith(OperatingSystem.IsWindows() ? Path.Combine("Pipeline", "Cache") : "pipeline", CacheFolders.Root);
        }
        finally
        {
            Environment.SetEnvironmentVariable(CacheFolders.EnvironmentVariable, saved);
        }
    }
}
