using BenchmarkDotNet.Attributes;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Convolution;
using Pipeline.Tensors.Kernels.Gemm;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Benchmarks;

/// <summary>
/// ResNet-50 convolution shapes at batch 1 (224×224 input), fused ReLU, as the engine runs them.
/// <c>dotnet run -c Release --project tests/Pipeline.Benchmarks -- --filter '*ConvBenchmarks*'</c>
/// </summary>
[MinColumn, MedianColumn]
public unsafe class ConvBenchmarks : IDisposable
{
    private WorkerPool _pool = null!;
    private GemmConvolution _conv = null!;
    private float[] _x = null!, _y = null!, _scratch = null!;

    /// <summary>Shape: name C-M-size-kernel-stride-pad.</summary>
    [Params("conv1 3-64-224-7-2-3", "l1 64-64-56-3-1-1", "l1 256-64-56-1-1-0", "l2 128-128-28-3-1-1", "l3 256-1024-14-1-1-0", "l3 256-256-14-3-1-1", "l4 512-512-7-3-1-1")]
    public string Shape { get; set; } = "";

    /// <summary>Threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int[] p = Shape.Split(' ')[1].Split('-').Select(int.Parse).ToArray();
        (int c, int m, int size, int k, int s, int pad) = (p[0], p[1], p[2], p[3], p[4], p[5]);
        var geometry = new ConvGeometry(1, c, m, 1, [size, size], [k, k], [s, s], [1, 1], [pad, pad], [pad, pad], AutoPad.NotSet);
        var rng = new Random(1);
        float[] w = new float[m * c * k * k];
        for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble() - 0.5f;
        _pool = new WorkerPool(Threads);
        _conv = new GemmConvolution(geometry, w, true, SgemmKernel.Current, Threads);
        _x = GC.AllocateArray<float>(c * size * size, pinned: true);
        for (int i = 0; i < _x.Length; i++) _x[i] = (float)rng.NextDouble();
        _y = GC.AllocateArray<float>(m * geometry.OutputPlane, pinned: true);
        _scratch = GC.AllocateArray<float>((int)(_conv.ScratchBytes / 4) + 16, pinned: true);
    }

    /// <summary>One forward conv.</summary>
    [Benchmark]
    public void Conv()
    {
        fixed (float* x = _x, y = _y, s = _scratch)
            _conv.Run(x, null, null, y, FusedActivation.Relu, false, _pool, (float*)(((nint)s + 63) & ~(nint)63));
    }

    public void Dispose()
    {
        _pool?.Dispose();
        GC.SuppressFinalize(this);
    }
}
