using Pipeline.Graph;
using Pipeline.Graph.Tflite;
using Pipeline.Tensors;
using Options = Pipeline.Graph.Tflite.TfliteSchema.Options;
using R = Pipeline.Tests.Graph.Tflite.NhwcReference;

namespace Pipeline.Tests.Graph.Tflite;

/// <summary>
/// Each operator translation on a tiny model built here, run through <see cref="Network"/> and compared with the
/// naive NHWC reference: odd sizes, asymmetric SAME padding, strides, dilation, broadcasting, fused activations,
/// batch above 1, and taps at 4-D intermediates (which come out NCHW).
/// </summary>
public sealed class TfliteOperatorTests
{
    private const float Tolerance = 1e-4f;

    private static float[] Random(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Runs the model on one float input (any batch), returning the first output or the named tap.</summary>
    internal static float[] Run(byte[] model, float[] input, int[] shape, string? output = null, TfliteImportOptions? options = null)
    {
        using Network network = Network.FromGraph(TfliteModelReader.Read(model, "test.tflite", options), new NetworkOptions { Threads = 1 });
        Tensor result = output is null
            ? network.Run(Tensor.Create(input, shape))[0]
            : network.Run(Tensor.Create(input, shape), output)[0];
        return result.AsSpan<float>().ToArray();
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance = Tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(7, 9, 3, 4, 3, 3, 2, 2, 1, 1, (int)TflitePadding.SAME, (int)TfliteActivation.RELU6, 1)]
    [InlineData(6, 6, 5, 3, 3, 3, 2, 1, 1, 1, (int)TflitePadding.SAME, (int)TfliteActivation.NONE, 2)]
    [InlineData(8, 7, 4, 6, 3, 2, 1, 1, 2, 3, (int)TflitePadding.SAME, (int)TfliteActivation.RELU, 1)]
    [InlineData(9, 8, 3, 5, 3, 3, 2, 3, 1, 1, (int)TflitePadding.VALID, (int)TfliteActivation.RELU_N1_TO_1, 3)]
    [InlineData(5, 5, 6, 4, 1, 1, 1, 1, 1, 1, (int)TflitePadding.SAME, (int)TfliteActivation.NONE, 1)]
    public void Conv2DMatchesTheNhwcReference(int h, int w, int c, int o, int kh, int kw, int sh, int sw, int dh, int dw,
        int paddingCode, int activationCode, int batch)
    {
        var (padding, activation) = ((TflitePadding)paddingCode, (TfliteActivation)activationCode);
        int[] xs = [batch, h, w, c], ws = [o, kh, kw, c];
        float[] x = Random(Count(xs), 1), weights = Random(Count(ws), 2), bias = Random(o, 3);
        float[] expected = R.Conv(x, xs, weights, ws, bias, sh, sw, dh, dw, padding, depthwise: false, out int[] ys);
        expected = expected.Select(v => R.Activate(activation, v)).ToArray();

        var m = new TfliteBuilder();
        int xi = m.Tensor("x", [1, h, w, c]);
        int wi = m.Constant("w", ws, weights);
        int bi = m.Constant("b", [o], bias);
        int yi = m.Tensor("y", [1, ys[1], ys[2], o]);
        m.Operator(BuiltinOperator.CONV_2D, [xi, wi, bi], [yi], Options.Conv2D, TfliteBuilder.Conv2D(padding, sw, sh, activation, dw, dh));
        m.Inputs(xi).Outputs(yi);
        AssertClose(expected, Run(m.Build(), x, xs));
    }

    [Fact]
    public void GroupedConv2DSplitsChannels()
    {
        int[] xs = [1, 5, 6, 4], ws = [6, 3, 3, 2];
        float[] x = Random(Count(xs), 4), weights = Random(Count(ws), 5);
        float[] expected = R.Conv(x, xs, weights, ws, null, 1, 1, 1, 1, TflitePadding.SAME, depthwise: false, out int[] ys);
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", xs);
        int wi = m.Constant("w", ws, weights);
        int yi = m.Tensor("y", ys);
        m.Operator(BuiltinOperator.CONV_2D, [xi, wi, -1], [yi], Options.Conv2D, TfliteBuilder.Conv2D(TflitePadding.SAME, 1, 1));
        m.Inputs(xi).Outputs(yi);
        AssertClose(expected, Run(m.Build(), x, xs));
    }

    [Theory]
    [InlineData(7, 9, 3, 1, 3, 2, 1, (int)TflitePadding.SAME, (int)TfliteActivation.RELU6, 1)]
    [InlineData(8, 8, 4, 2, 3, 2, 1, (int)TflitePadding.SAME, (int)TfliteActivation.NONE, 2)]
    [InlineData(9, 6, 5, 3, 3, 1, 2, (int)TflitePadding.VALID, (int)TfliteActivation.RELU, 1)]
    [InlineData(6, 7, 17, 1, 5, 1, 1, (int)TflitePadding.SAME, (int)TfliteActivation.NONE, 1)]
    public void DepthwiseConv2DMatchesTheNhwcReference(int h, int w, int c, int multiplier, int k, int stride, int dilation,
        int paddingCode, int activationCode, int batch)
    {
        var (padding, activation) = ((TflitePadding)paddingCode, (TfliteActivation)activationCode);
        int m = c * multiplier;
        int[] xs = [batch, h, w, c], ws = [1, k, k, m];
        float[] x = Random(Count(xs), 6), weights = Random(Count(ws), 7), bias = Random(m, 8);
        float[] expected = R.Conv(x, xs, weights, ws, bias, stride, stride, dilation, dilation, padding, depthwise: true, out int[] ys)
            .Select(v => R.Activate(activation, v)).ToArray();

        var b = new TfliteBuilder();
        int xi = b.Tensor("x", [1, h, w, c]);
        int wi = b.Constant("w", ws, weights);
        int bi = b.Constant("b", [m], bias);
        int yi = b.Tensor("y", [1, ys[1], ys[2], m]);
        b.Operator(BuiltinOperator.DEPTHWISE_CONV_2D, [xi, wi, bi], [yi], Options.DepthwiseConv2D,
            TfliteBuilder.DepthwiseConv2D(padding, stride, stride, multiplier, activation, dilation, dilation));
        b.Inputs(xi).Outputs(yi);
        AssertClose(expected, Run(b.Build(), x, xs));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void FullyConnectedFlattensAFeatureMapInNhwcOrder(int batch)
    {
        // [N, 2, 3, 4] → 24 inputs per row: the flatten order is NHWC, not the engine's NCHW.
        int[] xs = [batch, 2, 3, 4];
        float[] x = Random(Count(xs), 9), weights = Random(5 * 24, 10), bias = Random(5, 11);
        float[] expected = R.FullyConnected(x, weights, 5, 24, bias).Select(v => Math.Max(v, 0)).ToArray();
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", [1, 2, 3, 4]);
        int wi = m.Constant("w", [5, 24], weights);
        int bi = m.Constant("b", [5], bias);
        int yi = m.Tensor("y", [1, 5]);
        m.Operator(BuiltinOperator.FULLY_CONNECTED, [xi, wi, bi], [yi], Options.FullyConnected, TfliteBuilder.FullyConnected(TfliteActivation.RELU));
        m.Inputs(xi).Outputs(yi);
        AssertClose(expected, Run(m.Build(), x, xs));
    }

    [Fact]
    public void FullyConnectedKeepNumDimsKeepsTheLeadingDimensions()
    {
        int[] xs = [2, 3, 4];
        float[] x = Random(Count(xs), 12), weights = Random(6 * 4, 13);
        float[] expected = R.FullyConnected(x, weights, 6, 4, null);
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", xs);
        int wi = m.Constant("w", [6, 4], weights);
        int yi = m.Tensor("y", [2, 3, 6]);
        m.Operator(BuiltinOperator.FULLY_CONNECTED, [xi, wi, -1], [yi], Options.FullyConnected, TfliteBuilder.FullyConnected(keepNumDims: true));
        m.Inputs(xi).Outputs(yi);
        using Network network = Network.FromGraph(TfliteModelReader.Read(m.Build()), new NetworkOptions { Threads = 1 });
        Tensor result = network.Run(Tensor.Create(x, xs))[0];
        Assert.Equal([2, 3, 6], result.ShapeArray());
        AssertClose(expected, result.AsSpan<float>().ToArray());
    }

    [Theory]
    [InlineData((int)BuiltinOperator.ADD, (int)Options.Add, (int)TfliteActivation.NONE)]
    [InlineData((int)BuiltinOperator.SUB, (int)Options.Sub, (int)TfliteActivation.RELU)]
    [InlineData((int)BuiltinOperator.MUL, (int)Options.Mul, (int)TfliteActivation.RELU6)]
    public void ArithmeticBroadcastsAChannelConstantInNhwc(int opCode, int optionsCode, int activationCode)
    {
        var (op, optionsType, activation) = ((BuiltinOperator)opCode, (byte)optionsCode, (TfliteActivation)activationCode);
        int[] xs = [2, 3, 5, 4];
        float[] x = Random(Count(xs), 14, 4), x2 = Random(Count(xs), 15, 4), channel = Random(4, 16, 4);
        Func<float, float, float> f = op switch { BuiltinOperator.ADD => (a, b) => a + b, BuiltinOperator.SUB => (a, b) => a - b, _ => (a, b) => a * b };
        var expected = new float[x.Length];
        for (int i = 0; i < x.Length; i++) expected[i] = R.Activate(activation, f(f(x[i], x2[i]), channel[i % 4]));

        var m = new TfliteBuilder();
        int xi = m.Tensor("x", [1, 3, 5, 4]);
        int x2i = m.Tensor("x2", [1, 3, 5, 4]);
        int ci = m.Constant("c", [4], channel);
        int ti = m.Tensor("t", [1, 3, 5, 4]);
        int yi = m.Tensor("y", [1, 3, 5, 4]);
        m.Operator(op, [xi, x2i], [ti], optionsType, TfliteBuilder.Activation(TfliteActivation.NONE));
        m.Operator(op, [ti, ci], [yi], optionsType, TfliteBuilder.Activation(activation));
        m.Inputs(xi, x2i).Outputs(yi);
        using Network network = Network.FromGraph(TfliteModelReader.Read(m.Build()), new NetworkOptions { Threads = 1 });
        Tensor result = network.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Create(x, xs), ["x2"] = Tensor.Create(x2, xs) })["y"];
        Assert.Equal(xs, result.ShapeArray());
        AssertClose(expected, result.AsSpan<float>().ToArray());
    }

