using BenchmarkDotNet.Attributes;
using Pipeline.Imaging;
using Pipeline.Imaging.Processing;

namespace Pipeline.Benchmarks;

/// <summary>
/// All 200 JPEGs of ../shared/datasets/flowers-small, one thread, decoded at the DCT scale a 224×224 input allows, then
/// resized and extracted to the normalized float tensor: what featurizing spends before the backbone.
/// <c>dotnet run -c Release --project tests/Pipeline.Benchmarks -- --filter '*DecodeAndResize*'</c>.
/// </summary>
[MemoryDiagnoser]
public class JpegDecodeAndResizeBenchmarks
{
    private readonly ImagePreprocessing _spec = new();
    private byte[][] _files = [];
    private float[] _tensor = [];

    [GlobalSetup]
    public void Setup()
    {
        string folder = JpegDecodeBenchmarks.FindFlowers() ?? throw new InvalidOperationException("../shared/datasets/flowers-small not found (set PIPELINE_SHARED)");
        _files = Directory.GetFiles(folder, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        _tensor = new float[_spec.ElementCount];
    }

    /// <summary>Decode with the spec's hint (DCT downscaling), then resize to 224×224 and normalize.</summary>
    [Benchmark]
    public float DecodeAndResizeTo224()
    {
        DecoderOptions hint = _spec.DecoderHint();
        float sum = 0;
        foreach (byte[] file in _files)
        {
            _spec.Apply(ImageDecoder.Decode(file, hint), _tensor);
            sum += _tensor[0];
        }
        return sum;
    }
}
