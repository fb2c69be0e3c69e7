using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Pipeline.Tensors.Kernels.Gemm;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tensors.Kernels.Convolution;

/// <summary>
/// A 3×3, stride-1, ungrouped 2-d convolution by Winograd's minimal filtering F(4×4, 3×3) (Lavin &amp; Gray 2016):
/// every 4×4 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over its 6×6 input tile d. Summed over the input channels, the
/// 36 elementwise products become 36 GEMMs of depth C: 36 multiplies per 16 outputs where the direct form spends 144.
/// <para>
/// The GEMMs run transposed, rows = tiles and columns = output channels (P[ξν] = Vᵀ[ξν] · Uᵀ[ξν]), because the
/// microkernels take any row count while columns come in whole NR-wide panels: a 14×14 map has only 16 tiles.
/// The filters U = G g Gᵀ are transformed in double precision and packed once as the B side; each run transforms the
/// input straight into packed A panels, runs the 36 GEMMs, and transforms the products back into NCHW with bias,
/// clamp and the residual sum fused. Unlike the direct form, a NaN or infinity in the input spreads to its whole
/// 4×4 output tile in every output channel, and an output whose window lies in the padding carries the tile's
/// rounding error instead of being exactly the bias. AVX-512 (16 lanes, WinogradConvolution.Vector512.cs) and AVX2
/// (8 lanes, WinogradConvolution.Vector256.cs); other instruction sets use <see cref="GemmConvolution"/>.
/// </para>
/// </summary>
internal sealed unsafe partial class WinogradConvolution
{
    private const int Lanes = 16;
    private const int M = 4;         // output tile side
    private const int Alpha = M + 2; // input tile side
    private const int Points = Alpha * Alpha;

    // G of F(4×4, 3×3) (Lavin & Gray 2016); Bᵀ and Aᵀ are spelled out in InputTransform and OutputTransform.
    private static readonly double[,] FilterTransform =
    {
        { 1 / 4.0, 0, 0 }, { -1 / 6.0, -1 / 6.0, -1 / 6.0 }, { -1 / 6.0, 1 / 6.0, -1 / 6.0 },
        { 1 / 24.0, 1 / 12.0, 1 / 6.0 }, { 1 / 24.0, -1 / 12.0, 1 / 6.0 }, { 0, 0, 1 },
    };

    private readonly int _tilesHigh, _tilesWide, _tiles;
    private readonly float[] _packedFilters; // pinned: 36 packed B sides of depth C
    private readonly int _alignOffset;
    private readonly long _packedFilterFloats, _packedInputFloats, _productFloats, _rowFloats, _slotFloats;

    /// <summary>Transforms and packs <paramref name="weights"/> ([M, C, 3, 3]).</summary>
    public WinogradConvolution(ConvGeometry geometry, ReadOnlySpan<float> weights, SgemmKernel kernel, int threadCount)
    {
        if (!Supports(geometry, kernel.Isa)) throw new ArgumentException("not a 3×3 stride-1 ungrouped 2-d convolution on AVX2 or AVX-512");
        Geometry = geometry;
        Kernel = kernel;
        _tilesHigh = (geometry.OutputSize[0] + M - 1) / M;
        _tilesWide = (geometry.OutputSize[1] + M - 1) / M;
        _tiles = _tilesHigh * _tilesWide;
        int c = geometry.InChannels, outChannels = geometry.OutChannels;
        Plan = new SgemmPlan(kernel, _tiles, outChannels, c, Points, threadCount, prepackedB: true);
        _packedFilterFloats = SgemmPacker.PackedBSize(kernel, c, outChannels);
        _packedInputFloats = RoundUp(SgemmPacker.PackedASize(kernel, _tiles, c), Lanes);
        _productFloats = (long)Points * _tiles * outChannels + Lanes; // the last channel group's loads run past the end
        // Per slot: the six vertically transformed rows of one tile row, with the padding and 16 tiles' worth of slack.
        _rowFloats = RoundUp(Math.Max((RoundUp(_tilesWide, Lanes) + 1) * M, geometry.PadsBegin[1] + (long)geometry.InputSize[1]), Lanes) + Lanes;
        _slotFloats = Alpha * _rowFloats;

        _packedFilters = GC.AllocateUninitializedArray<float>(checked((int)(_packedFilterFloats * Points + Lanes)), pinned: true);
        // One row ξ of transform points at a time, so the unpacked filters never take more than 6 × the weights' size.
        float[] transformed = new float[(long)Alpha * outChannels * c];
        fixed (float* start = _packedFilters)
        fixed (float* u = transformed)
        {
            _alignOffset = (int)((64 - ((nint)start & 63)) & 63) / sizeof(float);
            for (int xi = 0; xi < Alpha; xi++)
            {
                TransformFilters(weights, outChannels, c, xi, transformed);
                for (int nu = 0; nu < Alpha; nu++) // B[c, o] = U[ξν][o, c]
                    SgemmPacker.PackB(kernel, u + (long)nu * outChannels * c, 1, c, c, outChannels, start + _alignOffset + (xi * Alpha + nu) * _packedFilterFloats);
            }
        }
    }

