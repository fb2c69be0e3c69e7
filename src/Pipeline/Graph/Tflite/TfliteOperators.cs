using Pipeline.Tensors;

namespace Pipeline.Graph.Tflite;

/// <summary>
/// The import function of each supported TFLite builtin operator, named like it: each reads the operator's options
/// and emits ONNX-semantics nodes through <see cref="TfliteGraphBuilder"/>, translating NHWC semantics to the NCHW
/// graph (axes, paddings, weight layouts). Anything else (other builtins, custom and Edge TPU operators) fails with
/// the operator's name and version.
/// </summary>
internal static class TfliteOperators
{
    private delegate void ImportFunction(TfliteGraphBuilder b, TfliteOperator op);

    private static readonly Dictionary<BuiltinOperator, ImportFunction> Table = new()
    {
        [BuiltinOperator.CONV_2D] = CONV_2D,
        [BuiltinOperator.DEPTHWISE_CONV_2D] = DEPTHWISE_CONV_2D,
        [BuiltinOperator.FULLY_CONNECTED] = FULLY_CONNECTED,
        [BuiltinOperator.ADD] = (b, op) => Arithmetic(b, op, "Add", TfliteSchema.Options.Add),
        [BuiltinOperator.SUB] = (b, op) => Arithmetic(b, op, "Sub", TfliteSchema.Options.Sub),
        [BuiltinOperator.MUL] = (b, op) => Arithmetic(b, op, "Mul", TfliteSchema.Options.Mul),
        [BuiltinOperator.AVERAGE_POOL_2D] = (b, op) => Pool(b, op, "AveragePool"),
        [BuiltinOperator.MAX_POOL_2D] = (b, op) => Pool(b, op, "MaxPool"),
        [BuiltinOperator.MEAN] = MEAN,
        [BuiltinOperator.RESHAPE] = RESHAPE,
        [BuiltinOperator.SQUEEZE] = SQUEEZE,
        [BuiltinOperator.CONCATENATION] = CONCATENATION,
        [BuiltinOperator.PAD] = PAD,
        [BuiltinOperator.PADV2] = PAD,
        [BuiltinOperator.SOFTMAX] = SOFTMAX,
        [BuiltinOperator.LOGISTIC] = (b, op) => Unary(b, op, "Sigmoid"),
        [BuiltinOperator.HARD_SWISH] = (b, op) => Unary(b, op, "HardSwish"),
        [BuiltinOperator.TANH] = (b, op) => Activation(b, op, TfliteActivation.TANH),
        [BuiltinOperator.RELU] = (b, op) => Activation(b, op, TfliteActivation.RELU),
        [BuiltinOperator.RELU6] = (b, op) => Activation(b, op, TfliteActivation.RELU6),
        [BuiltinOperator.RELU_N1_TO_1] = (b, op) => Activation(b, op, TfliteActivation.RELU_N1_TO_1),
        [BuiltinOperator.QUANTIZE] = QUANTIZE,
        [BuiltinOperator.DEQUANTIZE] = DEQUANTIZE,
    };

    /// <summary>The builtin operators the importer translates.</summary>
    public static IEnumerable<BuiltinOperator> Supported => Table.Keys;

    /// <summary>Imports one operator, or fails naming it when it is not supported.</summary>
    public static void Import(TfliteGraphBuilder b, TfliteOperator op, TfliteOperatorCode code)
    {
        if (code.BuiltinCode == (int)BuiltinOperator.CUSTOM)
        {
            string hint = code.CustomCode is { } c && c.Contains("edgetpu", StringComparison.OrdinalIgnoreCase)
                ? " (an Edge TPU operator: use the model compiled for CPU, not the _edgetpu.tflite one)"
                : string.Empty;
            throw b.Current.Fail($"unsupported custom operator '{code.CustomCode}'{hint}");
        }
        if (!Table.TryGetValue((BuiltinOperator)code.BuiltinCode, out ImportFunction? import))
            throw b.Current.Fail($"unsupported operator {code.Name} (version {code.Version}): the TFLite importer does not translate it");
        if (op.Outputs.Length == 0) throw b.Current.Fail("the operator has no outputs");
        foreach (int t in op.Outputs)
            if (b.Tensor(t).IsVariable) throw b.Current.Fail($"{b.Tensor(t)} is a variable tensor, which is not supported");
        import(b, op);
    }

