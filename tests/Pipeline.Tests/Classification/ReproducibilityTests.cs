using System.IO.Compression;
using System.Text.Json.Nodes;
using Pipeline.Classification;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Classification;

/// <summary>Issue 5, acceptance 3: the same seed and data give the same model.zip, whatever the thread count.</summary>
public sealed class ReproducibilityTests(ShapesModel model) : IClassFixture<ShapesModel>
{
    [Fact]
    public void TheSameSeedGivesByteIdenticalEntriesWithOneThreadOrTwo()
    {
        using var folder = new ScratchFolder("reproducible");
        string twoThreads = folder.File("a.zip"), oneThread = folder.File("b.zip");
        model.Result.Save(twoThreads, TestContext.Current.CancellationToken);
        using (TrainingResult again = new ImageClassificationTrainer(model.Options with { Threads = 1 }).Fit(model.Data, TestContext.Current.CancellationToken))
            again.Save(oneThread, TestContext.Current.CancellationToken);

        Dictionary<string, (byte[] Bytes, DateTimeOffset Stamp)> a = Entries(twoThreads), b = Entries(oneThread);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (string name in a.Keys)
        {
            Assert.Equal(a[name].Stamp, b[name].Stamp); // fixed entry timestamps
            if (name == "manifest.json") Assert.Equal(WithoutCreationTime(a[name].Bytes), WithoutCreationTime(b[name].Bytes));
            else Assert.True(a[name].Bytes.AsSpan().SequenceEqual(b[name].Bytes), $"entry {name} differs between 2 threads and 1");
        }
    }

    [Fact]
    public void AnotherSeedGivesAnotherModel()
    {
        using var folder = new ScratchFolder("reproducible-seed");
        using TrainingResult other = new ImageClassificationTrainer(model.Options with { Seed = 8 }).Fit(model.Data, TestContext.Current.CancellationToken);
        model.Result.Save(folder.File("a.zip"), TestContext.Current.CancellationToken);
        other.Save(folder.File("b.zip"), TestContext.Current.CancellationToken);
        Assert.False(Entries(folder.File("a.zip"))["head/weights.bin"].Bytes.AsSpan().SequenceEqual(Entries(folder.File("b.zip"))["head/weights.bin"].Bytes));
    }

    private static Dictionary<string, (byte[] Bytes, DateTimeOffset Stamp)> Entries(string path)
    {
        using ZipArchive zip = ZipFile.OpenRead(path);
        var result = new Dictionary<string, (byte[] Bytes, DateTimeOffset Stamp)>();
        foreach (ZipArchiveEntry entry in zip.Entries)
        {
            using var buffer = new MemoryStream();
            using (Stream s = entry.Open()) s.CopyTo(buffer);
            result.Add(entry.FullName, (buffer.ToArray(), entry.LastWriteTime));
        }
        return result;
    }

    private static string WithoutCreationTime(byte[] manifest)
    {
        JsonObject json = JsonNode.Parse(manifest)!.AsObject();
        Assert.True(json.Remove("createdUtc"), "the manifest records its creation time");
        return json.ToJsonString();
    }
}
