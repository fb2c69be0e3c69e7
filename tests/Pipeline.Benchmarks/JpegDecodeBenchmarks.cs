using BenchmarkDotNet.Attributes;
using Pipeline.Imaging;
using Pipeline.Imaging.Jpeg;

namespace Pipeline.Benchmarks;

/// <summary>
/// Decodes all of ../shared/datasets/flowers-small (200 JPEGs) on one thread, at full size and with DCT scaling:
/// <c>dotnet run -c Release --project tests/Pipeline.Benchmarks -- --filter '*JpegDecode*'</c>.
/// Compare with libjpeg-turbo on the same files, e.g. <c>time (for f in ../shared/datasets/flowers-small/*/*.jpg; do djpeg -outfile /dev/null $f; done)</c>.
/// </summary>
[MemoryDiagnoser]
public class JpegDecodeBenchmarks
{
    private byte[][] _files = [];

    /// <summary>The DCT scale denominator: 1 (full size), 2, 4 or 8.</summary>
    [Params(1, 2, 4, 8)]
    public int Scale { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string folder = FindFlowers() ?? throw new InvalidOperationException("../shared/datasets/flowers-small not found (set PIPELINE_SHARED)");
        _files = Directory.GetFiles(folder, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
    }

    /// <summary>All 200 images, one after another.</summary>
    [Benchmark]
    public long DecodeFlowers()
    {
        long pixels = 0;
        foreach (byte[] file in _files)
        {
            Image image = JpegDecoder.Decode(file, DecoderOptions.Default, Scale);
            pixels += (long)image.Width * image.Height;
        }
        return pixels;
    }

    internal static string? FindFlowers()
    {
        string? shared = Environment.GetEnvironmentVariable("PIPELINE_SHARED");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); shared is null && dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) shared = Path.Combine(dir.FullName, "..", "shared");
        }
        string? folder = shared is null ? null : Path.Combine(shared, "datasets", "flowers-small");
        return folder is not null && Directory.Exists(folder) ? Path.GetFullPath(folder) : null;
    }
}
