using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tensors.Kernels.Convolution;

/// <summary>
/// A 1-d or 2-d convolution whose groups each have one input channel (depthwise, with channel multiplier M/C), computed
/// directly: no GEMM has enough depth to pay off here (K = kernel plane). Each task is a run of output planes; each output
/// row is built in vectors across the output width (stride 1), or element by element (other strides, and the borders).
/// </summary>
internal sealed unsafe class DepthwiseConvolution
{
    private readonly Isa _isa;

    /// <summary>Plans the conv for <paramref name="isa"/>.</summary>
    public DepthwiseConvolution(ConvGeometry geometry, Isa isa)
    {
        if (!geometry.IsDepthwise || geometry.Rank > 2) throw new ArgumentException("not a 1-d/2-d depthwise convolution");
        Geometry = geometry;
        _isa = isa;
    }

    /// <summary>The conv's shape.</summary>
    public ConvGeometry Geometry { get; }

    /// <summary>True when the depthwise kernel handles <paramref name="geometry"/>.</summary>
    public static bool Supports(ConvGeometry geometry) => geometry.IsDepthwise && geometry.Rank <= 2;

    /// <summary>Y = act(depthwise(X, W) + bias (+ Y when <paramref name="accumulate"/>)); <paramref name="bias"/> may be null.</summary>
    public void Run(float* x, float* weights, float* bias, float* y, FusedActivation activation, bool accumulate, WorkerPool pool)
    {
        // Small planes (7×7 late in a MobileNet) are too little work to hand out one by one: the shared item counter
        // would cost more than the plane. Group them so each item is at least ~4k outputs.
        int planes = Geometry.Batch * Geometry.OutChannels;
        int planesPerItem = Math.Max(1, MinOutputsPerItem / Math.Max(1, Geometry.OutputPlane));
        var body = new Body(this, x, weights, bias, y, activation, accumulate, planes, planesPerItem);
        pool.For((planes + planesPerItem - 1) / planesPerItem, ref body);
    }

    private const int MinOutputsPerItem = 4096;