    /// <summary>
    /// TFLite's padding of one spatial axis: VALID pads nothing; SAME gives out = ceil(in / stride) and pads
    /// total = max((out − 1)·stride + (k − 1)·dilation + 1 − in, 0), before = total / 2, the rest after.
    /// </summary>
    public static (int Before, int After) Padding(TflitePadding padding, int input, int kernel, int stride, int dilation)
    {
        if (padding == TflitePadding.VALID) return (0, 0);
        long output = ((long)input + stride - 1) / stride;
        long effective = (long)(kernel - 1) * dilation + 1;
        long total = Math.Max((output - 1) * stride + effective - input, 0);
        if (total > int.MaxValue) total = int.MaxValue;
        return ((int)(total / 2), (int)(total - total / 2));
    }

    private static void CONV_2D(TfliteGraphBuilder b, TfliteOperator op)
    {
        var o = Conv2DOptions.Read(TfliteOptions.Expect(op, TfliteSchema.Options.Conv2D, b.Current));
        (int x, int w, int bias) = (Input(b, op, 0), Input(b, op, 1), OptionalInput(op, 2));
        int[] xs = Require4D(b, x);
        Tensor weights = ConstantWeights(b, w);                              // [O, kH, kW, I]
        int outChannels = weights.Shape[0], inPerGroup = weights.Shape[3];
        if (inPerGroup == 0 || xs[3] % inPerGroup != 0)
            throw b.Current.Fail($"the input has {xs[3]} channels, which the filter's {inPerGroup} input channels do not divide");
        int groups = xs[3] / inPerGroup;
        if (outChannels % groups != 0) throw b.Current.Fail($"{outChannels} filters cannot be split into {groups} groups");
        string weightName = b.AddConstant($"{b.Name(w)}/oihw", TfliteGraphBuilder.Transpose(weights, TfliteGraphBuilder.ToNchw));
        Convolution(b, op, x, weightName, Bias(b, bias, outChannels, x, w), weights.Shape[1], weights.Shape[2], groups,
            o.Padding, o.StrideH, o.StrideW, o.DilationH, o.DilationW, o.Activation);
    }

    private static void DEPTHWISE_CONV_2D(TfliteGraphBuilder b, TfliteOperator op)
    {
        var o = DepthwiseConv2DOptions.Read(TfliteOptions.Expect(op, TfliteSchema.Options.DepthwiseConv2D, b.Current));
        (int x, int w, int bias) = (Input(b, op, 0), Input(b, op, 1), OptionalInput(op, 2));
        int[] xs = Require4D(b, x);
        Tensor weights = ConstantWeights(b, w);                              // [1, kH, kW, C·m]
        int channels = xs[3], outChannels = weights.Shape[3];
        if (weights.Shape[0] != 1) throw b.Current.Fail($"depthwise filter shape [{string.Join(",", weights.ShapeArray())}] must start with 1");
        if (channels == 0 || outChannels % channels != 0)
            throw b.Current.Fail($"the filter's {outChannels} output channels are not a multiple of the input's {channels} channels");
        // The depth multiplier option is redundant (TFLite itself ignores it in newer versions); when given it must agree.
        if (o.DepthMultiplier > 0 && o.DepthMultiplier != outChannels / channels)
            throw b.Current.Fail($"depth_multiplier {o.DepthMultiplier} disagrees with the filter ({outChannels} outputs for {channels} input channels)");
        // [1, kH, kW, C·m] → [C·m, 1, kH, kW]: output channel c·m + j reads input channel c, which is ONNX's grouped conv with group = C.
        string weightName = b.AddConstant($"{b.Name(w)}/oihw", TfliteGraphBuilder.Transpose(weights, [3, 0, 1, 2]));
        Convolution(b, op, x, weightName, Bias(b, bias, outChannels, x, w), weights.Shape[1], weights.Shape[2], channels,
            o.Padding, o.StrideH, o.StrideW, o.DilationH, o.DilationW, o.Activation);
    }

