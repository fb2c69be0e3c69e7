namespace Pipeline.Graph.Tflite;

/// <summary>
/// Typed readers of the builtin option tables the importer supports (field ids from schema.fbs). An absent table
/// reads as the schema defaults, which is what TFLite's own interpreter does.
/// </summary>
internal static class TfliteOptions
{
    /// <summary>The options table of <paramref name="op"/> when its union type is <paramref name="expected"/>; null when absent.</summary>
    public static FlatTable? Expect(TfliteOperator op, byte expected, NodeIdentity node)
    {
        if (op.OptionsType == 0 || op.Options is null) return null;
        if (op.OptionsType != expected)
            throw node.Fail($"builtin_options has union type {op.OptionsType}, expected {expected} for this operator");
        return op.Options;
    }
}

/// <summary>Conv2DOptions: padding, stride_w, stride_h, fused_activation_function, dilation_w_factor, dilation_h_factor.</summary>
internal readonly record struct Conv2DOptions(TflitePadding Padding, int StrideW, int StrideH, TfliteActivation Activation, int DilationW, int DilationH)
{
    public static Conv2DOptions Read(FlatTable? t) => t is not { } o ? new(TflitePadding.SAME, 0, 0, TfliteActivation.NONE, 1, 1)
        : new((TflitePadding)o.UInt8(0), o.Int32(1), o.Int32(2), (TfliteActivation)o.UInt8(3), o.Int32(4, 1), o.Int32(5, 1));
}

/// <summary>DepthwiseConv2DOptions: padding, stride_w, stride_h, depth_multiplier, fused_activation_function, dilation_w_factor, dilation_h_factor.</summary>
internal readonly record struct DepthwiseConv2DOptions(TflitePadding Padding, int StrideW, int StrideH, int DepthMultiplier, TfliteActivation Activation,
    int DilationW, int DilationH)
{
    public static DepthwiseConv2DOptions Read(FlatTable? t) => t is not { } o ? new(TflitePadding.SAME, 0, 0, 0, TfliteActivation.NONE, 1, 1)
        : new((TflitePadding)o.UInt8(0), o.Int32(1), o.Int32(2), o.Int32(3), (TfliteActivation)o.UInt8(4), o.Int32(5, 1), o.Int32(6, 1));
}

/// <summary>Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, fused_activation_function.</summary>
internal readonly record struct Pool2DOptions(TflitePadding Padding, int StrideW, int StrideH, int FilterWidth, int FilterHeight, TfliteActivation Activation)
{
    public static Pool2DOptions Read(FlatTable? t) => t is not { } o ? new(TflitePadding.SAME, 0, 0, 0, 0, TfliteActivation.NONE)
        : new((TflitePadding)o.UInt8(0), o.Int32(1), o.Int32(2), o.Int32(3), o.Int32(4), (TfliteActivation)o.UInt8(5));
}

/// <summary>FullyConnectedOptions: fused_activation_function, weights_format, keep_num_dims.</summary>
internal readonly record struct FullyConnectedOptions(TfliteActivation Activation, byte WeightsFormat, bool KeepNumDims)
{
    public static FullyConnectedOptions Read(FlatTable? t) => t is not { } o ? default
        : new((TfliteActivation)o.UInt8(0), o.UInt8(1), o.Bool(2));
}

/// <summary>SoftmaxOptions: beta (the schema default is 0; converters always write it, 1.0 in practice).</summary>
internal readonly record struct SoftmaxOptions(float Beta)
{
    public static SoftmaxOptions Read(FlatTable? t) => new(t is { } o ? o.Float32(0) : 0f);
}

/// <summary>ConcatenationOptions: axis, fused_activation_function.</summary>
internal readonly record struct ConcatenationOptions(int Axis, TfliteActivation Activation)
{
    public static ConcatenationOptions Read(FlatTable? t) => t is not { } o ? default : new(o.Int32(0), (TfliteActivation)o.UInt8(1));
}

/// <summary>AddOptions, SubOptions, MulOptions: fused_activation_function (field 0 in all three).</summary>
internal readonly record struct ArithmeticOptions(TfliteActivation Activation)
{
    public static ArithmeticOptions Read(FlatTable? t) => t is not { } o ? default : new((TfliteActivation)o.UInt8(0));
}

/// <summary>ReshapeOptions: new_shape (used when the operator has no shape input).</summary>
internal readonly record struct ReshapeOptions(int[]? NewShape)
{
    public static ReshapeOptions Read(FlatTable? t)
    {
        if (t is not { } o || o.Vector(0, 4, $"{o.What}.new_shape") is not { } v) return default;
        if (v.Count > TfliteModel.MaxRank) throw o.Buffer.Corrupt(o.What, v.Start, $"new_shape has rank {v.Count}");
        return new(v.ToInt32Array());
    }
}

/// <summary>ReducerOptions: keep_dims.</summary>
internal readonly record struct ReducerOptions(bool KeepDims)
{
    public static ReducerOptions Read(FlatTable? t) => new(t is { } o && o.Bool(0));
}

/// <summary>SqueezeOptions: squeeze_dims (empty: every dimension of size 1).</summary>
internal readonly record struct SqueezeOptions(int[] SqueezeDims)
{
    public static SqueezeOptions Read(FlatTable? t)
    {
        if (t is not { } o || o.Vector(0, 4, $"{o.What}.squeeze_dims") is not { } v) return new([]);
        if (v.Count > TfliteModel.MaxRank) throw o.Buffer.Corrupt(o.What, v.Start, $"squeeze_dims has {v.Count} entries");
        return new(v.ToInt32Array());
    }
}
