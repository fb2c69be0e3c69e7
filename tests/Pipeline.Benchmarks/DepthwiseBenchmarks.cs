using BenchmarkDotNet.Attributes;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Convolution;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Benchmarks;

/// <summary>
/// MobileNetV2's 3×3 depthwise convolutions at batch 1 (224×224 input), fused ReLU6, as the engine runs them.
/// <c>dotnet run -c Release --project tests/Pipeline.Benchmarks -- --filter '*DepthwiseBenchmarks*'</c>
/// </summary>
[MinColumn, MedianColumn]
public unsafe class DepthwiseBenchmarks : IDisposable
{
    private WorkerPool _pool = null!;
    private DepthwiseConvolution _conv = null!;
    private float[] _x = null!, _w = null!, _b = null!, _y = null!;

    /// <summary>Shape: channels-input size-stride-pad begin-pad end.</summary>
    [Params("96-112-2-0-1", "144-56-1-1-1", "192-28-1-1-1", "576-14-1-1-1", "960-7-1-1-1")]
    public string Shape { get; set; } = "";

    /// <summary>Threads.</summary>
    [Params(1)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int[] p = Shape.Split('-').Select(int.Parse).ToArray();
        (int c, int size, int s, int pb, int pe) = (p[0], p[1], p[2], p[3], p[4]);
        var geometry = new ConvGeometry(1, c, c, c, [size, size], [3, 3], [s, s], [1, 1], [pb, pb], [pe, pe], AutoPad.NotSet);
        var rng = new Random(1);
        _w = GC.AllocateArray<float>(c * 9, pinned: true);
        for (int i = 0; i < _w.Length; i++) _w[i] = (float)rng.NextDouble() - 0.5f;
        _b = GC.AllocateArray<float>(c, pinned: true);
        _pool = new WorkerPool(Threads);
        _conv = new DepthwiseConvolution(geometry, KernelIsa.Current);
        _x = GC.AllocateArray<float>(c * size * size, pinned: true);
        for (int i = 0; i < _x.Length; i++) _x[i] = (float)rng.NextDouble();
        _y = GC.AllocateArray<float>(c * geometry.OutputPlane, pinned: true);
    }

    /// <summary>One forward depthwise conv.</summary>
    [Benchmark]
    public void Depthwise()
    {
        fixed (float* x = _x, w = _w, b = _b, y = _y)
            _conv.Run(x, w, b, y, new FusedActivation(ActivationKind.Clip, 0, 6), false, _pool);
    }

    public void Dispose()
    {
        _pool?.Dispose();
        GC.SuppressFinalize(this);
    }
}