    /// <summary>The conv's shape.</summary>
    public ConvGeometry Geometry { get; }

    /// <summary>The microkernel the filters are packed for.</summary>
    public SgemmKernel Kernel { get; }

    /// <summary>The GEMM blocking: 36 problems of tiles × output channels × input channels.</summary>
    public SgemmPlan Plan { get; }

    /// <summary>True for the convolutions this kernel computes on <paramref name="isa"/>.</summary>
    public static bool Supports(ConvGeometry g, Isa isa) =>
        (isa is Isa.Avx512 or Isa.Avx2) && g.Rank == 2 && g.Groups == 1
        && g.KernelSize[0] == 3 && g.KernelSize[1] == 3
        && g.Strides[0] == 1 && g.Strides[1] == 1 && g.Dilations[0] == 1 && g.Dilations[1] == 1;

    /// <summary>
    /// True when the Winograd form is expected to beat the GEMM form: at least 16 tiles (a 13×13 output), at least half
    /// of the tiles' outputs inside the map, and 16 channels in and out. On light_resnet50's per-node profile
    /// (`bench --profile`) the 56×56, 28×28 and 14×14 convs ran 2.1–2.6×, 2.5–3.0× and 1.6–1.9× faster on one thread,
    /// 1.7×, 2.0× and 1.5× on two; at 7×7 (4 tiles) it only broke even, with transformed filters 4× the size of the
    /// weights.
    /// </summary>
    public static bool Pays(ConvGeometry g, Isa isa)
    {
        if (!Supports(g, isa) || g.InChannels < MinChannels || g.OutChannels < MinChannels) return false;
        long tiles = (long)((g.OutputSize[0] + M - 1) / M) * ((g.OutputSize[1] + M - 1) / M);
        // A thin map (1×64: 16 tiles, three quarters of each thrown away) saves nothing over the direct form.
        return tiles >= MinTiles && 2L * g.OutputPlane >= tiles * M * M;
    }

    private const int MinChannels = 16;
    private const int MinTiles = 16;

    /// <summary>True for the activations the output transform applies itself.</summary>
    public static bool Fuses(FusedActivation activation) => activation.IsClampOrNone;

    /// <summary>Scratch bytes per run: the GEMM's, the transformed input and the products of one image, and per-thread rows.</summary>
    public long ScratchBytes => Plan.ScratchBytes + (Points * _packedInputFloats + _productFloats + _slotFloats * Plan.ThreadCount + 3 * Lanes) * sizeof(float);

    /// <summary>Y = act(conv(X, W) + bias (+ Y when <paramref name="accumulate"/>)); <paramref name="bias"/> may be null.</summary>
    public void Run(float* x, float* bias, float* y, FusedActivation activation, bool accumulate, WorkerPool pool, float* scratch)
    {
        if (!Fuses(activation)) throw new ArgumentException($"activation {activation} is not fused by the Winograd kernel", nameof(activation));
        ConvGeometry g = Geometry;
        float* packedInput = Align(scratch + Plan.ScratchBytes / sizeof(float));
        float* products = Align(packedInput + Points * _packedInputFloats);
        float* slots = Align(products + _productFloats);
        int threads = Math.Min(pool.ThreadCount, Plan.ThreadCount);
        long* counters = stackalloc long[threads * WorkShares.Stride];
        bool clamp = activation.IsClamp;
        float lo = activation.ClampMin, hi = activation.ClampMax;
        fixed (float* start = _packedFilters)
        {
            for (int image = 0; image < g.Batch; image++)
            {
                float* source = x + (long)image * g.InChannels * g.InputPlane;
                var inputShares = new WorkShares(counters, threads, g.InChannels * _tilesHigh);
                if (Kernel.Isa == Isa.Avx512)
                {
                    var forward = new InputBody512(this, source, packedInput, slots, inputShares);
                    pool.For(threads, ref forward);
                }
                else
                {
                    var forward = new InputBody256(this, source, packedInput, slots, inputShares);
                    pool.For(threads, ref forward);
                }

                var operands = new SgemmOperands
                {
                    PackedA = packedInput,
                    AGroupStride = _packedInputFloats,
                    Groups = Points,
                    C = products,
                    Ldc = g.OutChannels,
                    CProblemStride = (long)_tiles * g.OutChannels,
                };
                Sgemm.Run(Plan, operands, new PrepackedB(start + _alignOffset, g.InChannels, _packedFilterFloats), new SgemmOutput(), pool, scratch);

                float* target = y + (long)image * g.OutChannels * g.OutputPlane;
                if (Kernel.Isa == Isa.Avx512)
                {
                    var backward = new OutputBody512(this, products, bias, target, accumulate, clamp, lo, hi,
                        new WorkShares(counters, threads, _tilesHigh * OutputBody512.Groups(g.OutChannels)));
                    pool.For(threads, ref backward);
                }
                else
                {
                    var backward = new OutputBody256(this, products, bias, target, accumulate, clamp, lo, hi,
                        new WorkShares(counters, threads, _tilesHigh * OutputBody256.Groups(g.OutChannels)));
                    pool.For(threads, ref backward);
                }
            }
        }
    }

