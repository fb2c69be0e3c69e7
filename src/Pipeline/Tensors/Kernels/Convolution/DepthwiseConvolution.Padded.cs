using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Tensors.Kernels.Convolution;

/// <summary>
/// Strides 1 and 2 over a zero-padded copy of the plane: the plane is copied into scratch wide enough for whole output
/// vectors (for stride 2, each padded row split into its even and odd columns), so that every tap of every output
/// vector is a plain load at a fixed offset, with no borders, masks or branches in the loop. Four output vectors are
/// built at once: one vector's taps are a chain of dependent FMAs, and four chains hide their latency.
/// </summary>
internal sealed unsafe partial class DepthwiseConvolution
{
    [ThreadStatic]
    private static float[]? t_scratch;

    /// <summary>A plane's geometry and the padded copy's layout.</summary>
    private readonly struct PaddedLayout
    {
        // quantum: the vector width; output rows are computed in whole vectors and padded rows sized in them.
        public PaddedLayout(int inH, int inW, int outH, int outW, int kH, int kW, int sH, int sW, int dH, int dW, int pH, int pW, int quantum)
        {
            int q = quantum - 1;
            (InH, InW, OutH, OutW, KH, KW, SH, SW, DH, DW, PH, PW) = (inH, inW, outH, outW, kH, kW, sH, sW, dH, dW, pH, pW);
            PaddedOutW = (outW + q) & ~q;
            Rows = (outH - 1) * sH + (kH - 1) * dH + 1;
            int reach = (kW - 1) * dW;
            // Stride 2: even columns, then odd columns, each half wide enough for the outputs plus the reach.
            Half = (PaddedOutW + reach / 2 + 1 + q) & ~q;
            RowStride = sW == 1 ? (PaddedOutW + reach + q) & ~q : 2 * Half;
        }

        public int InH { get; }
        public int InW { get; }
        public int OutH { get; }
        public int OutW { get; }
        public int KH { get; }
        public int KW { get; }
        public int SH { get; }
        public int SW { get; }
        public int DH { get; }
        public int DW { get; }
        public int PH { get; }
        public int PW { get; }
        public int PaddedOutW { get; }
        public int Rows { get; }
        public int Half { get; }
        public int RowStride { get; }
        public int Taps => KH * KW;

        /// <summary>The scratch floats: the padded plane and the unsplit row (stride 2).</summary>
        public long ScratchFloats => (long)Rows * RowStride + RowStride;
    }

    private readonly PaddedLayout _padded;

    /// <summary>Each tap's offset from an output vector's first input, in the padded plane; null when not padded.</summary>
    private readonly int[]? _tapOffsets;

    /// <summary>
    /// Per output vector, in order: where its first tap reads in the padded plane, where it writes in the output plane,
    /// and how many of its lanes exist (a row's last vector may overhang it). Planned once, so the loop neither divides
    /// nor tracks rows.
    /// </summary>
    private readonly int[]? _vectors;