    [Theory]
    [InlineData(false, 3, 3, 2, 2, (int)TflitePadding.SAME)]
    [InlineData(true, 3, 3, 2, 2, (int)TflitePadding.SAME)]
    [InlineData(false, 2, 3, 1, 2, (int)TflitePadding.VALID)]
    [InlineData(true, 7, 7, 1, 1, (int)TflitePadding.VALID)]
    public void PoolingMatchesTheNhwcReference(bool max, int fh, int fw, int sh, int sw, int paddingCode)
    {
        var padding = (TflitePadding)paddingCode;
        int[] xs = [2, 7, 7, 3];
        float[] x = Random(Count(xs), 17);
        float[] expected = R.Pool(x, xs, fh, fw, sh, sw, padding, max, out int[] ys);
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", [1, 7, 7, 3]);
        int yi = m.Tensor("y", [1, ys[1], ys[2], 3]);
        m.Operator(max ? BuiltinOperator.MAX_POOL_2D : BuiltinOperator.AVERAGE_POOL_2D, [xi], [yi], Options.Pool2D,
            TfliteBuilder.Pool2D(padding, sw, sh, fw, fh));
        m.Inputs(xi).Outputs(yi);
        AssertClose(expected, Run(m.Build(), x, xs));
    }

    [Theory]
    [InlineData(new[] { 1, 2 }, false)]
    [InlineData(new[] { 1, 2 }, true)]
    [InlineData(new[] { 3 }, false)]
    [InlineData(new[] { -1, 1 }, false)]
    [InlineData(new[] { 2 }, false)]
    public void MeanReducesTheNhwcAxes(int[] axes, bool keepDims)
    {
        int[] xs = [2, 3, 4, 5];
        float[] x = Random(Count(xs), 18);
        int[] normalized = axes.Select(a => a < 0 ? a + 4 : a).Distinct().Order().ToArray();
        float[] expected = R.Mean(x, xs, normalized, out int[] kept);
        int[] outShape = keepDims ? kept : xs.Where((_, i) => !normalized.Contains(i)).ToArray();
        int[] declared = [1, .. outShape[1..]];
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", [1, 3, 4, 5]);
        int ai = m.IntConstant("axes", [axes.Length], axes);
        int yi = m.Tensor("y", declared);
        m.Operator(BuiltinOperator.MEAN, [xi, ai], [yi], Options.Reducer, TfliteBuilder.Reducer(keepDims));
        m.Inputs(xi).Outputs(yi);
        using Network network = Network.FromGraph(TfliteModelReader.Read(m.Build()), new NetworkOptions { Threads = 1 });
        Tensor result = network.Run(Tensor.Create(x, xs))[0];
        Assert.Equal(outShape, result.ShapeArray());
        AssertClose(expected, result.AsSpan<float>().ToArray());
    }

