using Pipeline.Graph;
using Pipeline.Graph.Ops.Convolution;
using Pipeline.Tensors;

namespace Pipeline.Tests.Graph.Compilation;

/// <summary>
/// Expand (1×1) → depthwise → project (1×1) convs fuse into one <see cref="InvertedResidualOperator"/>. The fused kernel
/// computes what the unrewritten graph computes (to rounding: unrewritten, the residual Add and the bias are summed in
/// another order), in strips of rows (several threads, an expanded tensor over 1 MB) and whole, at strides 1 and 2, TFLite's asymmetric
/// SAME pads, odd sizes, 1–3 threads, a batch of 2, with and without residual and biases. InvertedResidualConvolutionTests
/// check the kernel bit for bit against the unfused kernels.
/// </summary>
public sealed class InvertedResidualFusionTests
{
    private static float[] Values(int n, int seed, float scale = 1)
    {
        var random = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>
    /// x [batch, c, h, w] → Conv 1×1 (c → e) → Relu → depthwise k×k stride s → Clip(0, 6) → Conv 1×1 (e → c) [→ Add x] → y.
    /// </summary>
    private static OnnxBuilder Block(int batch, int c, int e, int h, int w, int stride, long[] pads, bool residual, bool biases, int kernel = 3, int dilation = 1)
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, batch, c, h, w)
            .Initializer("we", Values(e * c, 1, 0.5f), e, c, 1, 1)
            .Initializer("wd", Values(e * kernel * kernel, 2, 0.5f), e, 1, kernel, kernel)
            .Initializer("wp", Values(c * e, 3, 0.3f), c, e, 1, 1)
            .Initializer("lo", [0f])
            .Initializer("hi", [6f]);
        if (biases) builder.Initializer("be", Values(e, 4), e).Initializer("bd", Values(e, 5), e).Initializer("bp", Values(c, 6), c);
        builder.Node("Conv", biases ? ["x", "we", "be"] : ["x", "we"], ["expanded"], "expand")
            .Node("Relu", ["expanded"], ["expanded_relu"], "expand_relu")
            .Node("Conv", biases ? ["expanded_relu", "wd", "bd"] : ["expanded_relu", "wd"], ["filtered"], "depthwise",
                OnnxBuilder.Int("group", e), OnnxBuilder.Ints("strides", stride, stride), OnnxBuilder.Ints("pads", pads),
                OnnxBuilder.Ints("dilations", dilation, dilation))
            .Node("Clip", ["filtered", "lo", "hi"], ["filtered6"], "depthwise_relu6")
            .Node("Conv", biases ? ["filtered6", "wp", "bp"] : ["filtered6", "wp"], ["projected"], "project");
        if (residual) builder.Node("Add", ["projected", "x"], ["y"], "add").Output("y");
        else builder.Output("projected");
        return builder;
    }

    [Theory]
    [InlineData(1, 8, 48, 80, 80, 1, new long[] { 1, 1, 1, 1 }, true, true, 1)]
    [InlineData(1, 8, 48, 80, 80, 1, new long[] { 1, 1, 1, 1 }, true, true, 2)]
    [InlineData(2, 8, 48, 77, 75, 1, new long[] { 1, 1, 1, 1 }, true, false, 3)]
    [InlineData(1, 16, 96, 112, 112, 2, new long[] { 0, 0, 1, 1 }, false, true, 1)]
    [InlineData(1, 16, 96, 112, 112, 2, new long[] { 0, 0, 1, 1 }, false, true, 2)]
    [InlineData(1, 8, 40, 81, 83, 2, new long[] { 1, 1, 1, 1 }, false, true, 2)]
    [InlineData(1, 6, 36, 96, 70, 1, new long[] { 2, 0, 0, 2 }, true, true, 2)]
    [InlineData(3, 16, 64, 14, 14, 1, new long[] { 1, 1, 1, 1 }, true, true, 2)]
    [InlineData(1, 32, 192, 7, 7, 2, new long[] { 0, 0, 1, 1 }, false, true, 2)]
    public void Fuses_and_computes_the_same(int batch, int c, int e, int h, int w, int stride, long[] pads, bool residual, bool biases, int threads)
    {
        OnnxBuilder builder = Block(batch, c, e, h, w, stride, pads, residual, biases);
        using Network fused = Network.Load(builder.Build(), new NetworkOptions { Threads = threads });
        using Network plain = Network.Load(builder.Build(), new NetworkOptions { Threads = threads, OptimizeGraph = false });
        GraphNode node = Assert.Single(fused.RunGraph.Nodes);
        Assert.IsType<InvertedResidualOperator>(node.Operator);

        var x = Tensor.Create(Values(batch * c * h * w, 7), batch, c, h, w);
        float[] expected = plain.Run(x)[0].AsSpan<float>().ToArray();
        float[] actual = fused.Run(x)[0].AsSpan<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f + 1e-5f * Math.Abs(expected[i]), $"element {i}: {actual[i]} fused, {expected[i]} unfused");
        Assert.Contains(actual, v => v != 0);
        Assert.True(NetworkSummary.Create(fused, batch).Flops > 0);
    }

    [Fact]
    public void The_same_floats_at_every_thread_count()
    {
        OnnxBuilder builder = Block(1, 8, 48, 90, 90, 1, [1, 1, 1, 1], true, true);
        var x = Tensor.Create(Values(8 * 90 * 90, 9), 1, 8, 90, 90);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3, 4 })
        {
            using Network network = Network.Load(builder.Build(), new NetworkOptions { Threads = threads });
            float[] y = network.Run(x)[0].AsSpan<float>().ToArray();
            first ??= y;
            Assert.Equal(first, y);
        }
    }

    [Fact]
    public void A_requested_intermediate_plans_the_unfused_graph()
    {
        OnnxBuilder builder = Block(1, 8, 48, 80, 80, 1, [1, 1, 1, 1], true, true);
        using Network network = Network.Load(builder.Build(), new NetworkOptions { Threads = 2 });
        using Network plain = Network.Load(builder.Build(), new NetworkOptions { Threads = 2, OptimizeGraph = false });
        var x = Tensor.Create(Values(8 * 80 * 80, 10), 1, 8, 80, 80);
        float[] expected = plain.Run(x, "filtered6")[0].AsSpan<float>().ToArray(), actual = network.Run(x, "filtered6")[0].AsSpan<float>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f + 1e-5f * Math.Abs(expected[i]), $"element {i}");
    }

    [Fact]
    public void A_dilated_depthwise_conv_is_not_fused()
    {
        OnnxBuilder builder = Block(1, 8, 48, 20, 20, 1, [2, 2, 2, 2], false, true, dilation: 2);
        using Network network = Network.Load(builder.Build(), new NetworkOptions { Threads = 1 });
        Assert.DoesNotContain(network.RunGraph.Nodes, n => n.Operator is InvertedResidualOperator);
        Assert.Equal(3, network.RunGraph.Nodes.Length);
    }
}