    private static (PaddedLayout Layout, int[] Offsets, int[] Vectors) PlanPadded(ConvGeometry g, Isa isa)
    {
        bool is2d = g.Rank == 2;
        var p = new PaddedLayout(is2d ? g.InputSize[0] : 1, g.InputSize[^1], is2d ? g.OutputSize[0] : 1, g.OutputSize[^1],
            is2d ? g.KernelSize[0] : 1, g.KernelSize[^1], is2d ? g.Strides[0] : 1, g.Strides[^1], is2d ? g.Dilations[0] : 1, g.Dilations[^1],
            is2d ? g.PadsBegin[0] : 0, g.PadsBegin[^1], isa == Isa.Avx512 ? 16 : isa == Isa.Avx2 ? 8 : 4);
        int[] offsets = GC.AllocateArray<int>(p.Taps, pinned: true);
        for (int kh = 0; kh < p.KH; kh++)
            for (int kw = 0; kw < p.KW; kw++)
            {
                int column = kw * p.DW;
                offsets[kh * p.KW + kw] = kh * p.DH * p.RowStride + (p.SW == 1 ? column : (column & 1) * p.Half + column / 2);
            }
        int width = isa == Isa.Avx512 ? 16 : isa == Isa.Avx2 ? 8 : 4, perRow = p.PaddedOutW / width;
        int[] vectors = GC.AllocateArray<int>(3 * p.OutH * perRow, pinned: true);
        for (int oh = 0, v = 0; oh < p.OutH; oh++)
            for (int ow = 0; ow < p.PaddedOutW; ow += width, v += 3)
            {
                vectors[v] = checked(oh * p.SH * p.RowStride + ow);
                vectors[v + 1] = checked(oh * p.OutW + ow);
                vectors[v + 2] = p.OutW - ow;
            }
        return (p, offsets, vectors);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PlanePadded(float* input, float* weights, float bias, float* output, bool accumulate, float lo, float hi)
    {
        ref readonly PaddedLayout p = ref _padded;
        float* scratch = Scratch(p.ScratchFloats);
        float* line = scratch + (long)p.Rows * p.RowStride;
        int* offsets = (int*)Unsafe.AsPointer(ref _tapOffsets![0]);
        int* vectors = (int*)Unsafe.AsPointer(ref _vectors![0]); // pinned

        for (int r = 0; r < p.Rows; r++)
        {
            float* target = scratch + (long)r * p.RowStride;
            int ih = r - p.PH;
            if ((uint)ih >= (uint)p.InH) new Span<float>(target, p.RowStride).Clear();
            else if (p.SW == 1 && _isa == Isa.Avx512) PadRowAvx512(input + (long)ih * p.InW, target, p);
            else if (p.SW == 1) PadRow(input + (long)ih * p.InW, target, p);
            else if (_isa == Isa.Avx512) PadAndSplitRowAvx512(input + (long)ih * p.InW, target, p);
            else
            {
                PadRow(input + (long)ih * p.InW, line, p);
                SplitRow(line, target, p.Half);
            }
        }

        if (_isa == Isa.Avx512) Compute<Lanes512>(scratch, offsets, vectors, weights, bias, output, accumulate, lo, hi, p);
        else if (_isa == Isa.Avx2) Compute<Lanes256>(scratch, offsets, vectors, weights, bias, output, accumulate, lo, hi, p);
        else Compute<Lanes128>(scratch, offsets, vectors, weights, bias, output, accumulate, lo, hi, p);
    }

    /// <summary>Padded column j holds input column j − pW, zeros outside the row.</summary>
    private static void PadRow(float* source, float* padded, in PaddedLayout p)
    {
        int left = Math.Min(p.PW, p.RowStride), copied = Math.Max(0, Math.Min(p.InW, p.RowStride - p.PW));
        new Span<float>(padded, left).Clear();
        new ReadOnlySpan<float>(source, copied).CopyTo(new Span<float>(padded + left, copied));
        new Span<float>(padded + left + copied, p.RowStride - left - copied).Clear();
    }

    /// <summary><see cref="PadRow"/> as one masked load per 16 columns (small planes would spend more in the span calls).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PadRowAvx512(float* source, float* padded, in PaddedLayout p)
    {
        source -= p.PW;
        Vector512<int> column = Vector512<int>.Indices - Vector512.Create(p.PW), limit = Vector512.Create(p.InW), step = Vector512.Create(16);
        for (int j = 0; j < p.RowStride; j += 16, column += step)
        {
            Vector512<float> inside = (Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero) & Vector512.LessThan(column, limit)).AsSingle();
            Avx512F.MaskLoad(source + j, inside, Vector512<float>.Zero).Store(padded + j);
        }
    }

