using Pipeline.Datasets;
using Pipeline.Graph;
using Pipeline.Imaging;
using Pipeline.Persistence;
using Pipeline.Tests.Infrastructure;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Files;

/// <summary>
/// A named pipe opened for reading waits for a writer forever: every reader of a user's file must refuse one (and
/// empty files) with its typed error instead of hanging.
/// </summary>
public sealed class SpecialFilesTests
{
    private static string MakeFifo(ScratchFolder folder, string name)
    {
        string mkfifo = SharedData.RequireTool("mkfifo", "coreutils");
        string path = folder.File(name);
        using var process = System.Diagnostics.Process.Start(mkfifo, [path]);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return path;
    }

    /// <summary>Runs <paramref name="read"/> and fails (rather than hanging the run) if it has not returned in 30 s.</summary>
    private static async Task<Exception?> Within30Seconds(Action read)
    {
        Task run = Task.Run(read, TestContext.Current.CancellationToken);
        Task first = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.True(first == run, "reading a named pipe hung");
        return run.Exception?.InnerException;
    }

    [Fact]
    public async Task EveryReaderRefusesANamedPipeWithItsTypedError()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "named pipes in the file system are a Unix thing");
        using var folder = new ScratchFolder("fifo");
        string image = MakeFifo(folder, "photo.png"), model = MakeFifo(folder, "model.zip"), network = MakeFifo(folder, "net.onnx"), manifest = MakeFifo(folder, "data.csv");

        Assert.Contains("not a regular file", Assert.IsType<InvalidImageException>(await Within30Seconds(() => ImageDecoder.Decode(image))).Message);
        string link = folder.File("link.png"); // a link's own length is not its target's
        File.CreateSymbolicLink(link, image);
        Assert.IsType<InvalidImageException>(await Within30Seconds(() => ImageDecoder.Decode(link)));
        string goodLink = folder.File("good.png");
        File.CreateSymbolicLink(goodLink, Directory.GetFiles(Path.Combine(SharedData.RepoRoot, "data", "shapes", "circles"))[0]);
        Assert.True(ImageDecoder.Decode(goodLink).Width > 0); // a link to a real image is read as before
        Assert.IsType<InvalidModelPackageException>(await Within30Seconds(() => ModelPackage.Load(model)));
        Assert.IsType<InvalidModelException>(await Within30Seconds(() => Network.Load(network)));
        Assert.IsType<InvalidDatasetException>(await Within30Seconds(() => ImageDataset.Load(manifest)));
        bool? isModel = null;
        Assert.Null(await Within30Seconds(() => isModel = ModelFormat.IsModelPackageFile(model)));
        Assert.False(isModel);
    }

    [Fact]
    public async Task ANamedPipeInADataFolderIsExcludedWithTheReason()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "named pipes in the file system are a Unix thing");
        using var folder = new ScratchFolder("fifo-data");
        string shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");
        foreach (string cls in new[] { "circles", "squares" })
        {
            Directory.CreateDirectory(folder.File(cls));
            foreach (string file in Directory.GetFiles(Path.Combine(shapes, cls)).Order(StringComparer.Ordinal).Take(2))
                File.Copy(file, folder.File(Path.Combine(cls, Path.GetFileName(file))));
        }
        string fifo = MakeFifo(folder, Path.Combine("circles", "pipe.png"));
        ImageDataset? data = null;
        Assert.Null(await Within30Seconds(() => data = ImageDataset.Load(folder.Path)));
        Assert.Equal(4, data!.Samples.Count);
        ExcludedFile excluded = Assert.Single(data.Excluded);
        Assert.Equal(fifo, excluded.Path);
        Assert.Contains("not a regular file", excluded.Reason);
    }
}
