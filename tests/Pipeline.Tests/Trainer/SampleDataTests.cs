using Pipeline.Datasets;
using Pipeline.Imaging;
using Pipeline.Tests.Infrastructure;
using Trainer.SampleData;

namespace Pipeline.Tests.Trainer;

/// <summary>The committed data/shapes is exactly what the generator draws, and reads as the dataset the README promises.</summary>
public sealed class SampleDataTests
{
    private static string Folder => Path.Combine(SharedData.RepoRoot, "data", "shapes");

    [Fact]
    public void CommittedFiles_HoldTheGeneratorsPixels()
    {
        var expected = ShapesDataset.Generate().ToDictionary(p => p.RelativePath, p => p.Image, StringComparer.Ordinal);
        string[] committed = Directory.GetFiles(Folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), committed);
        foreach ((string name, Image image) in expected)
        {
            // Pixels, not bytes: the PNG's deflate stream may differ between runtimes, the pixels may not.
            Image decoded = ImageDecoder.Decode(Path.Combine(Folder, name));
            Assert.Equal((image.Width, image.Height), (decoded.Width, decoded.Height));
            Assert.True(image.Pixels.AsSpan().SequenceEqual(decoded.Pixels), $"{name}: the committed pixels differ from the generator's; run 'make-sample-data'.");
        }
    }

    [Fact]
    public void ReadsAsFourBalancedClasses_InTwoFormats_UnderOneMegabyte()
    {
        ImageDataset data = ImageDataset.FromFolder(Folder);
        Assert.Equal(ShapesDataset.Classes, data.Classes);
        Assert.All(data.ClassCounts(), n => Assert.Equal(ShapesDataset.PerClass, n));
        Assert.Empty(data.Excluded);
        Assert.Contains(data.Samples, s => s.Format == ImageFormat.Bmp);
        Assert.Contains(data.Samples, s => s.Format == ImageFormat.Png);
        long bytes = data.Samples.Sum(s => new FileInfo(s.Path).Length);
        Assert.True(bytes < 1 << 20, $"data/shapes holds {bytes} bytes; keep the sample under 1 MiB.");
    }
}
