using System.Collections.Concurrent;
using Pipeline.Imaging;
using Pipeline.Imaging.Jpeg;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Imaging.Jpeg;

/// <summary>Acceptance 1: every shared JPEG decodes and matches djpeg (PSNR ≥ 45 dB) at full scale and 1/2, 1/4, 1/8.</summary>
public sealed class JpegReferenceTests(ITestOutputHelper output)
{
    private const double MinimumPsnr = 45;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void EverySharedJpegMatchesDjpeg(int scale)
    {
        SharedData.RequireTool("djpeg", "libjpeg-turbo-progs");
        IReadOnlyList<string> files = JpegTestTools.SharedJpegs();
        var results = new ConcurrentBag<(string File, double Psnr)>();
        // djpeg runs as a process per file: spread the files over the cores.
        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, file =>
        {
            // djpeg does not apply EXIF orientation; compare the stored pixels.
            Image ours = JpegDecoder.Decode(File.ReadAllBytes(file), new DecoderOptions { ApplyExifOrientation = false }, scale);
            results.Add((file, JpegTestTools.Psnr(ours, JpegTestTools.Djpeg(file, scale))));
        });

        double[] sorted = results.Select(r => r.Psnr).Order().ToArray();
        int exact = sorted.Count(double.IsPositiveInfinity);
        output.WriteLine($"scale 1/{scale}: {sorted.Length} files, PSNR min {JpegTestTools.Format(sorted[0])}, " +
                         $"median {JpegTestTools.Format(sorted[sorted.Length / 2])}, bit-exact {exact}");
        Assert.Equal(files.Count, sorted.Length);
        var worst = results.Where(r => r.Psnr < MinimumPsnr).Select(r => $"{Path.GetFileName(r.File)}: {r.Psnr:F2} dB").ToArray();
        Assert.True(worst.Length == 0, "below 45 dB: " + string.Join(", ", worst));
    }
}