    private static void Convolution(TfliteGraphBuilder b, TfliteOperator op, int x, string weights, string? bias, int kernelH, int kernelW,
        int groups, TflitePadding padding, int strideH, int strideW, int dilationH, int dilationW, TfliteActivation activation)
    {
        if (strideH < 1 || strideW < 1) throw b.Current.Fail($"strides {strideH}x{strideW} must be positive");
        if (dilationH < 1 || dilationW < 1) throw b.Current.Fail($"dilations {dilationH}x{dilationW} must be positive");
        int[] xs = b.Shape(x);
        (int top, int bottom) = Padding(padding, xs[1], kernelH, strideH, dilationH);
        (int left, int right) = Padding(padding, xs[2], kernelW, strideW, dilationW);
        int y = op.Outputs[0];
        string target = b.Target(y, activation);
        b.Emit("Conv", bias is null ? [b.Value(x), weights] : [b.Value(x), weights, bias], [target],
            ("kernel_shape", new long[] { kernelH, kernelW }), ("strides", new long[] { strideH, strideW }),
            ("dilations", new long[] { dilationH, dilationW }), ("pads", new long[] { top, left, bottom, right }), ("group", (long)groups));
        b.Finish(y, target, activation);
    }

    private static void FULLY_CONNECTED(TfliteGraphBuilder b, TfliteOperator op)
    {
        var o = FullyConnectedOptions.Read(TfliteOptions.Expect(op, TfliteSchema.Options.FullyConnected, b.Current));
        if (o.WeightsFormat != 0) throw b.Current.Fail($"weights_format {o.WeightsFormat} (shuffled int8 weights) is not supported");
        (int x, int w, int bias) = (Input(b, op, 0), Input(b, op, 1), OptionalInput(op, 2));
        Tensor weights = ConstantWeights(b, w);                              // [out, in]
        if (weights.Rank != 2) throw b.Current.Fail($"the weights must be 2-D [out, in], not [{string.Join(",", weights.ShapeArray())}]");
        int units = weights.Shape[0], depth = weights.Shape[1];
        int[] xs = b.Shape(x);
        long elements = Compilation.MemoryBudget.ElementCount(xs);
        if (depth == 0 || elements % depth != 0)
            throw b.Current.Fail($"the input's {elements} elements do not split into rows of the weights' {depth} inputs");

        // TFLite flattens the input to [-1, in] in NHWC order; NCHW has the same order when H = W = 1.
        string input = b.Rank(x) == 4 && !(xs[1] == 1 && xs[2] == 1) ? b.ValueNhwc(x) : b.Value(x);
        if (xs.Length != 2 || xs[1] != depth)
        {
            string flat = b.Unique($"{b.Name(x)}/rows");
            b.Emit("Reshape", [input, b.AddConstant($"{flat}/shape", Tensor.Create(new long[] { -1, depth }, 2))], [flat]);
            input = flat;
        }
        string weightName = b.AddConstant($"{b.Name(w)}/dense", weights);
        string? biasName = Bias(b, bias, units, x, w);
        int y = op.Outputs[0];
        bool reshapeBack = o.KeepNumDims && xs.Length != 2;
        string target = reshapeBack ? b.Unique($"{b.Name(y)}/rows") : b.Target(y, o.Activation);
        b.Emit("Gemm", biasName is null ? [input, weightName] : [input, weightName, biasName], [target], ("transB", 1L));
        if (!reshapeBack)
        {
            b.Finish(y, target, o.Activation);
            return;
        }
        int[] outShape = [.. xs[..^1], units];
        ReshapeTo(b, y, target, outShape, inputShape: [(int)(elements / depth), units], o.Activation);
    }

