using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Convolution;
using Pipeline.Tensors.Kernels.Gemm;

namespace Pipeline.Graph.Ops.Convolution;

/// <summary>
/// ONNX QLinearConv (uint8/int8, per-tensor or per-output-channel weight scale and zero point, optional int32 bias).
/// Computed exactly as its definition reads: the zero-point-shifted integers go through the float conv kernels, the
/// accumulator is scaled by x_scale·w_scale[m]/y_scale, rounded half to even, offset by y_zero_point and saturated.
/// Inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B.
/// </summary>
internal sealed class QLinearConvOperator(WindowAttributes window, int group) : Operator
{
    /// <inheritdoc />
    public override string Name => "QLinearConv";

    /// <inheritdoc />
    public override string Describe() => (window.Describe() + (group != 1 ? $" g={group}" : "")).Trim();

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        ConvGeometry g = Resolve(context.Node, context.Input(0), context.Input(3), context.HasInput(8) ? context.Input(8) : null,
            context.Input(4), context.Input(5), context.Input(7));
        context.SetOutput(0, context.InputType(7), g.OutputShape());
        context.Flops = 2 * g.MultiplyAdds;
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        ConvGeometry g = Resolve(context.Node, context.Input(0), context.Input(3), context.HasInput(8) ? context.Input(8) : null,
            context.Input(4), context.Input(5), context.Input(7));
        return new QLinearConvKernel(g, context.Input(0).Type, context.Input(3).Type, context.Input(7).Type,
            context.Input(4).ElementCount, context.Constant(3), context.Constant(5), context.HasInput(8), context.ThreadCount);
    }

    private ConvGeometry Resolve(NodeIdentity node, TensorInfo x, TensorInfo w, TensorInfo? b, TensorInfo wScale, TensorInfo wZero, TensorInfo yZero)
    {
        if (x.Type is not (DataType.UInt8 or DataType.Int8) || w.Type is not (DataType.UInt8 or DataType.Int8))
            throw node.Fail($"x and w must be uint8 or int8, got {x.Type} and {w.Type}");
        if (yZero.Type is not (DataType.UInt8 or DataType.Int8)) throw node.Fail($"y_zero_point must be uint8 or int8, got {yZero.Type}");
        ConvGeometry g = ConvShapes.Resolve(node, window, group, x.Shape, w.Shape, b?.Shape);
        if (b is { } bias && bias.Type != DataType.Int32) throw node.Fail($"B must be int32, got {bias.Type}");
        if (wScale.ElementCount != 1 && wScale.ElementCount != g.OutChannels)
            throw node.Fail($"w_scale has {wScale.ElementCount} values; expected 1 or {g.OutChannels} (one per output channel)");
        if (wZero.ElementCount != wScale.ElementCount)
            throw node.Fail($"w_zero_point has {wZero.ElementCount} values but w_scale has {wScale.ElementCount}");
        return g;
    }
}

/// <summary>The compiled QLinearConv.</summary>
internal sealed unsafe class QLinearConvKernel : Kernel
{
    private readonly ConvGeometry _g;
    private readonly DataType _xType, _wType, _yType;
    private readonly int _scaleCount;
    private readonly bool _hasBias, _constantWeights;
    private readonly GemmConvolution? _gemm;
    private readonly DepthwiseConvolution? _depthwise;
    private readonly long _xFloats, _yFloats, _wFloats;

    /// <summary>Builds the kernel; constant weights are shifted by their zero point and packed once.</summary>
    public QLinearConvKernel(ConvGeometry g, DataType xType, DataType wType, DataType yType, long scaleCount, Tensor? w, Tensor? wZero, bool hasBias, int threadCount)
    {
        (_g, _xType, _wType, _yType, _scaleCount, _hasBias) = (g, xType, wType, yType, (int)scaleCount, hasBias);
        _xFloats = (long)g.Batch * g.InChannels * g.InputPlane;
        _yFloats = (long)g.Batch * g.OutChannels * g.OutputPlane;
        _wFloats = (long)g.OutChannels * g.InChannelsPerGroup * g.KernelPlane;
        _constantWeights = w is not null && wZero is not null;
        float[]? shifted = null;
        if (_constantWeights)
        {
            shifted = new float[_wFloats];
            fixed (float* dst = shifted)
            {
                if (w!.Type == DataType.UInt8)
                    fixed (byte* ws = w.AsSpan<byte>()) ShiftWeights(ws, wZero!.AsBytes(), dst);
                else
                    fixed (sbyte* ws = w.AsSpan<sbyte>()) ShiftWeights(ws, wZero!.AsBytes(), dst);
            }
        }
        if (DepthwiseConvolution.Supports(g)) _depthwise = new DepthwiseConvolution(g, KernelIsa.Current);
        else _gemm = new GemmConvolution(g, shifted, _constantWeights, SgemmKernel.Current, threadCount);
        ConstantShiftedWeights = _depthwise is not null ? shifted : null;
    }