    [Theory]
    [InlineData(new[] { 1, 24 }, 1)]
    [InlineData(new[] { 1, 24 }, 3)]
    [InlineData(new[] { 1, 4, 3, 2 }, 2)]
    [InlineData(new[] { 1, 1, 1, 24 }, 2)]
    [InlineData(new[] { -1, 6 }, 1)]
    public void ReshapeFollowsNhwcElementOrder(int[] target, int batch)
    {
        // A reshape then a conv with a 1x1 identity-like filter would hide order errors; compare the raw reshape and,
        // for a 4-D result, a MAX_POOL 1x1 after it (so the output passes through an NCHW value).
        int[] xs = [batch, 2, 3, 4];
        float[] x = Random(Count(xs), 19);
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", [1, 2, 3, 4]);
        int si = m.IntConstant("shape", [target.Length], target);
        int[] declared = target[0] == -1 ? [4, 6] : target;
        int yi = m.Tensor("y", declared);
        m.Operator(BuiltinOperator.RESHAPE, [xi, si], [yi], Options.Reshape, TfliteBuilder.Reshape(target));
        int output = yi;
        if (target.Length == 4)
        {
            output = m.Tensor("z", target);
            m.Operator(BuiltinOperator.MAX_POOL_2D, [yi], [output], Options.Pool2D, TfliteBuilder.Pool2D(TflitePadding.VALID, 1, 1, 1, 1));
        }
        m.Inputs(xi).Outputs(output);
        float[] actual = Run(m.Build(), x, xs);
        AssertClose(x, actual, 0);
    }