    private static void Arithmetic(TfliteGraphBuilder b, TfliteOperator op, string onnxOp, byte optionsType)
    {
        var o = ArithmeticOptions.Read(TfliteOptions.Expect(op, optionsType, b.Current));
        (int a, int c) = (Input(b, op, 0), Input(b, op, 1));
        int y = op.Outputs[0];
        bool nchw = Math.Max(b.Rank(a), b.Rank(c)) == 4;
        string target = b.Target(y, o.Activation);
        b.Emit(onnxOp, [Broadcastable(b, a, nchw), Broadcastable(b, c, nchw)], [target]);
        b.Finish(y, target, o.Activation);
    }

    /// <summary>
    /// An operand of a broadcasting op whose output is 4-D: NHWC numpy broadcasting aligns a lower-rank operand with
    /// the trailing (channel-last) axes, so it is padded to rank 4 and transposed like a 4-D value.
    /// </summary>
    private static string Broadcastable(TfliteGraphBuilder b, int t, bool nchw)
    {
        int rank = b.Rank(t);
        if (!nchw || rank == 4) return b.Value(t);
        int[] shape4 = [.. Enumerable.Repeat(1, 4 - rank), .. b.Shape(t)];
        if (b.IsConstant(t))
        {
            Tensor value = b.ConstantFloat(t);
            return b.AddConstant($"{b.Name(t)}/nchw", TfliteGraphBuilder.Transpose(value.Reshape(shape4), TfliteGraphBuilder.ToNchw));
        }
        string reshaped = b.Unique($"{b.Name(t)}/nhwc4");
        b.Emit("Reshape", [b.Value(t), b.AddConstant($"{reshaped}/shape", Longs(shape4.Select(d => (long)d).ToArray()))], [reshaped]);
        string transposed = b.Unique($"{b.Name(t)}/nchw4");
        b.Emit("Transpose", [reshaped], [transposed], ("perm", TfliteGraphBuilder.ToNchw));
        return transposed;
    }

    private static void Pool(TfliteGraphBuilder b, TfliteOperator op, string onnxOp)
    {
        var o = Pool2DOptions.Read(TfliteOptions.Expect(op, TfliteSchema.Options.Pool2D, b.Current));
        int x = Input(b, op, 0);
        int[] xs = Require4D(b, x);
        if (o.StrideH < 1 || o.StrideW < 1) throw b.Current.Fail($"strides {o.StrideH}x{o.StrideW} must be positive");
        if (o.FilterHeight < 1 || o.FilterWidth < 1) throw b.Current.Fail($"filter {o.FilterHeight}x{o.FilterWidth} must be positive");
        (int top, int bottom) = Padding(o.Padding, xs[1], o.FilterHeight, o.StrideH, 1);
        (int left, int right) = Padding(o.Padding, xs[2], o.FilterWidth, o.StrideW, 1);
        int y = op.Outputs[0];
        string target = b.Target(y, o.Activation);
        var attributes = new List<(string, object)>
        {
            ("kernel_shape", new long[] { o.FilterHeight, o.FilterWidth }), ("strides", new long[] { o.StrideH, o.StrideW }),
            ("pads", new long[] { top, left, bottom, right }),
        };
        // TFLite's average divides by the number of in-bounds cells (padding is not counted).
        if (onnxOp == "AveragePool") attributes.Add(("count_include_pad", 0L));
        b.Emit(onnxOp, [b.Value(x)], [target], [.. attributes]);
        b.Finish(y, target, o.Activation);
    }

