using Pipeline.Graph;
using Pipeline.Graph.Compilation;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;

namespace Pipeline.Tests.Graph.Compilation;

/// <summary>
/// Conv + BatchNormalization folding and activation fusion, on small graphs of test operators (a naive 1×1 conv named
/// "Conv", an inference batch norm named "BatchNormalization", and Relu). Each rewritten network must compute what the
/// unrewritten one computes.
/// </summary>
public sealed class GraphRewriterTests
{
    private const int C = 3, M = 4, H = 2, W = 3;

    private static float[] Values(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>x → Conv(w[, b]) → conv → BN → bn → Relu → y.</summary>
    private static OnnxBuilder ConvBnRelu(bool convBias = true, bool relu = true, long trainingMode = 0)
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, C, H, W)
            .Initializer("w", Values(M * C, 1), M, C, 1, 1)
            .Initializer("gamma", Values(M, 3).Select(v => v + 1.5f).ToArray(), M)
            .Initializer("beta", Values(M, 4), M)
            .Initializer("mean", Values(M, 5), M)
            .Initializer("var", Values(M, 6).Select(v => v * v + 0.1f).ToArray(), M);
        if (convBias) builder.Initializer("b", Values(M, 2), M);
        builder.Node("TConv", convBias ? ["x", "w", "b"] : ["x", "w"], ["conv"], "conv")
            .Node("TBatchNorm", ["conv", "gamma", "beta", "mean", "var"], ["bn"], "bn", OnnxBuilder.Float("epsilon", 1e-3f));
        if (trainingMode != 0) builder.Model.Graph.Node[^1].Name = "bn-training";
        if (relu) builder.Node("TRelu", ["bn"], ["y"], "relu");
        return builder.Output(relu ? "y" : "bn");
    }

    private static float[] Run(Network network, float[] x, string? output = null)
        => (output is null ? network.Run(Tensor.Create(x, 1, C, H, W))[0] : network.Run(Tensor.Create(x, 1, C, H, W), output)[0]).AsSpan<float>().ToArray();

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f + 1e-5f * Math.Abs(expected[i]), $"element {i}: {actual[i]} vs {expected[i]}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FoldsBatchNormIntoConvAndFusesRelu(bool convBias)
    {
        using Network optimized = NetworkTests.Load(ConvBnRelu(convBias));
        using Network plain = NetworkTests.Load(ConvBnRelu(convBias), new NetworkOptions { Threads = 1, OptimizeGraph = false });
        GraphNode fused = Assert.Single(optimized.RunGraph.Nodes);
        Assert.Equal("conv", fused.Identity.Name);
        Assert.Equal(["y"], fused.Outputs);
        Assert.Equal(ActivationKind.Relu, ((IFusesActivation)fused.Operator).Activation.Kind);
        Assert.Equal(3, plain.RunGraph.Nodes.Length);

        float[] x = Values(C * H * W, 7);
        float[] expected = Run(plain, x);
        AssertClose(expected, Run(optimized, x));
        Assert.Contains(expected, v => v == 0); // the relu did clip something
    }

    [Fact]
    public void FoldedWeightsMatchTheFormula()
    {
        var weights = Tensor.Create(new float[] { 1, 2, 3, 4 }, 2, 2, 1, 1);
        var bias = Tensor.Create(new float[] { 0.5f, -1 }, 2);
        (Tensor w, Tensor b) = GraphRewriter.Fold(weights, bias, [2, 3], [0.1f, 0.2f], [1, -1], [3, 3], 1);
        // s = γ / √(var + ε) = [1, 1.5]
        Assert.Equal([1f, 2, 4.5f, 6], w.AsSpan<float>().ToArray());
        Assert.Equal([(0.5f - 1) * 1 + 0.1f, (-1f + 1) * 1.5f + 0.2f], b.AsSpan<float>().ToArray());
    }

    [Fact]
    public void IntermediatesRemovedByRewritesCanStillBeRequested()
    {
        using Network optimized = NetworkTests.Load(ConvBnRelu());
        using Network plain = NetworkTests.Load(ConvBnRelu(), new NetworkOptions { Threads = 1, OptimizeGraph = false });
        float[] x = Values(C * H * W, 8);
        AssertClose(Run(plain, x, "conv"), Run(optimized, x, "conv"));
        AssertClose(Run(plain, x, "bn"), Run(optimized, x, "bn"));
        Assert.Contains(optimized.DescribeValues(), v => v.Name == "conv");
    }

    [Fact]
    public void LeavesGraphOutputsAndSharedValuesAlone()
    {
        // bn is the graph output: the batch norm folds, but there is no activation to fuse.
        using Network noRelu = NetworkTests.Load(ConvBnRelu(relu: false));
        Assert.Single(noRelu.RunGraph.Nodes);

        // conv is read twice (by bn and by an add): nothing may be folded into it.
        OnnxBuilder shared = ConvBnRelu();
        shared.Node("TAdd", ["conv", "conv"], ["twice"], "add").Output("twice");
        using Network network = NetworkTests.Load(shared);
        Assert.Equal(4, network.RunGraph.Nodes.Length);
        Assert.DoesNotContain(network.RunGraph.Nodes, n => n.Operator is IFusesActivation { Activation.Kind: not ActivationKind.None });
    }

    [Fact]
    public void ActivationsWithRuntimeParametersAreNotFused()
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, C, H, W).Input("other", DataType.Float32, 1, M, H, W)
            .Initializer("w", Values(M * C, 1), M, C, 1, 1)
            .Node("TConv", ["x", "w"], ["conv"], "conv")
            .Node("TAdd", ["conv", "other"], ["y"], "add") // not an activation
            .Output("y");
        using Network network = NetworkTests.Load(builder);
        Assert.Equal(2, network.RunGraph.Nodes.Length);
    }

    [Fact]
    public void RealConvBatchNormAndReluFoldIntoOneKernel()
    {
        foreach (string op in new[] { "Conv", "BatchNormalization", "Relu" })
            if (Pipeline.Graph.Onnx.OnnxOperatorTable.Find(op) is null) Assert.Skip($"needs the real {op} operator (ops and kernels work), not on this branch");
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 2, C, 5, 5)
            .Initializer("w", Values(M * C * 9, 11), M, C, 3, 3)
            .Initializer("gamma", Values(M, 3).Select(v => v + 1.5f).ToArray(), M)
            .Initializer("beta", Values(M, 4), M)
            .Initializer("mean", Values(M, 5), M)
            .Initializer("var", Values(M, 6).Select(v => v * v + 0.1f).ToArray(), M)
            .Node("Conv", ["x", "w"], ["conv"], "conv", OnnxBuilder.Ints("pads", 1, 1, 1, 1))
            .Node("BatchNormalization", ["conv", "gamma", "beta", "mean", "var"], ["bn"], "bn")
            .Node("Relu", ["bn"], ["y"], "relu")
            .Output("y");
        using Network optimized = Network.Load(builder.Build(), new NetworkOptions { Threads = 2 });
        using Network plain = Network.Load(builder.Build(), new NetworkOptions { Threads = 2, OptimizeGraph = false });
        Assert.True(optimized.RunGraph.Nodes.Length == 1,
            "Conv + BatchNormalization + Relu should plan as one kernel; the BatchNormalization operator must implement IBatchNormalization "
            + $"and Relu IActivationOperator (got {string.Join(", ", optimized.RunGraph.Nodes.Select(n => n.Operator.Name))})");
        var x = Tensor.Create(Values(2 * C * 25, 12), 2, C, 5, 5);
        AssertClose(plain.Run(x)[0].AsSpan<float>().ToArray(), optimized.Run(x)[0].AsSpan<float>().ToArray());
    }
    /// <summary>
    /// Conv → Add/Sum(conv, r) → Relu with real operators: "plain" is the usual residual block; "input" adds the conv's
    /// own input (not fused: the output must not overwrite the conv's input); "shared" reads r again later (no in-place); "broadcast" adds a [1, M, 1, 1] r, which
    /// the fused conv cannot take, so planning falls back; "depthwise" and "small" (a 7×7 map with 384 channels, the
    /// transposed GEMM) cover the other conv kernels; "sum" puts the conv second in a Sum.
    /// </summary>
    [Fact]
    public void A_constant_added_to_a_conv_stays_an_add()
    {
        // A constant after a conv is a bias that broadcasts ([M, 1, 1]): fusing it would send every plan back to the
        // unrewritten graph, so the conv and the add stay apart, and the ReLU still fuses into the add.
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, C, 5, 5)
            .Initializer("w", Values(M * C * 9, 31), M, C, 3, 3)
            .Initializer("shift", Values(M, 32), M, 1, 1)
            .Node("Conv", ["x", "w"], ["conv"], "conv", OnnxBuilder.Ints("pads", 1, 1, 1, 1))
            .Node("Add", ["conv", "shift"], ["added"], "add")
            .Node("Relu", ["added"], ["y"], "relu")
            .Output("y");
        using Network optimized = Network.Load(builder.Build(), new NetworkOptions { Threads = 1 });
        using Network plain = Network.Load(builder.Build(), new NetworkOptions { Threads = 1, OptimizeGraph = false });
        Assert.Equal(2, optimized.RunGraph.Nodes.Length);
        Assert.DoesNotContain(optimized.RunGraph.Nodes, n => n.Operator.Describe().Contains("+residual"));
        var x = Tensor.Create(Values(C * 25, 33), 1, C, 5, 5);
        AssertClose(plain.Run(x)[0].AsSpan<float>().ToArray(), optimized.Run(x)[0].AsSpan<float>().ToArray());
    }

    [Theory]
    [InlineData("plain", 1)]
    [InlineData("plain", 2)]
    [InlineData("input", 2)]
    [InlineData("shared", 1)]
    [InlineData("broadcast", 2)]
    [InlineData("depthwise", 2)]
    [InlineData("small", 2)]
    [InlineData("sum", 1)]
    public void A_residual_add_fuses_into_the_conv_and_computes_the_same(string shape, int threads)
    {
        int c = shape == "small" ? 32 : 6, m = shape is "small" ? 384 : 6, size = shape == "small" ? 7 : 9;
        int group = shape == "depthwise" ? c : 1;
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, c, size, size)
            .Initializer("w", Values(m * c / group * 9, 21), m, c / group, 3, 3)
            .Initializer("b", Values(m, 22), m);
        int[] rShape = shape == "broadcast" ? [1, m, 1, 1] : [1, m, size, size];
        string r = shape == "input" ? "x" : "r";
        if (shape != "input") builder.Input("r", DataType.Float32, rShape);
        builder.Node("Conv", ["x", "w", "b"], ["conv"], "conv", OnnxBuilder.Ints("pads", 1, 1, 1, 1), OnnxBuilder.Int("group", group));
        if (shape == "sum") builder.Node("Sum", [r, "conv"], ["added"], "add");
        else builder.Node("Add", ["conv", r], ["added"], "add");
        builder.Node("Relu", ["added"], ["y"], "relu");
        if (shape == "shared") builder.Node("Add", ["y", r], ["z"], "again").Output("z");
        else builder.Output("y");

        using Network optimized = Network.Load(builder.Build(), new NetworkOptions { Threads = threads });
        using Network plain = Network.Load(builder.Build(), new NetworkOptions { Threads = threads, OptimizeGraph = false });
        GraphNode first = optimized.RunGraph.Nodes[0];
        Assert.Equal(shape is "shared" or "input" ? 2 : 1, optimized.RunGraph.Nodes.Length);
        if (shape == "input") Assert.DoesNotContain("+residual", first.Operator.Describe());
        else Assert.Contains("+residual", first.Operator.Describe());
        Assert.Equal(ActivationKind.Relu, ((IFusesActivation)optimized.RunGraph.Nodes[shape == "input" ? 1 : 0].Operator).Activation.Kind);

        var inputs = new Dictionary<string, Tensor> { ["x"] = Tensor.Create(Values(c * size * size, 23), 1, c, size, size) };
        if (shape != "input") inputs["r"] = Tensor.Create(Values(rShape.Aggregate(1, (a, b) => a * b), 24), rShape);
        float[] expected = plain.Run(inputs)[plain.Outputs[0].Name].AsSpan<float>().ToArray();
        AssertClose(expected, optimized.Run(inputs)[optimized.Outputs[0].Name].AsSpan<float>().ToArray());
        if (shape != "shared") Assert.Contains(expected, v => v == 0); // the relu did clip something
        using (optimized.CompileDeclared(1)) { } // the other planning paths fall back too
        Assert.True(NetworkSummary.Create(optimized, 1).Flops > 0);
    }
}