    private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    /// <summary>
    /// Stores one output channel's tile row (4 values, the first <paramref name="columns"/> inside the map), added to
    /// what is there when accumulating, then clamped when <paramref name="clamp"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTileRow(float* target, Vector128<float> values, int columns, bool accumulate, bool clamp, Vector128<float> low, Vector128<float> high)
    {
        if (columns == M)
        {
            if (accumulate)
            {
                values += Vector128.Load(target);
                if (clamp) values = Sse.Min(Sse.Max(values, low), high);
            }
            values.Store(target);
            return;
        }
        for (int j = 0; j < columns; j++)
        {
            float value = values.GetElement(j);
            if (accumulate)
            {
                value += target[j];
                if (clamp) value = Clamp(value, low.ToScalar(), high.ToScalar());
            }
            target[j] = value;
        }
    }

    /// <summary>The vector clamp's rule (x86 max/min return the second operand when one is NaN), as the GEMM epilogue has it: NaN becomes lo.</summary>
    private static float Clamp(float value, float lo, float hi)
    {
        float raised = value > lo ? value : lo;
        return raised < hi ? raised : hi;
    }

    /// <summary>
    /// Items split into one contiguous share per slot, each with its own claim counter a cache line apart: a slot runs
    /// its share first, then helps with the others'. Contiguous shares keep the threads off each other's cache lines;
    /// with one shared counter, neighbouring channels went to different cores and both wrote the same packed-A lines,
    /// and two threads ran the 14×14 convs slower than one.
    /// </summary>
    private readonly struct WorkShares(long* counters, int slots, int items)
    {
        public const int Stride = 64 / sizeof(long);

        private readonly int _share = InitialClaims(counters, slots, items);

        private static int InitialClaims(long* counters, int slots, int items)
        {
            int share = (items + slots - 1) / slots;
            for (int s = 0; s < slots; s++) counters[s * Stride] = (long)s * share;
            return share;
        }

        /// <summary>The next item for <paramref name="slot"/>; <paramref name="claim"/> tracks whose share it is on (start at 0).</summary>
        public bool Next(int slot, ref int claim, out int item)
        {
            for (; claim < slots; claim++)
            {
                int owner = (slot + claim) % slots;
                long end = Math.Min(items, (long)(owner + 1) * _share);
                long next = Interlocked.Increment(ref counters[owner * Stride]) - 1;
                if (next < end)
                {
                    item = (int)next;
                    return true;
                }
            }
            item = -1;
            return false;
        }
    }

    /// <summary>U[ξν][o, c] = (G g[o, c] Gᵀ)[ξ, ν] for one ξ, in double precision, as 6 matrices of M × C (ν-major).</summary>
    private static void TransformFilters(ReadOnlySpan<float> weights, int outChannels, int channels, int xi, Span<float> u)
    {
        double[,] g = FilterTransform;
        for (int o = 0; o < outChannels; o++)
            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<float> filter = weights.Slice((o * channels + c) * 9, 9);
                double h0 = g[xi, 0] * filter[0] + g[xi, 1] * filter[3] + g[xi, 2] * filter[6];
                double h1 = g[xi, 0] * filter[1] + g[xi, 1] * filter[4] + g[xi, 2] * filter[7];
                double h2 = g[xi, 0] * filter[2] + g[xi, 1] * filter[5] + g[xi, 2] * filter[8];
                for (int nu = 0; nu < Alpha; nu++)
                    u[(nu * outChannels + o) * channels + c] = (float)(h0 * g[nu, 0] + h1 * g[nu, 1] + h2 * g[nu, 2]);
            }
    }

    private static long RoundUp(long a, int b) => (a + b - 1) / b * b;
}