    private static void MEAN(TfliteGraphBuilder b, TfliteOperator op)
    {
        var o = ReducerOptions.Read(TfliteOptions.Expect(op, TfliteSchema.Options.Reducer, b.Current));
        (int x, int axesTensor) = (Input(b, op, 0), Input(b, op, 1));
        int rank = b.Rank(x);
        int[] axes = NormalizeAxes(b, b.ConstantIntegers(axesTensor), rank);
        int y = op.Outputs[0];
        string target = b.Target(y, TfliteActivation.NONE);
        if (axes.Length == 0)
        {
            b.Emit("Identity", [b.Value(x)], [target]);
        }
        else
        {
            (string input, long[] mapped) = LayoutForReduction(b, x, axes, o.KeepDims);
            b.Emit("ReduceMean", [input], [target], ("axes", mapped), ("keepdims", o.KeepDims ? 1L : 0L));
        }
        b.Finish(y, target, TfliteActivation.NONE);
    }

    /// <summary>
    /// The input and axes of a reduction (or squeeze) of <paramref name="axes"/> (NHWC): on a 4-D value the NCHW value
    /// with mapped axes when the dimensions that remain come out in TFLite's order, else the NHWC value.
    /// </summary>
    private static (string Input, long[] Axes) LayoutForReduction(TfliteGraphBuilder b, int x, int[] axes, bool keepDims)
    {
        if (b.Rank(x) != 4) return (b.Value(x), axes.Select(a => (long)a).ToArray());
        long[] mapped = axes.Select(a => (long)Array.IndexOf(TfliteGraphBuilder.ToNchw, (long)a)).Order().ToArray();
        if (keepDims) return (b.Value(x), mapped);
        // The kept NHWC axes, in NCHW positions: the result keeps TFLite's order only if they stay increasing.
        int previous = -1;
        bool ordered = true;
        for (int a = 0; a < 4; a++)
        {
            if (Array.IndexOf(axes, a) >= 0) continue;
            int position = Array.IndexOf(TfliteGraphBuilder.ToNchw, (long)a);
            ordered &= position > previous;
            previous = position;
        }
        return ordered ? (b.Value(x), mapped) : (b.ValueNhwc(x), axes.Select(a => (long)a).ToArray());
    }

    private static void RESHAPE(TfliteGraphBuilder b, TfliteOperator op)
    {
        var o = ReshapeOptions.Read(TfliteOptions.Expect(op, TfliteSchema.Options.Reshape, b.Current));
        int x = Input(b, op, 0);
        int y = op.Outputs[0];
        int[] target;
        if (OptionalInput(op, 1) is int s and >= 0)
        {
            long[] values = b.ConstantIntegers(s);
            if (values.Length > TfliteModel.MaxRank) throw b.Current.Fail($"the new shape has rank {values.Length}");
            target = values.Select(v => v is < -1 or > int.MaxValue ? throw b.Current.Fail($"new shape dimension {v} is invalid") : (int)v).ToArray();
        }
        else
        {
            target = o.NewShape ?? b.Shape(y);
        }
        int[] xs = b.Shape(x);
        ReshapeTo(b, y, NhwcInput(b, x), target, xs, TfliteActivation.NONE);
    }

    /// <summary>A 4-D value in NHWC order for a reshape; NCHW has that order already when H = W = 1.</summary>
    private static string NhwcInput(TfliteGraphBuilder b, int x)
    {
        int[] xs = b.Shape(x);
        return b.Rank(x) == 4 && !(xs[1] == 1 && xs[2] == 1) ? b.ValueNhwc(x) : b.Value(x);
    }

