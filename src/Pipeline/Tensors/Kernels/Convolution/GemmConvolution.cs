using Pipeline.Tensors.Kernels.Gemm;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tensors.Kernels.Convolution;

/// <summary>
/// A convolution computed as one GEMM per (image, group): Y_g[M/g × outPlane] = W_g[M/g × K] · B_g[K × outPlane],
/// with K = C/g × kernel plane. The weights are packed once into MR-row panels; B is the input itself for a pointwise
/// conv (1×1, stride 1, no pad) and an on-the-fly im2col otherwise, packed block by block into per-thread scratch.
/// Bias, activation and an optional residual accumulation are fused into the microkernel's store.
/// </summary>
internal sealed unsafe class GemmConvolution
{
    private readonly float[]? _packedWeights; // pinned; null when the weights arrive at run time
    private readonly long _packedGroupFloats;
    private readonly int _alignOffset;

    /// <summary>Plans the conv; packs <paramref name="weights"/> ([M, C/g, k...], row-major) when given.</summary>
    public GemmConvolution(ConvGeometry geometry, ReadOnlySpan<float> weights, bool weightsAreConstant, SgemmKernel kernel, int threadCount)
    {
        Geometry = geometry;
        Kernel = kernel;
        Plan = new SgemmPlan(kernel, geometry.OutChannelsPerGroup, geometry.OutputPlane, geometry.GemmK, geometry.Batch * geometry.Groups, threadCount);
        _packedGroupFloats = SgemmPacker.PackedASize(kernel, geometry.OutChannelsPerGroup, geometry.GemmK);
        if (weightsAreConstant)
        {
            _packedWeights = GC.AllocateUninitializedArray<float>(checked((int)(_packedGroupFloats * geometry.Groups + 16)), pinned: true);
            fixed (float* start = _packedWeights)
            fixed (float* w = weights)
            {
                _alignOffset = (int)((64 - ((nint)start & 63)) & 63) / sizeof(float);
                PackWeights(w, start + _alignOffset);
            }
        }
    }

    /// <summary>The conv's shape.</summary>
    public ConvGeometry Geometry { get; }

    /// <summary>The microkernel the weights are packed for.</summary>
    public SgemmKernel Kernel { get; }

    /// <summary>The GEMM blocking.</summary>
    public SgemmPlan Plan { get; }

    /// <summary>Scratch bytes per run: packed B blocks per thread, plus packed weights when they are not constant.</summary>
    public long ScratchBytes => Plan.ScratchBytes + (_packedWeights is null ? _packedGroupFloats * Geometry.Groups * sizeof(float) + 64 : 0);

    /// <summary>
    /// Y = act(conv(X, W) + bias (+ Y when <paramref name="accumulate"/>)). <paramref name="weights"/> is read only when
    /// the weights were not constant; <paramref name="bias"/> may be null.
    /// </summary>
    public void Run(float* x, float* weights, float* bias, float* y, FusedActivation activation, bool accumulate, WorkerPool pool, float* scratch)
    {
        float* packed;
        if (_packedWeights is null)
        {
            packed = scratch + Plan.ScratchBytes / sizeof(float);
            packed = (float*)(((nint)packed + 63) & ~(nint)63);
            PackWeights(weights, packed);
        }
        else
        {
            fixed (float* start = _packedWeights) packed = start + _alignOffset; // pinned: the address is stable
        }

        ConvGeometry g = Geometry;
        var operands = new SgemmOperands
        {
            PackedA = packed,
            AGroupStride = _packedGroupFloats,
            Groups = g.Groups,
            C = y,
            Ldc = g.OutputPlane,
            CProblemStride = (long)g.OutChannelsPerGroup * g.OutputPlane,
        };
        var output = new SgemmOutput { RowBias = bias, Activation = activation, AccumulateIntoC = accumulate };
        if (g.IsPointwise)
            Sgemm.Run(Plan, operands, new StridedB(x, g.InputPlane, 1, (long)g.InChannelsPerGroup * g.InputPlane), output, pool, scratch);
        else
            Sgemm.Run(Plan, operands, new Im2ColB(g, x), output, pool, scratch);
    }

    private void PackWeights(float* weights, float* destination)
    {
        ConvGeometry g = Geometry;
        int m = g.OutChannelsPerGroup, k = g.GemmK;
        for (int group = 0; group < g.Groups; group++)
            SgemmPacker.PackA(Kernel, weights + (long)group * m * k, k, 1, m, k, destination + group * _packedGroupFloats);
    }
}