    private float[]? ConstantShiftedWeights { get; }

    /// <inheritdoc />
    public override long ScratchBytes => (_xFloats + _yFloats + _wFloats + _g.OutChannels + 64) * sizeof(float) + (_gemm?.ScratchBytes ?? 0);

    /// <inheritdoc />
    public override void Run(in KernelIO io)
    {
        float* scratch = (float*)io.ScratchPointer;
        float* convScratch = scratch;
        float* x = Align(convScratch + (_gemm?.ScratchBytes ?? 0) / sizeof(float));
        float* y = Align(x + _xFloats);
        float* w = Align(y + _yFloats);
        float* bias = Align(w + _wFloats);

        float xScale = io.InputPointer<float>(1)[0];
        int xZero = ZeroPoint(io.InputPointer<byte>(2), _xType, 0);
        if (_xType == DataType.UInt8) Shift(io.InputPointer<byte>(0), xZero, x, _xFloats);
        else Shift(io.InputPointer<sbyte>(0), xZero, x, _xFloats);

        float* weights = w;
        if (!_constantWeights)
        {
            var zeros = new ReadOnlySpan<byte>(io.InputPointer<byte>(5), _scaleCount);
            if (_wType == DataType.UInt8) ShiftWeights(io.InputPointer<byte>(3), zeros, w);
            else ShiftWeights(io.InputPointer<sbyte>(3), zeros, w);
        }
        else if (ConstantShiftedWeights is { } depthwiseWeights)
        {
            depthwiseWeights.AsSpan().CopyTo(new Span<float>(w, (int)_wFloats));
        }
        float* biasPointer = null;
        if (_hasBias)
        {
            int* b = io.InputPointer<int>(8);
            for (int m = 0; m < _g.OutChannels; m++) bias[m] = b[m];
            biasPointer = bias;
        }

        if (_depthwise is not null) _depthwise.Run(x, weights, biasPointer, y, FusedActivation.None, false, io.Pool);
        else _gemm!.Run(x, weights, biasPointer, y, FusedActivation.None, false, io.Pool, convScratch);

        float* wScale = io.InputPointer<float>(4);
        float yScale = io.InputPointer<float>(6)[0];
        int yZero = ZeroPoint(io.InputPointer<byte>(7), _yType, 0);
        int lo = _yType == DataType.UInt8 ? 0 : -128, hi = _yType == DataType.UInt8 ? 255 : 127;
        long plane = _g.OutputPlane;
        for (long i = 0; i < _yFloats; i++)
        {
            int m = (int)(i / plane % _g.OutChannels);
            double scale = (double)xScale * wScale[_scaleCount == 1 ? 0 : m] / yScale;
            double q = Math.Round(y[i] * scale, MidpointRounding.ToEven) + yZero;
            int v = (int)Math.Clamp(q, lo, hi);
            if (_yType == DataType.UInt8) io.OutputPointer<byte>(0)[i] = (byte)v;
            else io.OutputPointer<sbyte>(0)[i] = (sbyte)v;
        }
    }

    private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    private static int ZeroPoint(byte* p, DataType type, int index) => p == null ? 0 : type == DataType.UInt8 ? p[index] : ((sbyte*)p)[index];

    private static void Shift(byte* src, int zero, float* dst, long count)
    {
        for (long i = 0; i < count; i++) dst[i] = src[i] - zero;
    }

    private static void Shift(sbyte* src, int zero, float* dst, long count)
    {
        for (long i = 0; i < count; i++) dst[i] = src[i] - zero;
    }

    private void ShiftWeights(byte* w, ReadOnlySpan<byte> zeros, float* dst)
    {
        long perChannel = _wFloats / _g.OutChannels;
        for (long i = 0; i < _wFloats; i++) dst[i] = w[i] - zeros[_scaleCount == 1 ? 0 : (int)(i / perChannel)];
    }

    private void ShiftWeights(sbyte* w, ReadOnlySpan<byte> zeros, float* dst)
    {
        long perChannel = _wFloats / _g.OutChannels;
        for (long i = 0; i < _wFloats; i++) dst[i] = w[i] - (sbyte)zeros[_scaleCount == 1 ? 0 : (int)(i / perChannel)];
    }
}