    /// <summary>
    /// Reshapes <paramref name="input"/> (in NHWC element order, of declared shape <paramref name="inputShape"/>) to
    /// <paramref name="target"/> and binds tensor <paramref name="y"/>; a 4-D result is brought to NCHW. The batch
    /// dimension is copied from the input (ONNX's 0) when the target keeps it, so any batch size runs.
    /// </summary>
    private static void ReshapeTo(TfliteGraphBuilder b, int y, string input, int[] target, int[] inputShape, TfliteActivation activation)
    {
        long[] shape = target.Select(d => (long)d).ToArray();
        if (shape.Length > 0 && inputShape.Length > 0 && shape[0] == inputShape[0] && !shape.Skip(1).Contains(-1)
            && Compilation.MemoryBudget.ElementCount(target.AsSpan(1)) == Compilation.MemoryBudget.ElementCount(inputShape.AsSpan(1)))
            shape[0] = 0;
        int[] outShape = b.Shape(y);
        if (shape.Length != 4)
        {
            string result = b.Target(y, activation);
            b.Emit("Reshape", [input, b.AddConstant($"{b.Name(y)}/shape", Longs(shape))], [result]);
            b.Finish(y, result, activation);
            return;
        }
        if (outShape.Length == 4 && outShape[1] == 1 && outShape[2] == 1)
        {
            // [N, 1, 1, C] and [N, C, 1, 1] hold the same elements in the same order.
            long[] nchw = [shape[0], shape[3], shape[1], shape[2]];
            string result = b.Target(y, activation);
            b.Emit("Reshape", [input, b.AddConstant($"{b.Name(y)}/shape", Longs(nchw))], [result]);
            b.Finish(y, result, activation);
            return;
        }
        string nhwc = b.Unique($"{b.Name(y)}/nhwc");
        b.Emit("Reshape", [input, b.AddConstant($"{b.Name(y)}/shape", Longs(shape))], [nhwc]);
        string target4 = b.Target(y, activation);
        b.Emit("Transpose", [nhwc], [target4], ("perm", TfliteGraphBuilder.ToNchw));
        b.Finish(y, target4, activation);
    }

    private static void SQUEEZE(TfliteGraphBuilder b, TfliteOperator op)
    {
        var o = SqueezeOptions.Read(TfliteOptions.Expect(op, TfliteSchema.Options.Squeeze, b.Current));
        int x = Input(b, op, 0);
        int[] xs = b.Shape(x);
        int[] axes = o.SqueezeDims.Length == 0
            ? Enumerable.Range(0, xs.Length).Where(i => xs[i] == 1).ToArray()
            : NormalizeAxes(b, o.SqueezeDims.Select(a => (long)a).ToArray(), xs.Length);
        foreach (int a in axes)
            if (xs[a] != 1) throw b.Current.Fail($"cannot squeeze dimension {a} of shape [{string.Join(",", xs)}]: it is not 1");
        int y = op.Outputs[0];
        if (axes.Length == 0)
        {
            string same = b.Target(y, TfliteActivation.NONE);
            b.Emit("Identity", [b.Value(x)], [same]);
            b.Finish(y, same, TfliteActivation.NONE);
            return;
        }
        if (xs.Length - axes.Length == 4)
        {
            // Rank 5+ squeezed to 4-D: the result is NHWC and goes through the reshape path to NCHW.
            int[] outShape = xs.Where((_, i) => Array.IndexOf(axes, i) < 0).ToArray();
            ReshapeTo(b, y, b.Value(x), outShape, xs, TfliteActivation.NONE);
            return;
        }
        (string input, long[] mapped) = LayoutForReduction(b, x, axes, keepDims: false);
        string target = b.Target(y, TfliteActivation.NONE);
        b.Emit("Squeeze", [input, b.AddConstant($"{b.Name(y)}/axes", Longs(mapped))], [target]);
        b.Finish(y, target, TfliteActivation.NONE);
    }

    private static void CONCATENATION(TfliteGraphBuilder b, TfliteOperator op)
    {
        var o = ConcatenationOptions.Read(TfliteOptions.Expect(op, TfliteSchema.Options.Concatenation, b.Current));
        if (op.Inputs.Length == 0) throw b.Current.Fail("the operator has no inputs");
        int y = op.Outputs[0];
        int rank = b.Rank(y);
        foreach (int t in op.Inputs)
            if (t < 0 || b.Rank(t) != rank) throw b.Current.Fail($"every input must have the output's rank {rank}");
        long axis = o.Axis < 0 ? o.Axis + rank : o.Axis;
        if (axis < 0 || axis >= rank) throw b.Current.Fail($"axis {o.Axis} is out of range for rank {rank}");
        if (rank == 4) axis = Array.IndexOf(TfliteGraphBuilder.ToNchw, axis);
        string target = b.Target(y, o.Activation);
        b.Emit("Concat", op.Inputs.Select(b.Value).ToArray(), [target], ("axis", axis));
        b.Finish(y, target, o.Activation);
    }