    private readonly struct Body(DepthwiseConvolution owner, float* x, float* weights, float* bias, float* y, FusedActivation activation, bool accumulate,
        int planes, int planesPerItem) : IParallelBody
    {
        public void Invoke(int item)
        {
            int end = Math.Min(planes, (item + 1) * planesPerItem);
            for (int index = item * planesPerItem; index < end; index++) RunPlane(index);
        }

        private void RunPlane(int index)
        {
            ConvGeometry g = owner.Geometry;
            int m = index % g.OutChannels;
            int image = index / g.OutChannels;
            int channel = m / (g.OutChannels / g.InChannels);
            float* input = x + ((long)image * g.InChannels + channel) * g.InputPlane;
            float* output = y + (long)index * g.OutputPlane;
            float* w = weights + (long)m * g.KernelPlane;
            float b = bias == null ? 0f : bias[m];
            owner.Plane(input, w, b, output, activation, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Plane(float* input, float* w, float bias, float* output, FusedActivation activation, bool accumulate)
    {
        ConvGeometry g = Geometry;
        bool is2d = g.Rank == 2;
        int inH = is2d ? g.InputSize[0] : 1, inW = g.InputSize[^1];
        int outH = is2d ? g.OutputSize[0] : 1, outW = g.OutputSize[^1];
        int kH = is2d ? g.KernelSize[0] : 1, kW = g.KernelSize[^1];
        int sH = is2d ? g.Strides[0] : 1, sW = g.Strides[^1];
        int dH = is2d ? g.Dilations[0] : 1, dW = g.Dilations[^1];
        int pH = is2d ? g.PadsBegin[0] : 0, pW = g.PadsBegin[^1];

        // Output columns [interiorLo, interiorHi) read inside the input row for every kernel column.
        int interiorLo = CeilDiv(pW, sW);
        int interiorHi = Math.Max(interiorLo, Math.Min(outW, FloorDivPlusOne(inW - 1 - ((kW - 1) * dW - pW), sW)));

        if (_isa == Isa.Avx512 && sW <= 2)
        {
            PlaneAvx512(input, w, bias, output, accumulate);
            ActivationEpilogue.Apply(activation, new Span<float>(output, outH * outW));
            return;
        }

        for (int oh = 0; oh < outH; oh++)
        {
            float* orow = output + (long)oh * outW;
            int ih0 = oh * sH - pH;
            int ow = 0;
            for (; ow < interiorLo && ow < outW; ow++) orow[ow] = Point(input, w, bias, orow[ow], ih0, ow, accumulate);
            if (sW == 1 && _isa != Isa.Scalar)
                ow = InteriorStride1(input, w, bias, orow, ih0, ow, interiorHi, accumulate);
            else if (sW == 2 && _isa == Isa.Avx512)
                ow = InteriorStride2(input, w, bias, orow, ih0, ow, interiorHi, accumulate);
            for (; ow < outW; ow++) orow[ow] = Point(input, w, bias, orow[ow], ih0, ow, accumulate);
            ActivationEpilogue.Apply(activation, new Span<float>(orow, outW));
        }

        // The plane is first copied into a zero-padded scratch plane wide enough for whole 16-wide output vectors (for
        // stride 2, each padded row split into its even and odd columns), so that every tap of every output vector is a
        // plain load at a fixed offset: no borders, masks or branches in the loop. Four output vectors are built at once:
        // one vector's taps are a chain of dependent FMAs, and four chains hide their latency.
        void PlaneAvx512(float* inp, float* wt, float b, float* output, bool acc)
        {
            int outWv = (outW + 15) & ~15;
            int rows = (outH - 1) * sH + (kH - 1) * dH + 1;
            int reach = (kW - 1) * dW;
            // Stride 1: one padded row of outWv + reach columns. Stride 2: even columns, then odd columns, each half
            // wide enough for outWv outputs plus the reach (rounded up so the split runs in whole vectors).
            int half = ((outWv + reach / 2 + 1) + 15) & ~15;
            int stride = sW == 1 ? (outWv + reach + 15) & ~15 : 2 * half;
            int taps = kH * kW;
            float* scratch = Scratch((long)rows * stride + (sW == 2 ? 2 * half : 0) + 2L * taps);
            int* offsets = (int*)(scratch + (long)rows * stride + (sW == 2 ? 2 * half : 0));
            float* weights = (float*)(offsets + taps);
            for (int kh = 0; kh < kH; kh++)
                for (int kw = 0; kw < kW; kw++)
                {
                    int column = kw * dW;
                    offsets[kh * kW + kw] = kh * dH * stride + (sW == 1 ? column : (column & 1) * half + column / 2);
                    weights[kh * kW + kw] = wt[kh * kW + kw];
                }

            float* line = scratch + (long)rows * stride; // stride 2: the padded row before it is split
            for (int r = 0; r < rows; r++)
            {
                int ih = r - pH;
                float* target = scratch + (long)r * stride;
                float* padded = sW == 1 ? target : line;
                int width = sW == 1 ? stride : 2 * half;
                if ((uint)ih >= (uint)inH)
                {
                    for (int j = 0; j < width; j += 16) Vector512<float>.Zero.Store(padded + j);
                }
                else
                {
                    // Padded column j holds input column j − pW: a masked load per 16 columns, zeros outside the row.
                    float* source = inp + (long)ih * inW - pW;
                    Vector512<int> column = Vector512<int>.Indices - Vector512.Create(pW), limit = Vector512.Create(inW);
                    for (int j = 0; j < width; j += 16, column += Vector512.Create(16))
                    {
                        Vector512<float> inside = (Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero) & Vector512.LessThan(column, limit)).AsSingle();
                        Avx512F.MaskLoad(source + j, inside, Vector512<float>.Zero).Store(padded + j);
                    }
                }
                if (sW == 2)
                {
                    Vector512<int> evens = Vector512<int>.Indices * 2, odds = evens + Vector512<int>.One;
                    for (int j = 0; j < half; j += 16)
                    {
                        Vector512<float> a = Vector512.Load(line + 2 * j), c = Vector512.Load(line + 2 * j + 16);
                        Avx512F.PermuteVar16x32x2(a, evens, c).Store(target + j);
                        Avx512F.PermuteVar16x32x2(a, odds, c).Store(target + half + j);
                    }
                }
            }

            int vectorsPerRow = outWv / 16, total = outH * vectorsPerRow;
            Vector512<float> start = Vector512.Create(b);
            for (int v = 0; v < total; v += 4)
            {
                int n = Math.Min(4, total - v);
                int v1 = v + Math.Min(1, n - 1), v2 = v + Math.Min(2, n - 1), v3 = v + Math.Min(3, n - 1);
                float* i0 = Source(v), i1 = Source(v1), i2 = Source(v2), i3 = Source(v3);
                Vector512<float> s0 = start, s1 = start, s2 = start, s3 = start;
                for (int t = 0; t < taps; t++)
                {
                    Vector512<float> weight = Vector512.Create(weights[t]);
                    int offset = offsets[t];
                    s0 = Vector512.MultiplyAddEstimate(weight, Vector512.Load(i0 + offset), s0);
                    s1 = Vector512.MultiplyAddEstimate(weight, Vector512.Load(i1 + offset), s1);
                    s2 = Vector512.MultiplyAddEstimate(weight, Vector512.Load(i2 + offset), s2);
                    s3 = Vector512.MultiplyAddEstimate(weight, Vector512.Load(i3 + offset), s3);
                }
                Store(v, s0);
                if (n > 1) Store(v1, s1);
                if (n > 2) Store(v2, s2);
                if (n > 3) Store(v3, s3);
            }

            float* Source(int index) => scratch + (long)(index / vectorsPerRow) * sH * stride + index % vectorsPerRow * 16;

            void Store(int index, Vector512<float> sum)
            {
                int ow = index % vectorsPerRow * 16;
                float* destination = output + (long)(index / vectorsPerRow) * outW + ow;
                if (ow + 16 <= outW)
                {
                    if (acc) sum += Vector512.Load(destination);
                    sum.Store(destination);
                }
                else
                {
                    Vector512<float> mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(outW - ow)).AsSingle();
                    if (acc) sum += Avx512F.MaskLoad(destination, mask, Vector512<float>.Zero);
                    Avx512F.MaskStore(destination, mask, sum);
                }
            }
        }

        float Point(float* inp, float* wt, float b, float current, int ih0, int ow, bool acc)
        {
            float sum = acc ? current + b : b;
            int iw0 = ow * sW - pW;
            for (int kh = 0; kh < kH; kh++)
            {
                int ih = ih0 + kh * dH;
                if ((uint)ih >= (uint)inH) continue;
                float* row = inp + (long)ih * inW;
                for (int kw = 0; kw < kW; kw++)
                {
                    int iw = iw0 + kw * dW;
                    if ((uint)iw < (uint)inW) sum += wt[kh * kW + kw] * row[iw];
                }
            }
            return sum;
        }

        int InteriorStride2(float* inp, float* wt, float b, float* orow, int ih0, int ow, int hi, bool acc)
        {
            // 16 outputs read 31 inputs: two loads (the second masked to 15 lanes, so it never reads past the row), then the evens.
            Vector512<int> evens = Vector512<int>.Indices * 2;
            Vector512<float> highMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(15)).AsSingle();
            for (; ow + 16 <= hi; ow += 16)
            {
                Vector512<float> sum = Vector512.Create(b);
                if (acc) sum += Vector512.Load(orow + ow);
                for (int kh = 0; kh < kH; kh++)
                {
                    int ih = ih0 + kh * dH;
                    if ((uint)ih >= (uint)inH) continue;
                    float* src = inp + (long)ih * inW + 2 * ow - pW;
                    for (int kw = 0; kw < kW; kw++)
                    {
                        float* tap = src + kw * dW;
                        Vector512<float> x = Avx512F.PermuteVar16x32x2(Vector512.Load(tap), evens, Avx512F.MaskLoad(tap + 16, highMask, Vector512<float>.Zero));
                        sum = Vector512.MultiplyAddEstimate(Vector512.Create(wt[kh * kW + kw]), x, sum);
                    }
                }
                sum.Store(orow + ow);
            }
            return ow;
        }

        int InteriorStride1(float* inp, float* wt, float b, float* orow, int ih0, int ow, int hi, bool acc)
        {
            if (_isa == Isa.Avx512)
                for (; ow + 16 <= hi; ow += 16)
                {
                    Vector512<float> sum = Vector512.Create(b);
                    if (acc) sum += Vector512.Load(orow + ow);
                    for (int kh = 0; kh < kH; kh++)
                    {
                        int ih = ih0 + kh * dH;
                        if ((uint)ih >= (uint)inH) continue;
                        float* src = inp + (long)ih * inW + ow - pW;
                        for (int kw = 0; kw < kW; kw++)
                            sum = Vector512.MultiplyAddEstimate(Vector512.Create(wt[kh * kW + kw]), Vector512.Load(src + kw * dW), sum);
                    }
                    sum.Store(orow + ow);
                }
            if (_isa >= Isa.Avx2)
                for (; ow + 8 <= hi; ow += 8)
                {
                    Vector256<float> sum = Vector256.Create(b);
                    if (acc) sum += Vector256.Load(orow + ow);
                    for (int kh = 0; kh < kH; kh++)
                    {
                        int ih = ih0 + kh * dH;
                        if ((uint)ih >= (uint)inH) continue;
                        float* src = inp + (long)ih * inW + ow - pW;
                        for (int kw = 0; kw < kW; kw++)
                            sum = Vector256.MultiplyAddEstimate(Vector256.Create(wt[kh * kW + kw]), Vector256.Load(src + kw * dW), sum);
                    }
                    sum.Store(orow + ow);
                }
            for (; ow + 4 <= hi; ow += 4)
            {
                Vector128<float> sum = Vector128.Create(b);
                if (acc) sum += Vector128.Load(orow + ow);
                for (int kh = 0; kh < kH; kh++)
                {
                    int ih = ih0 + kh * dH;
                    if ((uint)ih >= (uint)inH) continue;
                    float* src = inp + (long)ih * inW + ow - pW;
                    for (int kw = 0; kw < kW; kw++)
                        sum = Vector128.MultiplyAddEstimate(Vector128.Create(wt[kh * kW + kw]), Vector128.Load(src + kw * dW), sum);
                }
                sum.Store(orow + ow);
            }
            return ow;
        }
    }

    [ThreadStatic]
    private static float[]? t_scratch;

    /// <summary>This thread's scratch plane, at least <paramref name="floats"/> long (it only grows), 64-byte aligned.</summary>
    private static float* Scratch(long floats)
    {
        if (t_scratch is null || t_scratch.Length < floats + 16)
            t_scratch = GC.AllocateUninitializedArray<float>(checked((int)Math.Max(floats + 16, 4096)), pinned: true);
        return (float*)(((nint)Unsafe.AsPointer(ref t_scratch[0]) + 63) & ~(nint)63);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CeilDiv(int a, int b) => (a + b - 1) / b;

    /// <summary>⌊a / b⌋ + 1 for any sign of a (b &gt; 0): the count of t ≥ 0 with t·b ≤ a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int FloorDivPlusOne(int a, int b) => a < 0 ? 0 : a / b + 1;
}
