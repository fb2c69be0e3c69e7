using System.Runtime.CompilerServices;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tensors.Kernels.Convolution;

/// <summary>
/// A 1-d or 2-d convolution whose groups each have one input channel (depthwise, with channel multiplier M/C), computed
/// directly: no GEMM has enough depth to pay off here (K = kernel plane). Each task is a run of output planes. 3×3
/// kernels at equal strides of 1 or 2 on AVX-512 read the input in place (DepthwiseConvolution.Direct3x3.cs); other kernels at
/// strides 1 and 2 run in vectors over a zero-padded copy of the plane (DepthwiseConvolution.Padded.cs); other strides,
/// and machines without SIMD, element by element.
/// </summary>
internal sealed unsafe partial class DepthwiseConvolution
{
    private readonly Isa _isa;

    /// <summary>
    /// Plans the conv for <paramref name="isa"/>; <paramref name="direct"/> false keeps a 3×3 conv on the padded path
    /// (the tests compare the two).
    /// </summary>
    public DepthwiseConvolution(ConvGeometry geometry, Isa isa, bool direct = true)
    {
        if (!geometry.IsDepthwise || geometry.Rank > 2) throw new ArgumentException("not a 1-d/2-d depthwise convolution");
        Geometry = geometry;
        _isa = isa;
        if (direct && RunsDirect3x3(geometry, isa)) (_loadMasks, _storeMasks, _zeroRow) = PlanDirect3x3(geometry);
        else if (isa != Isa.Scalar && geometry.Strides[^1] <= 2) (_padded, _tapOffsets, _vectors) = PlanPadded(geometry, isa);
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

        if (_loadMasks is not null || _tapOffsets is not null)
        {
            // A clamp (ReLU, ReLU6, Clip) is applied as the vectors are stored; other activations take a pass of their own.
            bool clamp = activation.IsClamp;
            float lo = clamp ? activation.ClampMin : float.NegativeInfinity;
            float hi = clamp ? activation.ClampMax : float.PositiveInfinity;
            if (_loadMasks is not null) PlaneDirect3x3(input, w, bias, output, accumulate, lo, hi);
            else PlanePadded(input, w, bias, output, accumulate, lo, hi);
            if (!clamp) ActivationEpilogue.Apply(activation, new Span<float>(output, outH * outW));
            return;
        }

        for (int oh = 0; oh < outH; oh++)
        {
            float* orow = output + (long)oh * outW;
            int ih0 = oh * sH - pH;
            for (int ow = 0; ow < outW; ow++) orow[ow] = Point(input, w, bias, orow[ow], ih0, ow, accumulate);
            ActivationEpilogue.Apply(activation, new Span<float>(orow, outW));
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
    }
}
