using Pipeline.Persistence;

namespace Pipeline.Tests.Persistence;

public sealed class AtomicSaveTests
{
    private static readonly ModelPackage Old = new() { Labels = ["old-a", "old-b"], Entries = new Dictionary<string, ReadOnlyMemory<byte>> { ["head/w.bin"] = PackageSamples.Bytes(5000, 1) } };

    public static TheoryData<double> FaultPoints => [0.0, 0.0001, 0.01, 0.25, 0.5, 0.9, 0.999, 0.99999];

    [Theory]
    [MemberData(nameof(FaultPoints))]
    public void AFaultMidWriteLeavesThePreviousModelLoadableAndNoTempFile(double fraction)
    {
        using var folder = new ScratchFolder("atomic");
        string path = folder.File("model.zip");
        Old.Save(path, TestContext.Current.CancellationToken);
        byte[] before = File.ReadAllBytes(path);

        ModelPackage replacement = PackageSamples.Full();
        long length = PackageSamples.Save(replacement).Length;
        long failAfter = (long)(length * fraction);
        var error = Assert.Throws<IOException>(() => replacement.Save(path, TimeProvider.System, s => new FaultyStream(s, failAfter), TestContext.Current.CancellationToken));
        Assert.Contains("injected fault", error.Message);
        // The user asked for model.zip: the message names it, never the temporary file beside it.
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(".tmp", error.Message, StringComparison.Ordinal);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["old-a", "old-b"], ModelPackage.Load(path).Labels);
        Assert.Equal(["model.zip"], folder.ListFiles());
    }

    [Theory]
    [MemberData(nameof(FaultPoints))]
    public void ACancellationMidWriteLeavesThePreviousModelAndNoTempFile(double fraction)
    {
        using var folder = new ScratchFolder("atomic");
        string path = folder.File("model.zip");
        Old.Save(path, TestContext.Current.CancellationToken);
        byte[] before = File.ReadAllBytes(path);

        ModelPackage replacement = PackageSamples.Full();
        long cancelAfter = (long)(PackageSamples.Save(replacement).Length * fraction);
        using var source = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            replacement.Save(path, TimeProvider.System, s => new CancellingStream(s, cancelAfter, source), source.Token));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.zip"], folder.ListFiles());
    }

    [Fact]
    public void ACancellationAfterTheLastByteStillLeavesThePreviousModel()
    {
        // Every byte is written and flushed, then the token fires: the rename has not happened, so it must not.
        using var folder = new ScratchFolder("atomic");
        string path = folder.File("model.zip");
        Old.Save(path, TestContext.Current.CancellationToken);
        ModelPackage replacement = PackageSamples.Full();
        long length = PackageSamples.Save(replacement).Length;
        using var source = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            replacement.Save(path, TimeProvider.System, s => new CancellingStream(s, length, source), source.Token));
        Assert.Equal(["old-a", "old-b"], ModelPackage.Load(path).Labels);
        Assert.Equal(["model.zip"], folder.ListFiles());
    }

    [Fact]
    public void ASaveCancelledBeforeItStartsWritesNothing()
    {
        using var folder = new ScratchFolder("atomic");
        Assert.ThrowsAny<OperationCanceledException>(() => PackageSamples.Full().Save(folder.File("model.zip"), new CancellationToken(canceled: true)));
        Assert.Empty(folder.ListFiles());
    }

    [Fact]
    public void AnUncancelledTokenSavesAsUsual()
    {
        using var folder = new ScratchFolder("atomic");
        string path = folder.File("model.zip");
        using var source = new CancellationTokenSource();
        PackageSamples.Full().Save(path, source.Token);
        Assert.Equal(5, ModelPackage.Load(path).Labels.Count);
        Assert.Equal(["model.zip"], folder.ListFiles());
    }

    [Fact]
    public void AFaultOnFlushLeavesThePreviousModel()
    {
        using var folder = new ScratchFolder("atomic");
        string path = folder.File("model.zip");
        Old.Save(path, TestContext.Current.CancellationToken);
        Assert.Throws<IOException>(() => PackageSamples.Full().Save(path, TimeProvider.System, s => new FaultyStream(s, long.MaxValue, failOnFlush: true), TestContext.Current.CancellationToken));
        Assert.Equal(["old-a", "old-b"], ModelPackage.Load(path).Labels);
        Assert.Equal(["model.zip"], folder.ListFiles());
    }

    [Fact]
    public void AFaultWithNoPreviousModelLeavesNothing()
    {
        using var folder = new ScratchFolder("atomic");
        Assert.Throws<IOException>(() => Old.Save(folder.File("model.zip"), TimeProvider.System, s => new FaultyStream(s, 100), TestContext.Current.CancellationToken));
        Assert.Empty(folder.ListFiles());
    }

    [Fact]
    public void ASuccessfulSaveReplacesThePreviousModelAndCreatesMissingFolders()
    {
        using var folder = new ScratchFolder("atomic");
        string path = Path.Combine(folder.Path, "nested", "deeper", "model.zip");
        Old.Save(path, TestContext.Current.CancellationToken);
        PackageSamples.Full().Save(path, TestContext.Current.CancellationToken);
        Assert.Equal(5, ModelPackage.Load(path).Labels.Count);
        Assert.Equal(["nested/deeper/model.zip"], folder.ListFiles());
    }

    [Fact]
    public void AnOpenReaderDoesNotBlockAReplacement()
    {
        using var folder = new ScratchFolder("atomic");
        string path = folder.File("model.zip");
        Old.Save(path, TestContext.Current.CancellationToken);
        using (var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete))
        {
            PackageSamples.Full().Save(path, TestContext.Current.CancellationToken);
            Assert.Equal(["old-a", "old-b"], ModelPackage.Load(reader).Labels); // the reader still sees the file it opened
        }
        Assert.Equal(5, ModelPackage.Load(path).Labels.Count);
    }
}
