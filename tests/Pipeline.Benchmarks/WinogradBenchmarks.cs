using BenchmarkDotNet.Attributes;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Convolution;
using Pipeline.Tensors.Kernels.Gemm;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Benchmarks;

/// <summary>
/// 3×3 stride-1 convolutions (ResNet-50's four stages and a SqueezeNet expand layer, batch 1, fused ReLU) as the GEMM
/// form and as Winograd F(4×4, 3×3), which the engine picks for the first four.
/// <c>dotnet run -c Release --project tests/Pipeline.Benchmarks -- --filter '*WinogradBenchmarks*'</c>
/// </summary>
[MinColumn, MedianColumn]
public unsafe class WinogradBenchmarks : IDisposable
{
    private WorkerPool _pool = null!;
    private GemmConvolution? _gemm;
    private WinogradConvolution? _winograd;
    private float[] _x = null!, _y = null!, _scratch = null!;

    /// <summary>Shape: name C-M-size.</summary>
    [Params("l1 64-64-56", "l2 128-128-28", "l3 256-256-14", "l4 512-512-7", "squeezenet 16-64-55")]
    public string Shape { get; set; } = "";

    /// <summary>The algorithm.</summary>
    [Params("gemm", "winograd")]
    public string Form { get; set; } = "";

    /// <summary>Threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int[] p = Shape.Split(' ')[1].Split('-').Select(int.Parse).ToArray();
        (int c, int m, int size) = (p[0], p[1], p[2]);
        var geometry = new ConvGeometry(1, c, m, 1, [size, size], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], AutoPad.NotSet);
        var rng = new Random(1);
        float[] w = new float[m * c * 9];
        for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble() - 0.5f;
        _pool = new WorkerPool(Threads);
        long scratchBytes;
        if (Form == "winograd")
        {
            _winograd = new WinogradConvolution(geometry, w, SgemmKernel.Current, Threads);
            scratchBytes = _winograd.ScratchBytes;
        }
        else
        {
            _gemm = new GemmConvolution(geometry, w, true, SgemmKernel.Current, Threads);
            scratchBytes = _gemm.ScratchBytes;
        }
        _x = GC.AllocateArray<float>(c * size * size, pinned: true);
        for (int i = 0; i < _x.Length; i++) _x[i] = (float)rng.NextDouble();
        _y = GC.AllocateArray<float>(m * geometry.OutputPlane, pinned: true);
        _scratch = GC.AllocateArray<float>((int)(scratchBytes / 4) + 16, pinned: true);
    }

    /// <summary>One forward conv.</summary>
    [Benchmark]
    public void Conv()
    {
        fixed (float* x = _x, y = _y, s = _scratch)
        {
            float* scratch = (float*)(((nint)s + 63) & ~(nint)63);
            if (_winograd is not null) _winograd.Run(x, null, y, FusedActivation.Relu, false, _pool, scratch);
            else _gemm!.Run(x, null, null, y, FusedActivation.Relu, false, _pool, scratch);
        }
    }

    public void Dispose()
    {
        _pool?.Dispose();
        GC.SuppressFinalize(this);
    }
}
