using BenchmarkDotNet.Attributes;
using Pipeline.Imaging;
using Pipeline.Imaging.Processing;

namespace Pipeline.Benchmarks.Imaging;

/// <summary>
/// Preprocessing one image for a 224×224 model: antialiased resize + ImageNet CHW float extraction, one thread.
/// <c>dotnet run -c Release --project tests/Pipeline.Benchmarks -- --filter '*PreprocessingBenchmarks*'</c>
/// </summary>
[MemoryDiagnoser]
[WarmupCount(3)]
[IterationCount(10)]
public class PreprocessingBenchmarks
{
    private Image _image = null!;
    private ImagePreprocessing _spec = null!;
    private float[] _tensor = null!;

    /// <summary>The source size: a 6 MP phone photo or a typical web image.</summary>
    [Params("3000x2000", "500x375")]
    public string Source { get; set; } = "3000x2000";

    /// <summary>The resampling filter.</summary>
    [Params(ResamplingFilter.Bilinear, ResamplingFilter.Bicubic)]
    public ResamplingFilter Filter { get; set; }

    /// <summary>Fill resamples every source pixel (the worst case); ShorterSideThenCenterCrop is torchvision's eval recipe.</summary>
    [Params(ResizeMode.Fill, ResizeMode.ShorterSideThenCenterCrop)]
    public ResizeMode Mode { get; set; }

    /// <summary>Builds a smooth seeded RGB image of the source size.</summary>
    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Source.Split('x');
        int w = int.Parse(parts[0]), h = int.Parse(parts[1]);
        var pixels = new byte[w * h * 3];
        var random = new Random(1);
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)((i * 7 / 3 + random.Next(32)) & 0xFF);
        _image = new Image(w, h, PixelFormat.Rgb24, pixels);
        _spec = new ImagePreprocessing { Mode = Mode, Filter = Filter };
        _tensor = new float[_spec.ElementCount];
    }

    /// <summary>Resize to 224×224 and extract the normalized CHW float tensor.</summary>
    [Benchmark]
    public void ResizeAndExtract() => _spec.Apply(_image, _tensor);
}
