using System.IO.Compression;
using System.Text;
using Pipeline.Persistence;
using Pipeline.Prediction;
using Pipeline.Tests.Classification;
using Pipeline.Tests.Persistence;
using Pipeline.Training;

namespace Pipeline.Tests.Prediction;

/// <summary>
/// Issue 5, acceptance 5 and 6 end to end, on a really trained model: an interrupted save keeps the previous
/// model.zip, and hostile archives reach the consumer as <see cref="InvalidModelPackageException"/>.
/// </summary>
public sealed class ModelFileSafetyTests(ShapesModel model) : IClassFixture<ShapesModel>
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(0.999)]
    public void AnInterruptedSaveLeavesThePreviousModelLoadableAndUnchanged(double fraction)
    {
        using var folder = new ScratchFolder("interrupted-save");
        string path = folder.File("model.zip");
        model.Result.Save(path, TestContext.Current.CancellationToken);
        byte[] before = File.ReadAllBytes(path);
        long failAfter = (long)(before.Length * fraction);
        Assert.Throws<IOException>(() => model.Result.Classifier.Package.Save(path, TimeProvider.System, s => new FaultyStream(s, failAfter), TestContext.Current.CancellationToken));
        Assert.Equal(before, File.ReadAllBytes(path));
        using ImageClassifier reloaded = ImageClassifier.Load(path);
        Assert.Equal(model.Result.Classifier.Labels, reloaded.Labels);
        Assert.Single(Directory.GetFiles(folder.Path)); // no temporary file left behind
    }

    [Fact]
    public void APathTraversalEntryIsRefused()
    {
        InvalidModelPackageException e = Refused(Rewrite((zip, copy) => { copy(null); using Stream s = zip.CreateEntry("../evil.dll").Open(); s.Write([1, 2, 3]); }));
        Assert.Equal("../evil.dll", e.Entry);
    }

    [Fact]
    public void AMissingManifestIsRefused()
        => Assert.Contains("manifest", Refused(Rewrite((zip, copy) => copy("manifest.json"))).Reason);

    [Fact]
    public void AFutureFormatVersionIsRefusedWithAHint()
    {
        byte[] zip = Rewrite((archive, copy) =>
        {
            copy("manifest.json");
            string manifest = Encoding.UTF8.GetString(Entry("manifest.json")).Replace("\"formatVersion\": 1", "\"formatVersion\": 99", StringComparison.Ordinal);
            using Stream s = archive.CreateEntry("manifest.json").Open();
            s.Write(Encoding.UTF8.GetBytes(manifest));
        });
        InvalidModelPackageException e = Refused(zip);
        Assert.Contains("99", e.Message);
        Assert.Contains("upgrade", e.Hint);
    }

    [Fact]
    public void ATenGigabyteDeclaredEntryIsRefusedWithoutInflatingIt()
    {
        var raw = new RawZip();
        foreach (string name in new[] { "manifest.json", "featurizer/state.bin", "head/weights.bin" }) raw.Add(RawZip.Stored(name, Entry(name)));
        RawZip.Entry huge = RawZip.Deflated("head/huge.bin", new byte[1000]);
        huge.Size = 10L * 1024 * 1024 * 1024;
        InvalidModelPackageException e = Refused(raw.Add(huge).Build());
        Assert.Equal("head/huge.bin", e.Entry);
    }

    private static InvalidModelPackageException Refused(byte[] zip)
    {
        using var folder = new ScratchFolder("hostile");
        string path = folder.File("hostile.zip");
        File.WriteAllBytes(path, zip);
        InvalidModelPackageException e = Assert.Throws<InvalidModelPackageException>(() => ImageClassifier.Load(path));
        Assert.Contains("hostile.zip", e.Message + e.File);
        return e;
    }

    private byte[] Model()
    {
        using var buffer = new MemoryStream();
        model.Result.Classifier.Save(buffer);
        return buffer.ToArray();
    }

    [Fact]
    public void Head_weights_that_overflow_give_a_typed_error_not_NaN_scores_and_a_made_up_label()
    {
        // Finite weights pass every load check, but ±3e37 times the features overflows: the scores would be NaN.
        ModelPackage package = PackageSamples.Load(Model());
        ClassifierHead head = ClassifierHead.Deserialize(package.Entries[ModelLayout.HeadWeightsEntry].Span);
        float[] parameters = head.Model.Parameters;
        for (int i = 0; i < parameters.Length; i++) parameters[i] = i % 2 == 0 ? 3e37f : -3e37f;
        var entries = new Dictionary<string, ReadOnlyMemory<byte>>(package.Entries) { [ModelLayout.HeadWeightsEntry] = head.Serialize() };
        var saved = new MemoryStream();
        (package with { Entries = entries }).Save(saved);

        using ImageClassifier classifier = ImageClassifier.Load(new MemoryStream(saved.ToArray()));
        string image = model.Data.Samples[0].Path;
        InvalidModelPackageException e = Assert.Throws<InvalidModelPackageException>(() => classifier.Predict(image));
        Assert.Equal(ModelLayout.HeadWeightsEntry, e.Entry);
        Assert.Contains("non-finite", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidModelPackageException>(() => classifier.Predict([image, image]));
    }

    private byte[] Entry(string name)
    {
        using var zip = new ZipArchive(new MemoryStream(Model()), ZipArchiveMode.Read);
        using Stream s = zip.GetEntry(name)!.Open();
        using var buffer = new MemoryStream();
        s.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>A copy of the trained model's archive, changed by <paramref name="edit"/> (which calls copy to take over the original entries).</summary>
    private byte[] Rewrite(Action<ZipArchive, Action<string?>> edit)
    {
        using var source = new ZipArchive(new MemoryStream(Model()), ZipArchiveMode.Read);
        using var buffer = new MemoryStream();
        using (var target = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            edit(target, skip =>
            {
                foreach (ZipArchiveEntry entry in source.Entries)
                {
                    if (entry.FullName == skip) continue;
                    using Stream from = entry.Open(), to = target.CreateEntry(entry.FullName).Open();
                    from.CopyTo(to);
                }
            });
        }
        return buffer.ToArray();
    }
}
