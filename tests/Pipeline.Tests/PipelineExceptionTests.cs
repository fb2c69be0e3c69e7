using Pipeline.Datasets;
using Pipeline.Featurizers.Backbones;
using Pipeline.Graph;
using Pipeline.Imaging;
using Pipeline.Persistence;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests;

/// <summary>An app can catch every typed bad-input error of the library as one <see cref="PipelineException"/>, with its bare reason.</summary>
public sealed class PipelineExceptionTests
{
    private static PipelineException Caught(Action action)
    {
        try
        {
            action();
        }
        catch (PipelineException e)
        {
            return e;
        }
        throw new Xunit.Sdk.XunitException("no PipelineException was thrown");
    }

    [Fact]
    public async Task EveryBoundaryThrowsAPipelineExceptionWithItsReason()
    {
        using var folder = new ScratchFolder("pipeline-exception");
        Directory.CreateDirectory(folder.File("flat"));
        File.WriteAllText(folder.File("flat/a.png"), "x");
        var store = new BackboneStore(folder.File("cache"), BackboneRegistry.Default, new HttpClient());

        PipelineException[] errors =
        [
            Caught(() => ImageDecoder.Decode("hello"u8)),
            Caught(() => ImageDataset.FromFolder(folder.File("flat"))),
            Caught(() => Network.Load("not a network"u8.ToArray())),
            Caught(() => ModelPackage.Load(new MemoryStream("not a zip"u8.ToArray()))),
            await Assert.ThrowsAsync<BackboneUnavailableException>(() => store.ResolveAsync("resnet9000", cancellationToken: TestContext.Current.CancellationToken)),
        ];

        Assert.Equal([typeof(InvalidImageException), typeof(InvalidDatasetException), typeof(InvalidModelException), typeof(InvalidModelPackageException), typeof(BackboneUnavailableException)],
            errors.Select(e => e.GetType()));
        foreach (PipelineException e in errors)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Reason), e.GetType().Name);
            Assert.Contains(e.Reason, e.Message);
        }
    }
}