    [Fact]
    public void SqueezeAndConcatenationMapAxes()
    {
        // x [N,3,1,4] squeeze dim 2 → [N,3,4]; a, b [N,2,3,k] concatenated on axis -1 (channels).
        int[] xs = [2, 3, 1, 4];
        float[] x = Random(Count(xs), 20);
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", [1, 3, 1, 4]);
        int yi = m.Tensor("y", [1, 3, 4]);
        m.Operator(BuiltinOperator.SQUEEZE, [xi], [yi], Options.Squeeze, TfliteBuilder.Squeeze(2));
        m.Inputs(xi).Outputs(yi);
        AssertClose(x, Run(m.Build(), x, xs), 0);

        int[] aShape = [2, 2, 3, 3], bShape = [2, 2, 3, 5];
        float[] a = Random(Count(aShape), 21), bv = Random(Count(bShape), 22), c = Random(2 * 3 * 2, 23);
        float[] cBatched = [.. c, .. c];
        float[] expected = R.Concat([a, bv, cBatched], [aShape, bShape, [2, 2, 3, 2]], 3).Select(v => Math.Max(v, 0)).ToArray();
        var n = new TfliteBuilder();
        int ai = n.Tensor("a", [1, 2, 3, 3]);
        int bi = n.Tensor("b", [1, 2, 3, 5]);
        int ci = n.Constant("c", [1, 2, 3, 2], c);
        int oi = n.Tensor("o", [1, 2, 3, 10]);
        n.Operator(BuiltinOperator.CONCATENATION, [ai, bi, ci], [oi], Options.Concatenation, TfliteBuilder.Concatenation(-1, TfliteActivation.RELU));
        n.Inputs(ai, bi).Outputs(oi);
        using Network network = Network.FromGraph(TfliteModelReader.Read(n.Build()), new NetworkOptions { Threads = 1 });
        // The constant has batch 1, so only batch 1 concatenates; run each image of the batch on its own.
        for (int image = 0; image < 2; image++)
        {
            Tensor result = network.Run(new Dictionary<string, Tensor>
            {
                ["a"] = Tensor.Create(a.AsSpan(image * 18, 18).ToArray(), 1, 2, 3, 3),
                ["b"] = Tensor.Create(bv.AsSpan(image * 30, 30).ToArray(), 1, 2, 3, 5),
            })["o"];
            AssertClose(expected.AsSpan(image * 60, 60).ToArray(), result.AsSpan<float>().ToArray());
        }
    }

