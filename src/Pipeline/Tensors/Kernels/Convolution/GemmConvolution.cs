using Pipeline.Tensors.Kernels.Gemm;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tensors.Kernels.Convolution;

/// <summary>
/// A convolution computed as one GEMM per (image, group): Y_g[M/g × outPlane] = W_g[M/g × K] · B_g[K × outPlane],
/// with K = C/g × kernel plane. The weights are packed once into MR-row panels; B is the input itself for a pointwise
/// conv (1×1, stride 1, no pad) and an on-the-fly im2col otherwise, packed block by block into per-thread scratch.
/// Bias, activation and an optional residual accumulation are fused into the microkernel's store.
/// <para>
/// Small output planes (a 7×7 or 14×14 map: N = 49 fills 49 of 64 tile columns) run transposed instead:
/// Yᵀ[outPlane × M] = im2colᵀ · Wᵀ, with the weights packed once as the B side (M is a multiple of the tile width in
/// practice), the im2col as the A side (rows = output positions, any count fits the row-specialized microkernels), the
/// bias as a column bias, then one transpose into NCHW.
/// </para>
/// </summary>
internal sealed unsafe class GemmConvolution
{
    private readonly float[]? _packedWeights; // pinned; null when the weights arrive at run time
    private readonly long _packedGroupFloats;
    private readonly int _alignOffset;
    private readonly int _rowsWidth;              // transposed: row stride of the im2col matrix
    private readonly long _transposedScratchFloats;