    private static void PAD(TfliteGraphBuilder b, TfliteOperator op)
    {
        (int x, int p) = (Input(b, op, 0), Input(b, op, 1));
        int rank = b.Rank(x);
        long[] paddings = b.ConstantIntegers(p);
        if (paddings.Length != 2 * rank) throw b.Current.Fail($"paddings has {paddings.Length} values; a rank-{rank} input needs {2 * rank}");
        foreach (long v in paddings)
            if (v < 0 || v > int.MaxValue) throw b.Current.Fail($"padding {v} is out of range");
        // TFLite: [[before0, after0], [before1, after1], ...] in NHWC; ONNX: [begin of every axis..., end of every axis...].
        var pads = new long[2 * rank];
        for (int i = 0; i < rank; i++)
        {
            int axis = rank == 4 ? (int)TfliteGraphBuilder.ToNchw[i] : i;
            pads[i] = paddings[2 * axis];
            pads[rank + i] = paddings[2 * axis + 1];
        }
        var inputs = new List<string> { b.Value(x), b.AddConstant($"{b.Name(x)}/pads", Longs(pads)) };
        if (OptionalInput(op, 2) is int c and >= 0)
        {
            // PADV2's pad value (a quantized model's zero point, which is 0.0 in float).
            Tensor value = b.ConstantFloat(c);
            if (value.Length != 1) throw b.Current.Fail("the pad value must be a single element");
            inputs.Add(b.Scalar(value.AsSpan<float>()[0]));
        }
        int y = op.Outputs[0];
        string target = b.Target(y, TfliteActivation.NONE);
        b.Emit("Pad", [.. inputs], [target]);
        b.Finish(y, target, TfliteActivation.NONE);
    }

    private static void SOFTMAX(TfliteGraphBuilder b, TfliteOperator op)
    {
        var o = SoftmaxOptions.Read(TfliteOptions.Expect(op, TfliteSchema.Options.Softmax, b.Current));
        int x = Input(b, op, 0);
        if (!float.IsFinite(o.Beta)) throw b.Current.Fail($"beta {o.Beta} is not finite");
        string input = b.Value(x);
        int y = op.Outputs[0];
        if (o.Beta != 1f)
        {
            string scaled = b.Unique($"{b.Name(y)}/logits");
            b.Emit("Mul", [input, b.Scalar(o.Beta)], [scaled]);
            input = scaled;
        }
        // TFLite normalizes the last (channel) axis, which is axis 1 of an NCHW value.
        long axis = b.Rank(x) == 4 ? 1 : -1;
        string target = b.Target(y, TfliteActivation.NONE);
        b.Emit("Softmax", [input], [target], ("axis", axis));
        b.Finish(y, target, TfliteActivation.NONE);
    }

    private static void Unary(TfliteGraphBuilder b, TfliteOperator op, string onnxOp)
    {
        int x = Input(b, op, 0);
        int y = op.Outputs[0];
        string target = b.Target(y, TfliteActivation.NONE);
        b.Emit(onnxOp, [b.Value(x)], [target]);
        b.Finish(y, target, TfliteActivation.NONE);
    }

    private static void Activation(TfliteGraphBuilder b, TfliteOperator op, TfliteActivation activation)
    {
        int x = Input(b, op, 0);
        int y = op.Outputs[0];
        // Compute into the activation's own target, so the quantization simulation (if on) still follows it.
        string target = b.Target(y, TfliteActivation.NONE);
        b.EmitActivation(activation, b.Value(x), target);
        b.Finish(y, target, TfliteActivation.NONE);
    }