    /// <summary>
    /// <see cref="PadRowAvx512"/> then <see cref="SplitRow"/> in one pass for stride 2: each 16 even and 16 odd padded
    /// columns come from two masked loads of the input row, with no padded line in between.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PadAndSplitRowAvx512(float* source, float* target, in PaddedLayout p)
    {
        source -= p.PW;
        int half = p.Half;
        Vector512<int> evens = Vector512<int>.Indices * 2, odds = evens + Vector512<int>.One;
        Vector512<int> column = Vector512<int>.Indices - Vector512.Create(p.PW), limit = Vector512.Create(p.InW), sixteen = Vector512.Create(16);
        for (int j = 0; j < half; j += 16, column += sixteen + sixteen)
        {
            Vector512<int> next = column + sixteen;
            Vector512<float> lowInside = (Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero) & Vector512.LessThan(column, limit)).AsSingle();
            Vector512<float> highInside = (Vector512.GreaterThanOrEqual(next, Vector512<int>.Zero) & Vector512.LessThan(next, limit)).AsSingle();
            Vector512<float> a = Avx512F.MaskLoad(source + 2 * j, lowInside, Vector512<float>.Zero);
            Vector512<float> b = Avx512F.MaskLoad(source + 2 * j + 16, highInside, Vector512<float>.Zero);
            Avx512F.PermuteVar16x32x2(a, evens, b).Store(target + j);
            Avx512F.PermuteVar16x32x2(a, odds, b).Store(target + half + j);
        }
    }

    /// <summary>Even columns of <paramref name="line"/> to target[0, half), odd ones to target[half, 2·half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SplitRow(float* line, float* target, int half)
    {
        int j = 0;
        if (Avx512F.IsSupported)
        {
            Vector512<int> evens = Vector512<int>.Indices * 2, odds = evens + Vector512<int>.One;
            for (; j + 16 <= half; j += 16)
            {
                Vector512<float> a = Vector512.Load(line + 2 * j), b = Vector512.Load(line + 2 * j + 16);
                Avx512F.PermuteVar16x32x2(a, evens, b).Store(target + j);
                Avx512F.PermuteVar16x32x2(a, odds, b).Store(target + half + j);
            }
        }
        for (; j < half; j++)
        {
            target[j] = line[2 * j];
            target[half + j] = line[2 * j + 1];
        }
    }

    /// <summary>
    /// The plane's output vectors, <typeparamref name="TLanes"/> wide, four at a time in the planned order (rows of
    /// narrow planes are combined); the JIT compiles one copy per vector width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compute<TLanes>(float* scratch, int* offsets, int* vectors, float* weights, float bias, float* output, bool accumulate,
        float lo, float hi, in PaddedLayout p)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        int total = p.OutH * (p.PaddedOutW / TLanes.Width), taps = p.Taps;
        for (int v = 0; v < total; v += 4)
        {
            int n = Math.Min(4, total - v);
            int* v0 = vectors + 3 * v, v1 = n > 1 ? v0 + 3 : v0, v2 = n > 2 ? v0 + 6 : v1, v3 = n > 3 ? v0 + 9 : v2;
            float* i0 = scratch + v0[0], i1 = scratch + v1[0], i2 = scratch + v2[0], i3 = scratch + v3[0];
            TLanes s0 = TLanes.Broadcast(bias), s1 = s0, s2 = s0, s3 = s0;
            for (int t = 0; t < taps; t++)
            {
                TLanes weight = TLanes.Broadcast(weights[t]);
                int offset = offsets[t];
                s0 = TLanes.MultiplyAdd(weight, TLanes.Load(i0 + offset), s0);
                s1 = TLanes.MultiplyAdd(weight, TLanes.Load(i1 + offset), s1);
                s2 = TLanes.MultiplyAdd(weight, TLanes.Load(i2 + offset), s2);
                s3 = TLanes.MultiplyAdd(weight, TLanes.Load(i3 + offset), s3);
            }
            s0.Store(output + v0[1], v0[2], accumulate, lo, hi);
            if (n > 1) s1.Store(output + v1[1], v1[2], accumulate, lo, hi);
            if (n > 2) s2.Store(output + v2[1], v2[2], accumulate, lo, hi);
            if (n > 3) s3.Store(output + v3[1], v3[2], accumulate, lo, hi);
        }
    }

    /// <summary>A SIMD register of floats, as <see cref="Compute{TLanes}"/> uses it.</summary>
    private interface IFloatLanes<TSelf> where TSelf : struct, IFloatLanes<TSelf>
    {
        static abstract int Width { get; }

        static abstract TSelf Broadcast(float value);

        static abstract TSelf Load(float* source);

        static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf addend);

        /// <summary>
        /// Writes the first min(<paramref name="count"/>, Width) lanes (count may be ≤ 0), adding to what is there when
        /// <paramref name="accumulate"/>, then clamped to [<paramref name="lo"/>, <paramref name="hi"/>].
        /// </summary>
        void Store(float* destination, int count, bool accumulate, float lo, float hi);
    }

    private readonly struct Lanes512(Vector512<float> value) : IFloatLanes<Lanes512>
    {
        public static int Width => 16;

        public static Lanes512 Broadcast(float value) => new(Vector512.Create(value));

        public static Lanes512 Load(float* source) => new(Vector512.Load(source));

        public static Lanes512 MultiplyAdd(Lanes512 a, Lanes512 b, Lanes512 addend) => new(Vector512.MultiplyAddEstimate(a.Value, b.Value, addend.Value));

        public Vector512<float> Value { get; } = value;

        public void Store(float* destination, int count, bool accumulate, float lo, float hi)
        {
            Vector512<float> mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
            Vector512<float> sum = accumulate ? Value + Avx512F.MaskLoad(destination, mask, Vector512<float>.Zero) : Value;
            // The bound goes first: vmaxps/vminps return their second operand when one is NaN, so a NaN sum stays NaN,
            // as it does without a clamp and on the narrower paths.
            Avx512F.MaskStore(destination, mask, Avx512F.Min(Vector512.Create(hi), Avx512F.Max(Vector512.Create(lo), sum)));
        }
    }

    private readonly struct Lanes256(Vector256<float> value) : IFloatLanes<Lanes256>
    {
        public static int Width => 8;

        public static Lanes256 Broadcast(float value) => new(Vector256.Create(value));

        public static Lanes256 Load(float* source) => new(Vector256.Load(source));

        public static Lanes256 MultiplyAdd(Lanes256 a, Lanes256 b, Lanes256 addend) => new(Vector256.MultiplyAddEstimate(a.Value, b.Value, addend.Value));

        public Vector256<float> Value { get; } = value;

        public void Store(float* destination, int count, bool accumulate, float lo, float hi)
        {
            if (count >= 8)
            {
                Vector256<float> sum = accumulate ? Value + Vector256.Load(destination) : Value;
                Vector256.Min(Vector256.Max(sum, Vector256.Create(lo)), Vector256.Create(hi)).Store(destination);
                return;
            }
            float* lanes = stackalloc float[8];
            Value.Store(lanes);
            StoreColumns(destination, lanes, count, accumulate, lo, hi);
        }
    }

    private readonly struct Lanes128(Vector128<float> value) : IFloatLanes<Lanes128>
    {
        public static int Width => 4;

        public static Lanes128 Broadcast(float value) => new(Vector128.Create(value));

        public static Lanes128 Load(float* source) => new(Vector128.Load(source));

        public static Lanes128 MultiplyAdd(Lanes128 a, Lanes128 b, Lanes128 addend) => new(Vector128.MultiplyAddEstimate(a.Value, b.Value, addend.Value));

        public Vector128<float> Value { get; } = value;

        public void Store(float* destination, int count, bool accumulate, float lo, float hi)
        {
            if (count >= 4)
            {
                Vector128<float> sum = accumulate ? Value + Vector128.Load(destination) : Value;
                Vector128.Min(Vector128.Max(sum, Vector128.Create(lo)), Vector128.Create(hi)).Store(destination);
                return;
            }
            float* lanes = stackalloc float[4];
            Value.Store(lanes);
            StoreColumns(destination, lanes, count, accumulate, lo, hi);
        }
    }

    /// <summary>The columns of a vector that overhangs its row (count may be ≤ 0 for a vector wholly past it).</summary>
    private static void StoreColumns(float* destination, float* sums, int count, bool accumulate, float lo, float hi)
    {
        for (int c = 0; c < count; c++) destination[c] = Math.Min(Math.Max(accumulate ? destination[c] + sums[c] : sums[c], lo), hi);
    }

    /// <summary>This thread's scratch, at least <paramref name="floats"/> long (it only grows), 64-byte aligned.</summary>
    private static float* Scratch(long floats)
    {
        if (t_scratch is null || t_scratch.Length < floats + 16)
            t_scratch = GC.AllocateUninitializedArray<float>(checked((int)Math.Max(floats + 16, 4096)), pinned: true);
        return (float*)(((nint)Unsafe.AsPointer(ref t_scratch[0]) + 63) & ~(nint)63);
    }
}