    /// <summary>Plans the conv; packs <paramref name="weights"/> ([M, C/g, k...], row-major) when given.</summary>
    public GemmConvolution(ConvGeometry geometry, ReadOnlySpan<float> weights, bool weightsAreConstant, SgemmKernel kernel, int threadCount)
    {
        Geometry = geometry;
        Kernel = kernel;
        Transposed = weightsAreConstant && PrefersTransposed(geometry, kernel);
        if (Transposed)
        {
            int n = geometry.OutputPlane, m = geometry.OutChannels, k = geometry.GemmK;
            Plan = new SgemmPlan(kernel, n, m, k, 1, threadCount, prepackedB: true);
            _rowsWidth = (n + 15) / 16 * 16;
            _transposedScratchFloats = RoundUp(SgemmPacker.PackedASize(kernel, n, k), 16) + RoundUp((long)k * _rowsWidth, 16) + RoundUp((long)n * m, 16) + 16;
            _packedWeights = GC.AllocateUninitializedArray<float>(checked((int)(SgemmPacker.PackedBSize(kernel, k, m) + 16)), pinned: true);
            fixed (float* start = _packedWeights)
            fixed (float* w = weights)
            {
                _alignOffset = (int)((64 - ((nint)start & 63)) & 63) / sizeof(float);
                SgemmPacker.PackB(kernel, w, 1, k, k, m, start + _alignOffset); // B[k, m] = W[m, k]
            }
            return;
        }
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

    /// <summary>True when the conv runs as Yᵀ = im2colᵀ · Wᵀ (small output planes).</summary>
    public bool Transposed { get; }

    /// <summary>
    /// The constant weights packed as the GEMM's A panels (group 0 first), for a kernel that runs this conv's GEMM on
    /// parts of the plane. Only for constant weights in the direct (not transposed) form.
    /// </summary>
    public float* PackedWeights
    {
        get
        {
            if (Transposed || _packedWeights is null) throw new InvalidOperationException("the weights are not packed as A panels");
            fixed (float* start = _packedWeights) return start + _alignOffset; // pinned: the address is stable
        }
    }

    /// <summary>Scratch bytes per run: packed B blocks per thread, plus packed weights when they are not constant.</summary>
    public long ScratchBytes => Plan.ScratchBytes + (Transposed ? _transposedScratchFloats * sizeof(float)
        : _packedWeights is null ? _packedGroupFloats * Geometry.Groups * sizeof(float) + 64 : 0);

    /// <summary>
    /// The transposed form pays when the output plane leaves many tile columns empty while the channel count fills them:
    /// one group, at least two tiles of channels, a plane of at most two tiles (at 14×14 the extra im2col and transpose
    /// measured slower than the waste they save) that wastes ≥ 10 % of its tile columns.
    /// When the kernel's narrow variant covers the plane's last columns, little is wasted, and the transposed form only
    /// wins with many channels: at 7×7 on one thread (ConvBenchmarks), 128–256 output channels ran 7–27 % faster direct,
    /// 320 the same, and 512–1280 3–14 % faster transposed.
    /// </summary>
    private static bool PrefersTransposed(ConvGeometry g, SgemmKernel kernel)
    {
        const int MinChannelsWithNarrowTail = 384;
        if (g.Groups != 1 || g.OutChannels < 2 * kernel.NR || g.OutputPlane > 2 * kernel.NR) return false;
        int n = g.OutputPlane, nr = kernel.NR;
        if (n % nr <= kernel.NarrowColumns && g.OutChannels < MinChannelsWithNarrowTail) return false;
        double planeFill = (double)n / ((n + nr - 1) / nr * nr);
        double channelFill = (double)g.OutChannels / ((g.OutChannels + nr - 1) / nr * nr);
        return planeFill < 0.9 && channelFill > planeFill;
    }

    private static long RoundUp(long a, int b) => (a + b - 1) / b * b;

    /// <summary>
    /// Y = act(conv(X, W) + bias (+ Y when <paramref name="accumulate"/>)). <paramref name="weights"/> is read only when
    /// the weights were not constant; <paramref name="bias"/> may be null.
    /// </summary>
    public void Run(float* x, float* weights, float* bias, float* y, FusedActivation activation, bool accumulate, WorkerPool pool, float* scratch)
    {
        if (Transposed)
        {
            RunTransposed(x, bias, y, activation, accumulate, pool, scratch);
            return;
        }
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

    private void RunTransposed(float* x, float* bias, float* y, FusedActivation activation, bool accumulate, WorkerPool pool, float* scratch)
    {
        ConvGeometry g = Geometry;
        int n = g.OutputPlane, m = g.OutChannels, k = g.GemmK;
        float* packedA = (float*)(((nint)(scratch + Plan.ScratchBytes / sizeof(float)) + 63) & ~(nint)63);
        float* rows = packedA + RoundUp(SgemmPacker.PackedASize(Kernel, n, k), 16);
        float* product = rows + RoundUp((long)k * _rowsWidth, 16);
        fixed (float* start = _packedWeights)
        {
            float* packedB = start + _alignOffset;
            var im2col = new Im2ColB(g, x);
            for (int image = 0; image < g.Batch; image++)
            {
                // im2col (K × n, row stride _rowsWidth) read as its transpose (n × K) by the A packer.
                var pack = new TransposedPackBody(im2col, Kernel, image, n, k, _rowsWidth, rows, packedA);
                if (pool.ThreadCount <= 1 || k < 2 * TransposedPackBody.Chunk) pack.Invoke(0);
                else pool.For(Math.Min(pool.ThreadCount, Plan.ThreadCount), ref pack);
                var operands = new SgemmOperands { PackedA = packedA, Groups = 1, C = product, Ldc = m };
                var output = new SgemmOutput { ColumnBias = bias, Activation = accumulate ? FusedActivation.None : activation };
                Sgemm.Run(Plan, operands, new PrepackedB(packedB, k), output, pool, scratch);
                Transpose(product, y + (long)image * m * n, n, m, accumulate, activation);
            }
        }
    }

    /// <summary>
    /// Builds the im2col rows and packs them as the A side, K rows at a time across the threads (serial, this pass
    /// took a visible share of the 7×7 convs' time).
    /// </summary>
    private struct TransposedPackBody(Im2ColB im2col, SgemmKernel kernel, int image, int n, int k, int width, float* rows, float* packedA) : IParallelBody
    {
        public const int Chunk = 64;
        private int _next;

        public void Invoke(int slot)
        {
            int chunk;
            while ((chunk = Interlocked.Increment(ref _next) - 1) * Chunk < k)
            {
                int k0 = chunk * Chunk, kc = Math.Min(Chunk, k - k0);
                im2col.Rows(kernel.Isa, image, k0, kc, width, rows + (long)k0 * width);
                SgemmPacker.PackA(kernel, rows, 1, width, n, k, k0, kc, packedA);
            }
        }
    }

    /// <summary>
    /// y[c, p] (+)= product[p, c], 16 channels at a time so that reads stay contiguous and writes go to 16 row streams;
    /// with accumulation the activation applies after the sum.
    /// </summary>
    private static void Transpose(float* product, float* y, int positions, int channels, bool accumulate, FusedActivation activation)
    {
        const int Block = 16;
        for (int c0 = 0; c0 < channels; c0 += Block)
        {
            int count = Math.Min(Block, channels - c0);
            for (int p = 0; p < positions; p++)
            {
                float* src = product + (long)p * channels + c0;
                float* dst = y + (long)c0 * positions + p;
                if (accumulate)
                    for (int c = 0; c < count; c++) dst[(long)c * positions] += src[c];
                else
                    for (int c = 0; c < count; c++) dst[(long)c * positions] = src[c];
            }
            if (accumulate)
                for (int c = 0; c < count; c++) ActivationEpilogue.Apply(activation, new Span<float>(y + (long)(c0 + c) * positions, positions));
        }
    }

    private void PackWeights(float* weights, float* destination)
    {
        ConvGeometry g = Geometry;
        int m = g.OutChannelsPerGroup, k = g.GemmK;
        for (int group = 0; group < g.Groups; group++)
            SgemmPacker.PackA(Kernel, weights + (long)group * m * k, k, 1, m, k, destination + group * _packedGroupFloats);
    }
}