    [Fact]
    public void PadPermutesThePaddings()
    {
        int[] xs = [1, 3, 4, 2];
        int[] paddings = [0, 0, 1, 2, 0, 1, 1, 0];
        float[] x = Random(Count(xs), 24);
        float[] expected = R.Pad(x, xs, paddings, out int[] ys);
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", xs);
        int pi = m.IntConstant("paddings", [4, 2], paddings);
        int yi = m.Tensor("y", ys);
        m.Operator(BuiltinOperator.PAD, [xi, pi], [yi], Options.Pad, Fb.T());
        m.Inputs(xi).Outputs(yi);
        AssertClose(expected, Run(m.Build(), x, xs), 0);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0.5f)]
    public void SoftmaxUsesBetaOnTheLastAxis(float beta)
    {
        int[] xs = [3, 7];
        float[] x = Random(Count(xs), 25, 5);
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", [1, 7]);
        int yi = m.Tensor("y", [1, 7]);
        m.Operator(BuiltinOperator.SOFTMAX, [xi], [yi], Options.Softmax, TfliteBuilder.Softmax(beta));
        m.Inputs(xi).Outputs(yi);
        AssertClose(R.Softmax(x, 7, beta), Run(m.Build(), x, xs));

        // On a 4-D value the last axis is the channel axis.
        int[] fs = [1, 2, 3, 5];
        float[] f = Random(Count(fs), 26, 5);
        var n = new TfliteBuilder();
        int fi = n.Tensor("f", fs);
        int gi = n.Tensor("g", fs);
        n.Operator(BuiltinOperator.SOFTMAX, [fi], [gi], Options.Softmax, TfliteBuilder.Softmax(beta));
        n.Inputs(fi).Outputs(gi);
        AssertClose(R.Softmax(f, 5, beta), Run(n.Build(), f, fs));
    }

    [Theory]
    [InlineData((int)BuiltinOperator.LOGISTIC)]
    [InlineData((int)BuiltinOperator.HARD_SWISH)]
    [InlineData((int)BuiltinOperator.RELU)]
    [InlineData((int)BuiltinOperator.RELU6)]
    [InlineData((int)BuiltinOperator.RELU_N1_TO_1)]
    [InlineData((int)BuiltinOperator.TANH)]
    public void ElementwiseActivationsMatch(int opCode)
    {
        var op = (BuiltinOperator)opCode;
        int[] xs = [2, 3, 4, 5];
        float[] x = Random(Count(xs), 27, 8);
        Func<float, float> f = op switch
        {
            BuiltinOperator.LOGISTIC => R.Logistic,
            BuiltinOperator.HARD_SWISH => R.HardSwish,
            BuiltinOperator.RELU => v => R.Activate(TfliteActivation.RELU, v),
            BuiltinOperator.RELU6 => v => R.Activate(TfliteActivation.RELU6, v),
            BuiltinOperator.RELU_N1_TO_1 => v => R.Activate(TfliteActivation.RELU_N1_TO_1, v),
            _ => MathF.Tanh,
        };
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", [1, 3, 4, 5]);
        int yi = m.Tensor("y", [1, 3, 4, 5]);
        m.Operator(op, [xi], [yi]);
        m.Inputs(xi).Outputs(yi);
        AssertClose(x.Select(f).ToArray(), Run(m.Build(), x, xs), 2e-4f);
    }

    [Fact]
    public void FourDimensionalTapsComeOutNchwAndOutputsNhwc()
    {
        int[] xs = [1, 5, 4, 3], ws = [2, 3, 3, 3];
        float[] x = Random(Count(xs), 28), weights = Random(Count(ws), 29);
        float[] conv = R.Conv(x, xs, weights, ws, null, 1, 1, 1, 1, TflitePadding.SAME, false, out int[] ys);
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", xs);
        int wi = m.Constant("w", ws, weights);
        int ci = m.Tensor("features", ys);
        int yi = m.Tensor("y", ys);
        m.Operator(BuiltinOperator.CONV_2D, [xi, wi, -1], [ci], Options.Conv2D, TfliteBuilder.Conv2D(TflitePadding.SAME, 1, 1));
        m.Operator(BuiltinOperator.RELU, [ci], [yi]);
        m.Inputs(xi).Outputs(yi);
        byte[] model = m.Build();
        AssertClose(R.ToNchw(conv, ys), Run(model, x, xs, "features"));
        AssertClose(conv.Select(v => Math.Max(v, 0)).ToArray(), Run(model, x, xs));
        using Network network = Network.FromGraph(TfliteModelReader.Read(model), null);
        NetworkValue features = network.DescribeValues().Single(v => v.Name == "features");
        Assert.Equal([1, 2, 5, 4], features.Shape);
        Assert.Equal([1, 5, 4, 2], network.Outputs[0].Shape);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void QuantizedModelsDequantizeInputsWeightsAndBiases(bool int16Weights)
    {
        // uint8 input (scale 1/128, zero 128), int8 (or int16) per-channel weights, int32 bias with scale input·weight:
        // the float graph must equal the float convolution of the dequantized values.
        int[] xs = [1, 4, 5, 3], ws = [2, 3, 3, 3];
        var random = new Random(30);
        byte[] xq = Enumerable.Range(0, Count(xs)).Select(_ => (byte)random.Next(256)).ToArray();
        sbyte[] wq = Enumerable.Range(0, Count(ws)).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        int[] bq = [1000, -2000];
        float inScale = 1 / 128f;
        float[] wScale = [0.01f, 0.02f];
        float[] x = xq.Select(v => (v - 128) * inScale).ToArray();
        float[] w = wq.Select((v, i) => v * wScale[i / 27]).ToArray();
        float[] bias = bq.Select((v, i) => v * inScale * wScale[i]).ToArray();
        float[] expected = R.Conv(x, xs, w, ws, bias, 2, 2, 1, 1, TflitePadding.SAME, false, out int[] ys);

        var m = new TfliteBuilder();
        int xi = m.Tensor("image", xs, TfliteTensorType.UINT8, TfliteBuilder.Quantization([inScale], [128]));
        byte[] wBytes = int16Weights ? wq.SelectMany(v => BitConverter.GetBytes((short)v)).ToArray() : wq.Select(v => (byte)v).ToArray();
        int wi = m.RawConstant("w", ws, int16Weights ? TfliteTensorType.INT16 : TfliteTensorType.INT8, wBytes, TfliteBuilder.Quantization(wScale, [0, 0], 0));
        int bi = m.RawConstant("b", [2], TfliteTensorType.INT32, bq.SelectMany(BitConverter.GetBytes).ToArray(),
            TfliteBuilder.Quantization([inScale * wScale[0], inScale * wScale[1]], [0, 0], 0));
        int yi = m.Tensor("y", ys, TfliteTensorType.UINT8, TfliteBuilder.Quantization([0.05f], [100]));
        int zi = m.Tensor("z", ys, TfliteTensorType.FLOAT32);
        m.Operator(BuiltinOperator.CONV_2D, [xi, wi, bi], [yi], Options.Conv2D, TfliteBuilder.Conv2D(TflitePadding.SAME, 2, 2));
        m.Operator(BuiltinOperator.DEQUANTIZE, [yi], [zi]);
        m.Inputs(xi).Outputs(zi);
        byte[] model = m.Build();

        using Network network = Network.FromGraph(TfliteModelReader.Read(model), new NetworkOptions { Threads = 1 });
        Assert.Equal(DataType.UInt8, network.Inputs[0].Type);
        Tensor result = network.Run(Tensor.Create(xq, xs))[0];
        AssertClose(expected, result.AsSpan<float>().ToArray());

        // With the simulation on, the output lands on the uint8 grid of y: 0.05 · (q − 100), q in 0..255.
        using Network simulated = Network.FromGraph(TfliteModelReader.Read(model, null, new TfliteImportOptions { SimulateQuantization = true }),
            new NetworkOptions { Threads = 1 });
        float[] rounded = simulated.Run(Tensor.Create(xq, xs))[0].AsSpan<float>().ToArray();
        for (int i = 0; i < rounded.Length; i++)
        {
            float q = Math.Clamp(MathF.Round(expected[i] / 0.05f) + 100, 0, 255);
            Assert.True(Math.Abs((q - 100) * 0.05f - rounded[i]) < 1e-4f || Math.Abs(expected[i] / 0.05f % 1) is > 0.49f and < 0.51f,
                $"element {i}: {expected[i]} should round to {(q - 100) * 0.05f}, got {rounded[i]}");
        }
    }

    [Theory]
    [InlineData("edgetpu-custom-op", "Edge TPU")]
    [InlineData("TFLite_Detection_PostProcess", "custom operator 'TFLite_Detection_PostProcess'")]
    public void CustomOperatorsAreRejectedByName(string code, string expected)
    {
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", [1, 4]);
        int yi = m.Tensor("out_tensor", [1, 4]);
        m.Custom(code, [xi], [yi]);
        m.Inputs(xi).Outputs(yi);
        var e = Assert.Throws<InvalidModelException>(() => Network.Load(m.Build()));
        Assert.Contains(expected, e.Message);
        Assert.Contains("out_tensor", e.Node);
        Assert.Contains("#0", e.Node);
    }

    [Fact]
    public void UnsupportedBuiltinsAreRejectedWithNameAndVersion()
    {
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", [1, 4, 4, 3]);
        int yi = m.Tensor("resized", [1, 8, 8, 3]);
        m.Operator(BuiltinOperator.RESIZE_BILINEAR, [xi], [yi], version: 3);
        m.Inputs(xi).Outputs(yi);
        var e = Assert.Throws<InvalidModelException>(() => Network.Load(m.Build()));
        Assert.Equal("RESIZE_BILINEAR", e.OpType);
        Assert.Equal(3, e.Opset);
        Assert.Contains("version 3", e.Message);
        Assert.Contains("resized", e.Message);
    }

    [Theory]
    [InlineData(5, 3, 2, 1, 1, 1)]
    [InlineData(6, 3, 2, 1, 0, 1)]
    [InlineData(224, 3, 2, 1, 0, 1)]
    [InlineData(7, 3, 1, 2, 2, 2)]
    [InlineData(4, 1, 1, 1, 0, 0)]
    [InlineData(3, 7, 1, 1, 3, 3)]
    public void SamePaddingIsTflites(int input, int kernel, int stride, int dilation, int before, int after)
        => Assert.Equal((before, after), TfliteOperators.Padding(TflitePadding.SAME, input, kernel, stride, dilation));

    [Fact]
    public void BuffersStoredAfterTheFlatbufferAreRead()
    {
        // The >2 GB layout: Buffer.offset/size point past the flatbuffer, into the same file.
        float[] x = Random(2 * 3, 31), k = Random(3, 32);
        var m = new TfliteBuilder();
        int xi = m.Tensor("x", [2, 3]);
        int ki = m.ExternalConstant("k", [3], k);
        int yi = m.Tensor("y", [2, 3]);
        m.Operator(BuiltinOperator.MUL, [xi, ki], [yi], Options.Mul, TfliteBuilder.Activation(TfliteActivation.NONE));
        m.Inputs(xi).Outputs(yi);
        AssertClose(x.Select((v, i) => v * k[i % 3]).ToArray(), Run(m.Build(), x, [2, 3]));

        var lying = new TfliteBuilder();
        xi = lying.Tensor("x", [2, 3]);
        ki = lying.ExternalConstant("k", [3], k, offsetShift: 1L << 32);
        yi = lying.Tensor("y", [2, 3]);
        lying.Operator(BuiltinOperator.MUL, [xi, ki], [yi], Options.Mul, TfliteBuilder.Activation(TfliteActivation.NONE));
        lying.Inputs(xi).Outputs(yi);
        var e = Assert.Throws<InvalidModelException>(() => Network.Load(lying.Build()));
        Assert.Contains("beyond", e.Message);
    }

    [Fact]
    public void DepthwiseInt8WeightsArePerChannelOnTheLastAxis()
    {
        // int8 symmetric per-channel depthwise weights: quantized_dimension 3, one scale per output channel.
        int[] xs = [1, 5, 6, 4], ws = [1, 3, 3, 8];
        var random = new Random(33);
        float[] x = Random(Count(xs), 34);
        sbyte[] wq = Enumerable.Range(0, Count(ws)).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        float[] scales = Enumerable.Range(1, 8).Select(i => 0.01f * i).ToArray();
        float[] w = wq.Select((v, i) => v * scales[i % 8]).ToArray();
        float[] expected = R.Conv(x, xs, w, ws, null, 2, 2, 1, 1, TflitePadding.SAME, depthwise: true, out int[] ys);

        var m = new TfliteBuilder();
        int xi = m.Tensor("x", xs);
        int wi = m.RawConstant("w", ws, TfliteTensorType.INT8, wq.Select(v => (byte)v).ToArray(), TfliteBuilder.Quantization(scales, new long[8], 3));
        int yi = m.Tensor("y", ys);
        m.Operator(BuiltinOperator.DEPTHWISE_CONV_2D, [xi, wi, -1], [yi], Options.DepthwiseConv2D, TfliteBuilder.DepthwiseConv2D(TflitePadding.SAME, 2, 2, 2));
        m.Inputs(xi).Outputs(yi);
        AssertClose(expected, Run(m.Build(), x, xs));
    }
}
