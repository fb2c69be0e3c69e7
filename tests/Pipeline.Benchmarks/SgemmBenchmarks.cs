using BenchmarkDotNet.Attributes;
using Pipeline.Tensors.Kernels.Gemm;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Benchmarks;

/// <summary>
/// The SGEMM at 1024×1024×1024 on one thread: GFLOP/s = 2·1024³ / mean time. The packed A (weights) is prepared once,
/// B is packed per run as it is for a convolution's input, as in the engine.
/// <c>dotnet run -c Release --project tests/Pipeline.Benchmarks -- --filter '*Sgemm*'</c>
/// </summary>
[MemoryDiagnoser, MinColumn, MedianColumn]
public unsafe class SgemmBenchmarks : IDisposable
{
    private const int Size = 1024;
    private readonly WorkerPool _pool = new(1);
    private SgemmKernel _kernel = null!;
    private SgemmPlan _plan = null!;
    private float[] _packedA = null!, _b = null!, _c = null!, _scratch = null!;

    /// <summary>Threads for the run (the acceptance figure is single-thread).</summary>
    [Params(1)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _kernel = SgemmKernel.Current;
        _plan = new SgemmPlan(_kernel, Size, Size, Size, 1, Threads);
        var rng = new Random(1);
        float[] a = new float[Size * Size];
        for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble();
        _b = GC.AllocateArray<float>(Size * Size, pinned: true);
        for (int i = 0; i < _b.Length; i++) _b[i] = (float)rng.NextDouble();
        _c = GC.AllocateArray<float>(Size * Size, pinned: true);
        _packedA = GC.AllocateArray<float>((int)SgemmPacker.PackedASize(_kernel, Size, Size) + 16, pinned: true);
        _scratch = GC.AllocateArray<float>((int)(_plan.ScratchBytes / 4) + 16, pinned: true);
        fixed (float* pa = a) SgemmPacker.PackA(_kernel, pa, Size, 1, Size, Size, Align(_packedA));
    }

    /// <summary>C = A·B, 2·1024³ FLOPs.</summary>
    [Benchmark]
    public void Sgemm1024()
    {
        fixed (float* b = _b, c = _c)
        {
            var operands = new SgemmOperands { PackedA = Align(_packedA), Groups = 1, C = c, Ldc = Size };
            Sgemm.Run(_plan, operands, new StridedB(b, Size, 1), new SgemmOutput(), _pool, Align(_scratch));
        }
    }

    public void Dispose()
    {
        _pool.Dispose();
        GC.SuppressFinalize(this);
    }

    private static float* Align(float[] array)
    {
        fixed (float* p = array) return (float*)(((nint)p + 63) & ~(nint)63); // pinned arrays: the address is stable
    }
}
