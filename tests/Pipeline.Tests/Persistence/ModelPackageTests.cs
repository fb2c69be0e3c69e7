using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Persistence;

namespace Pipeline.Tests.Persistence;

public sealed class ModelPackageTests
{
    private static void AssertSameJson(JsonElement? expected, JsonElement? actual)
    {
        Assert.Equal(expected.HasValue, actual.HasValue);
        if (expected is { } e)
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(e.GetRawText()), JsonNode.Parse(actual!.Value.GetRawText())), $"{e.GetRawText()} != {actual!.Value.GetRawText()}");
    }

    [Fact]
    public void SaveThenLoadKeepsEveryField()
    {
        using var folder = new ScratchFolder("package");
        ModelPackage saved = PackageSamples.Full();
        string path = folder.File("model.zip");
        DateTimeOffset before = DateTimeOffset.UtcNow.AddSeconds(-1);
        saved.Save(path, TestContext.Current.CancellationToken);

        ModelPackage loaded = ModelPackage.Load(path);
        Assert.Equal(saved.Labels, loaded.Labels);
        AssertSameJson(saved.Preprocessing, loaded.Preprocessing);
        AssertSameJson(saved.Featurizer, loaded.Featurizer);
        AssertSameJson(saved.Head, loaded.Head);
        AssertSameJson(saved.Metrics, loaded.Metrics);
        AssertSameJson(saved.TrainingOptions, loaded.TrainingOptions);
        Assert.Equal(saved.Entries.Keys.Order(), loaded.Entries.Keys.Order());
        foreach (string name in saved.Entries.Keys) Assert.Equal(saved.Entries[name].ToArray(), loaded.Entries[name].ToArray());

        ModelBackbone backbone = Assert.IsType<ModelBackbone>(loaded.Backbone);
        Assert.Equal(BackboneStorage.Embedded, backbone.Storage);
        Assert.Equal("mobilenet_v2_1.0_224_quant.tflite", backbone.FileName);
        Assert.Equal("mobilenet_v2_1.0_224_quant", backbone.RegistryName);
        Assert.Equal(saved.Backbone!.Content.ToArray(), backbone.Content.ToArray());
        Assert.Equal(PackageSamples.Sha(saved.Backbone.Content.ToArray()), backbone.Sha256);
        Assert.Equal(50_000, backbone.Size);

        Assert.Equal(ModelFormat.CurrentVersion, loaded.FormatVersion);
        Assert.Equal(ModelFormat.LibraryVersion, loaded.LibraryVersion);
        Assert.InRange(loaded.CreatedUtc!.Value, before, DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public void ALoadedPackageCopiedWithANewHeadSavesAsANewModel()
    {
        using var folder = new ScratchFolder("package");
        PackageSamples.Full().Save(folder.File("old.zip"), TestContext.Current.CancellationToken);
        ModelPackage old = ModelPackage.Load(folder.File("old.zip"));
        ModelPackage retrained = old with
        {
            Labels = [.. old.Labels, "tulips"],
            Head = PackageSamples.Json("""{"kind":"logistic","outputs":6}"""),
            Entries = new Dictionary<string, ReadOnlyMemory<byte>>(old.Entries) { ["head/weights.bin"] = PackageSamples.Bytes(100, 9) },
        };
        retrained.Save(folder.File("new.zip"), TestContext.Current.CancellationToken);
        ModelPackage loaded = ModelPackage.Load(folder.File("new.zip"));
        Assert.Equal(6, loaded.Labels.Count);
        Assert.Equal(6, loaded.Head!.Value.GetProperty("outputs").GetInt32());
        Assert.Equal(old.Backbone!.Content.ToArray(), loaded.Backbone!.Content.ToArray());
        Assert.Equal(old.Entries["featurizer/state.bin"].ToArray(), loaded.Entries["featurizer/state.bin"].ToArray());
        Assert.Equal(100, loaded.Entries["head/weights.bin"].Length);
    }

    [Fact]
    public void ReferencedBackboneIsRecordedButNotStored()
    {
        byte[] zip = PackageSamples.Save(PackageSamples.Referenced());
        using (var archive = new ZipArchive(new MemoryStream(zip)))
            Assert.Equal(["manifest.json", "head/weights.bin"], archive.Entries.Select(e => e.FullName));

        ModelBackbone backbone = PackageSamples.Load(zip).Backbone!;
        Assert.Equal(BackboneStorage.Referenced, backbone.Storage);
        Assert.Equal("mobilenetv2-12", backbone.RegistryName);
        Assert.Equal("c0c3f76d93fa3fd6580652a45618618a220fced18babf65774ed169de0432ad5", backbone.Sha256);
        Assert.Equal(13964571, backbone.Size);
        Assert.True(backbone.Content.IsEmpty);
    }

    [Fact]
    public void AnIndependentZipReaderSeesTheEntriesInFixedOrderWithFixedTimestamps()
    {
        ModelPackage package = PackageSamples.Full();
        byte[] zip = PackageSamples.Save(package);
        using var archive = new ZipArchive(new MemoryStream(zip));
        Assert.Equal(["manifest.json", "backbone/mobilenet_v2_1.0_224_quant.tflite", "featurizer/state.bin", "head/weights.bin"],
            archive.Entries.Select(e => e.FullName));
        foreach (ZipArchiveEntry entry in archive.Entries)
        {
            Assert.Equal(new DateTime(2000, 1, 1, 0, 0, 0), entry.LastWriteTime.DateTime);
            using var content = new MemoryStream();
            using (Stream s = entry.Open()) s.CopyTo(content); // System.IO.Compression checks the CRC-32 at the end
            if (entry.FullName == "head/weights.bin") Assert.Equal(package.Entries["head/weights.bin"].ToArray(), content.ToArray());
            if (entry.FullName.StartsWith("backbone/", StringComparison.Ordinal)) Assert.Equal(package.Backbone!.Content.ToArray(), content.ToArray());
        }
        // Random weights do not compress and are stored; the patterned backbone deflates.
        Assert.Equal(archive.GetEntry("head/weights.bin")!.Length, archive.GetEntry("head/weights.bin")!.CompressedLength);
        Assert.True(archive.GetEntry("backbone/mobilenet_v2_1.0_224_quant.tflite")!.CompressedLength < 25_000);
    }

    [Fact]
    public void TheManifestComesFirstUncompressedSoTheFileNamesItsFormat()
    {
        byte[] zip = PackageSamples.Save(PackageSamples.Full());
        Assert.Equal("PK\u0003\u0004", Encoding.ASCII.GetString(zip, 0, 4));
        Assert.Equal(0, BitConverter.ToUInt16(zip, 8)); // stored
        Assert.Equal("manifest.json", Encoding.ASCII.GetString(zip, 30, 13));
        string start = Encoding.UTF8.GetString(zip, 43, 60);
        Assert.StartsWith("{\n  \"format\": \"pipeline-model\",\n  \"formatVersion\": 1,", start);
    }

    [Fact]
    public void TwoSavesOfTheSameContentAreByteIdenticalAtTheSameTime()
    {
        var time = new DateTimeOffset(2025, 1, 2, 3, 4, 5, 6, TimeSpan.Zero);
        byte[] first = PackageSamples.Save(PackageSamples.Full(), time);
        byte[] second = PackageSamples.Save(PackageSamples.Full(), time);
        Assert.Equal(first, second);
    }

    [Fact]
    public void TwoSavesAtDifferentTimesDifferOnlyInTheCreationTimeAndTheManifestCrc()
    {
        using var folder = new ScratchFolder("determinism");
        var clockA = new FixedClock(new DateTimeOffset(2025, 1, 2, 3, 4, 5, 6, TimeSpan.Zero));
        var clockB = new FixedClock(new DateTimeOffset(2031, 12, 30, 23, 59, 58, 999, TimeSpan.Zero));
        PackageSamples.Full().Save(folder.File("a.zip"), clockA, wrapForTesting: null, TestContext.Current.CancellationToken);
        PackageSamples.Full().Save(folder.File("b.zip"), clockB, wrapForTesting: null, TestContext.Current.CancellationToken);
        byte[] a = File.ReadAllBytes(folder.File("a.zip"));
        byte[] b = File.ReadAllBytes(folder.File("b.zip"));
        Assert.Equal(a.Length, b.Length);

        // Allowed differences: the createdUtc text in the manifest, and the manifest's CRC-32 in its local and central headers.
        string text = Encoding.Latin1.GetString(a);
        int created = text.IndexOf("\"createdUtc\": \"", StringComparison.Ordinal) + 15;
        int centralManifest = text.LastIndexOf("PK\u0001\u0002", text.IndexOf("manifest.json", text.IndexOf("PK\u0001\u0002", StringComparison.Ordinal) - 1, StringComparison.Ordinal), StringComparison.Ordinal);
        var allowed = new List<(int From, int To)> { (created, created + 24), (14, 18), (centralManifest + 16, centralManifest + 20) };
        int differing = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] == b[i]) continue;
            differing++;
            Assert.True(allowed.Any(r => i >= r.From && i < r.To), $"byte {i} differs outside the creation time and the manifest CRC");
        }
        Assert.True(differing > 0);
        Assert.Equal("2025-01-02T03:04:05.006Z", text.Substring(created, 24));
    }

    [Fact]
    public void ShowExampleManifest()
    {
        // Keeps an example manifest in the test log (and checks it parses as plain JSON).
        byte[] zip = PackageSamples.Save(PackageSamples.Full());
        using var archive = new ZipArchive(new MemoryStream(zip));
        using var reader = new StreamReader(archive.GetEntry("manifest.json")!.Open());
        string manifest = reader.ReadToEnd();
        TestContext.Current.TestOutputHelper?.WriteLine(manifest);
        Assert.Equal("pipeline-model", JsonNode.Parse(manifest)!["format"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("manifest.json")]
    [InlineData("backbone/other.onnx")]
    [InlineData("../evil")]
    [InlineData("/abs")]
    [InlineData("a\\b")]
    [InlineData("")]
    public void SaveRefusesReservedOrUnsafeEntryNames(string name)
    {
        var package = new ModelPackage { Labels = ["a"], Entries = new Dictionary<string, ReadOnlyMemory<byte>> { [name] = new byte[] { 1 } } };
        Assert.Throws<ArgumentException>(() => PackageSamples.Save(package));
    }

    [Fact]
    public void SaveRefusesInvalidContent()
    {
        Assert.Throws<ArgumentException>(() => PackageSamples.Save(new ModelPackage { Labels = [] }));
        Assert.Throws<ArgumentException>(() => PackageSamples.Save(new ModelPackage { Labels = ["a", "a"] }));
        Assert.Throws<ArgumentException>(() => PackageSamples.Save(new ModelPackage { Labels = ["a", " "] }));
        Assert.Throws<ArgumentException>(() => PackageSamples.Save(new ModelPackage { Labels = ["a"], Head = PackageSamples.Json("[1,2]") }));
        Assert.Throws<ArgumentException>(() => PackageSamples.Save(new ModelPackage
        {
            Labels = ["a"],
            Entries = new Dictionary<string, ReadOnlyMemory<byte>> { ["head/w.bin"] = new byte[1], ["Head/W.bin"] = new byte[1] },
        }));
        Assert.Throws<ArgumentException>(() => ModelBackbone.Referenced("x", "x.onnx", "ABC", 1));
        Assert.Throws<ArgumentException>(() => ModelBackbone.Embedded("..", new byte[1]));
    }

    [Fact]
    public void AnOddBackboneFileNameIsKeptInTheManifestAndSanitizedInTheEntryName()
    {
        var package = new ModelPackage { Labels = ["a"], Backbone = ModelBackbone.Embedded("/home/me/My Model (v2).onnx", new byte[] { 1, 2, 3 }) };
        byte[] zip = PackageSamples.Save(package);
        using (var archive = new ZipArchive(new MemoryStream(zip)))
            Assert.Equal("backbone/My_Model__v2_.onnx", archive.Entries[1].FullName);
        Assert.Equal("My Model (v2).onnx", PackageSamples.Load(zip).Backbone!.FileName);
    }

    [Fact]
    public void LoadsFromANonSeekableStream()
    {
        byte[] zip = PackageSamples.Save(PackageSamples.Full());
        ModelPackage loaded = ModelPackage.Load(new ForwardOnlyStream(zip));
        Assert.Equal(5, loaded.Labels.Count);
    }

    [Fact]
    public void HistoryEndsAtTheCurrentVersion()
    {
        Assert.Equal(ModelFormat.CurrentVersion, ModelFormat.History[^1].Version);
        Assert.Equal(Enumerable.Range(1, ModelFormat.History.Count), ModelFormat.History.Select(v => v.Version));
        Assert.True(ModelFormat.ManifestMigrations.Count == ModelFormat.CurrentVersion - 1, "one migration per step between versions");
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 1000));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