    // Activations are float here: quantizing, requantizing (uint8 <-> int8) or dequantizing leaves the real value as it
    // is, up to rounding, which the quantization simulation reproduces when it is on. A constant (a float16 or int8
    // weight) is read by its consumer as a float constant.
    private static void QUANTIZE(TfliteGraphBuilder b, TfliteOperator op) => RealValuePassThrough(b, op);

    private static void DEQUANTIZE(TfliteGraphBuilder b, TfliteOperator op) => RealValuePassThrough(b, op);

    private static void RealValuePassThrough(TfliteGraphBuilder b, TfliteOperator op)
    {
        int x = Input(b, op, 0);
        int y = op.Outputs[0];
        if (b.IsConstant(x))
        {
            b.AliasConstant(y, x);
            return;
        }
        string target = b.Target(y, TfliteActivation.NONE);
        b.Emit("Identity", [b.Value(x)], [target]);
        b.Finish(y, target, TfliteActivation.NONE);
    }

    private static int Input(TfliteGraphBuilder b, TfliteOperator op, int i)
    {
        if (i >= op.Inputs.Length || op.Inputs[i] < 0) throw b.Current.Fail($"input {i} is required but missing");
        return op.Inputs[i];
    }

    private static int OptionalInput(TfliteOperator op, int i) => i < op.Inputs.Length ? op.Inputs[i] : -1;

    private static int[] Require4D(TfliteGraphBuilder b, int x)
    {
        int[] shape = b.Shape(x);
        if (shape.Length != 4) throw b.Current.Fail($"input {b.Tensor(x)} must be 4-D NHWC, not [{string.Join(",", shape)}]");
        return shape;
    }

    private static Tensor ConstantWeights(TfliteGraphBuilder b, int w)
    {
        if (!b.IsConstant(w)) throw b.Current.Fail($"the weights {b.Tensor(w)} must be constant");
        Tensor weights = b.ConstantFloat(w);
        if (weights.Rank is not (2 or 4)) throw b.Current.Fail($"the weights {b.Tensor(w)} have rank {weights.Rank}");
        return weights;
    }

    /// <summary>
    /// The bias constant (length <paramref name="channels"/>), or null when absent. An int32 bias without its own
    /// scale uses input_scale · weight_scale, the converter's rule.
    /// </summary>
    private static string? Bias(TfliteGraphBuilder b, int bias, int channels, int input, int weights)
    {
        if (bias < 0) return null;
        if (!b.IsConstant(bias)) throw b.Current.Fail($"the bias {b.Tensor(bias)} must be constant");
        TfliteTensor tensor = b.Tensor(bias);
        Tensor value;
        if (tensor.Type == TfliteTensorType.INT32 && !tensor.IsQuantized && b.Tensor(input).IsQuantized && b.Tensor(weights).IsQuantized)
        {
            long[] raw = b.ConstantIntegers(bias);
            float inputScale = b.Tensor(input).Quantization!.Scale[0];
            float[] weightScales = b.Tensor(weights).Quantization!.Scale;
            var values = new float[raw.Length];
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)(raw[i] * (double)inputScale * weightScales[weightScales.Length == 1 ? 0 : i % weightScales.Length]);
            value = Tensor.Create(values, tensor.Shape);
        }
        else
        {
            value = b.ConstantFloat(bias);
        }
        if (value.Length != channels) throw b.Current.Fail($"the bias has {value.Length} values for {channels} output channels");
        return b.AddConstant($"{b.Name(bias)}/bias", value.Reshape(channels));
    }

    private static int[] NormalizeAxes(TfliteGraphBuilder b, long[] axes, int rank)
    {
        var result = new List<int>(axes.Length);
        foreach (long a in axes)
        {
            long axis = a < 0 ? a + rank : a;
            if (axis < 0 || axis >= rank) throw b.Current.Fail($"axis {a} is out of range for rank {rank}");
            if (!result.Contains((int)axis)) result.Add((int)axis);
        }
        result.Sort();
        return [.. result];
    }

    private static Tensor Longs(long[] values) => Tensor.Create(values, values.Length);
}
