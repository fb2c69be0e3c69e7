using Pipeline.Graph;
using Pipeline.Graph.Onnx;
using Pipeline.Tensors;

namespace Pipeline.Tests.Graph;

/// <summary>The public network type on small graphs of test operators: results, taps, batches, keyed inputs, threads.</summary>
public sealed class NetworkTests
{
    internal static Network Load(OnnxBuilder builder, NetworkOptions? options = null) => Load(builder.Build(), options);

    /// <summary>Loads model bytes with the test operators available (as "test.onnx").</summary>
    internal static Network Load(byte[] bytes, NetworkOptions? options = null)
        => Network.FromGraph(OnnxModelReader.Read(bytes, "test.onnx", TestOperators.Resolve), options ?? new NetworkOptions { Threads = 1 });

    private static float[] Ramp(int n, float scale = 0.5f, float offset = -3f)
    {
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = offset + scale * i;
        return data;
    }

    /// <summary>x → TScale(×2) → a; a + bias → b; relu(b) → y.</summary>
    private static OnnxBuilder Chain(params int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        return new OnnxBuilder()
            .Input("x", DataType.Float32, shape)
            .Initializer("bias", Ramp(n, 0.25f, 1f), shape)
            .Node("TScale", ["x"], ["a"], "scale")
            .Node("TAdd", ["a", "bias"], ["b"], "add")
            .Node("TRelu", ["b"], ["y"], "relu")
            .Output("y");
    }

    private static float[] ChainReference(float[] x, float[] bias)
    {
        var y = new float[x.Length];
        for (int i = 0; i < y.Length; i++) y[i] = MathF.Max(2 * x[i] + bias[i], 0);
        return y;
    }

    [Fact]
    public void RunsAChainOfNodes()
    {
        using Network network = Load(Chain(2, 5));
        float[] x = Ramp(10);
        Tensor y = network.Run(Tensor.Create(x, 2, 5))[0];
        Assert.Equal([2, 5], y.ShapeArray());
        Assert.Equal(ChainReference(x, Ramp(10, 0.25f, 1f)), y.AsSpan<float>().ToArray());
    }

    [Fact]
    public void DeclaresInputsAndOutputsWithSymbolicDimensions()
    {
        var builder = new OnnxBuilder().SymbolicInput("x", DataType.Float32, "N", 3).Node("TScale", ["x"], ["y"]).Output("y");
        using Network network = Load(builder);
        TensorDeclaration input = Assert.Single(network.Inputs);
        Assert.Equal([-1, 3], input.Shape!);
        Assert.Equal("N", input.DimensionNames![0]);
        Assert.Equal("x: Float32[N,3]", input.ToString());
        Assert.Equal("y", Assert.Single(network.Outputs).Name);
    }

    [Fact]
    public void StopsAtAnIntermediateAndRunsOnlyWhatItNeeds()
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, 4)
            .Node("TAdd", ["x", "x"], ["twice"], "first")
            .Node("TScale", ["twice"], ["y"], "last", OnnxBuilder.Float("factor", 2.125f))
            .Output("y");
        using Network network = Load(builder);
        Tensor twice = network.Run(Tensor.Create(new float[] { 1, 2, 3, 4 }, 1, 4), "twice")[0];
        Assert.Equal([2f, 4, 6, 8], twice.AsSpan<float>().ToArray());
        Assert.False(TestOperators.ScaleOperator.Runs.ContainsKey(2.125f));

        IReadOnlyList<Tensor> both = network.Run(Tensor.Create(new float[] { 1, 2, 3, 4 }, 1, 4), "y", "twice", "x");
        Assert.Equal(1, TestOperators.ScaleOperator.Runs[2.125f]);
        Assert.Equal([4.25f, 8.5f, 12.75f, 17], both[0].AsSpan<float>().ToArray());
        Assert.Equal([2f, 4, 6, 8], both[1].AsSpan<float>().ToArray());
        Assert.Equal([1f, 2, 3, 4], both[2].AsSpan<float>().ToArray());
    }

    [Fact]
    public void RunInto_overwrites_the_callers_tensors_with_what_Run_returns()
    {
        using Network network = Load(Chain(2, 5), new NetworkOptions { Threads = 2 });
        Tensor[] outputs = [Tensor.Create(Ramp(10, 7f, 100f), 2, 5), Tensor.Zeros(DataType.Float32, 2, 5)];
        foreach (float offset in new[] { -3f, 4f })
            foreach (bool onCallingThread in new[] { false, true })
            {
                Tensor x = Tensor.Create(Ramp(10, 0.5f, offset), 2, 5);
                network.RunInto(x, ["y", "a"], outputs, onCallingThread);
                IReadOnlyList<Tensor> expected = network.Run(x, "y", "a");
                Assert.Equal(expected[0].AsSpan<float>().ToArray(), outputs[0].AsSpan<float>().ToArray());
                Assert.Equal(expected[1].AsSpan<float>().ToArray(), outputs[1].AsSpan<float>().ToArray());
            }
        var e = Assert.Throws<ArgumentException>(() => network.RunInto(Tensor.Create(Ramp(10), 2, 5), ["y"], [Tensor.Zeros(DataType.Float32, 1, 10)], false));
        Assert.Contains("'y'", e.Message);
    }

    [Fact]
    public void RejectsUnknownOutputNamesAndMismatchedInputs()
    {
        using Network network = Load(Chain(1, 3));
        Assert.Throws<ArgumentException>(() => network.Run(Tensor.Create(new float[3], 1, 3), "nope"));
        Assert.Throws<ArgumentException>(() => network.Run(Tensor.Create(new float[6], 1, 6)));
        Assert.Throws<ArgumentException>(() => network.Run(Tensor.Create(new int[3], 1, 3)));
        Assert.Throws<ArgumentException>(() => network.Run(Tensor.Create(new float[3], 3)));
    }

    [Fact]
    public void RunsAnyBatchSizeForAModelDeclaringBatchOne()
    {
        // TAdd with a [1,3] constant cannot broadcast, so batch 4 is planned... and fails; the engine must then run image by image.
        using Network network = Load(Chain(1, 3));
        float[] x = Ramp(12);
        Tensor y = network.Run(Tensor.Create(x, 4, 3))[0];
        Assert.Equal([4, 3], y.ShapeArray());
        float[] bias = Ramp(3, 0.25f, 1f);
        float[] expected = new float[12];
        for (int b = 0; b < 4; b++)
            ChainReference(x[(b * 3)..(b * 3 + 3)], bias).CopyTo(expected, b * 3);
        Assert.Equal(expected, y.AsSpan<float>().ToArray());
    }

    [Fact]
    public void RunsABatchInOnePlanWhenTheGraphScales()
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, 3).Node("TScale", ["x"], ["y"]).Output("y");
        using Network network = Load(builder);
        Tensor y = network.Run(Tensor.Create(Ramp(15), 5, 3))[0];
        Assert.Equal([5, 3], y.ShapeArray());
        Assert.Equal(Ramp(15).Select(v => 2 * v).ToArray(), y.AsSpan<float>().ToArray());
        Assert.Equal(5, network.PlanFor([Tensor.Create(Ramp(15), 5, 3)]).OutputInfos[0].Shape[0]);
    }

    [Fact]
    public void FallsBackToImageByImageWhenAReshapeFixesTheBatch()
    {
        var shape = new Pipeline.Graph.Onnx.Proto.TensorProto { Name = "target", DataType = (int)DataType.Int64 };
        shape.Dims.Add(2);
        shape.Int64Data.AddRange([1, -1]);
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, 2, 2)
            .Initializer(shape)
            .Node("TReshape", ["x", "target"], ["flat"])
            .Node("TScale", ["flat"], ["y"])
            .Output("y");
        using Network network = Load(builder);
        Tensor y = network.Run(Tensor.Create(Ramp(12), 3, 2, 2))[0];
        Assert.Equal([3, 4], y.ShapeArray());
        Assert.Equal(Ramp(12).Select(v => 2 * v).ToArray(), y.AsSpan<float>().ToArray());
    }

    [Theory]
    [InlineData(new long[] { 1, -1 })]
    [InlineData(new long[] { 1, 2, 2 })]
    [InlineData(new long[] { 1, 2, -1, 1 })]
    public void PlansABatchThroughAReshapeToAConstantLeadingOne(long[] target)
    {
        var shape = new Pipeline.Graph.Onnx.Proto.TensorProto { Name = "target", DataType = (int)DataType.Int64 };
        shape.Dims.Add(target.Length);
        shape.Int64Data.AddRange(target);
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, 4)
            .Initializer(shape)
            .Node("TNamedReshape", ["x", "target"], ["r"])
            .Node("TScale", ["r"], ["y"])
            .Output("y");
        using Network network = Load(builder);
        var x = Tensor.Create(Ramp(12), 3, 4);
        Tensor y = network.Run(x)[0];
        int[] perImage = network.Run(Tensor.Create(Ramp(4), 1, 4))[0].ShapeArray();
        Assert.Equal([3, .. perImage.AsSpan(1)], y.ShapeArray());
        Assert.Equal(Ramp(12).Select(v => 2 * v).ToArray(), y.AsSpan<float>().ToArray());
        Assert.Equal(3, network.PlanFor([x]).OutputInfos[0].Shape[0]); // one batched plan, not image by image
    }

    [Fact]
    public void KeysPlansOnShapeInputsValues()
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 2, 3).Input("shape", DataType.Int64, 2)
            .Node("TReshape", ["x", "shape"], ["y"]).Output("y");
        using Network network = Load(builder);
        var x = Tensor.Create(Ramp(6), 2, 3);
        var results = new List<int[]>();
        foreach (long[] target in new[] { new long[] { 3, 2 }, [6, 1], [3, 2], [-1, 3] })
        {
            Tensor y = network.Run(new Dictionary<string, Tensor> { ["x"] = x, ["shape"] = Tensor.Create(target, 2) })["y"];
            Assert.Equal(Ramp(6), y.AsSpan<float>().ToArray());
            results.Add(y.ShapeArray());
        }
        Assert.Equal([[3, 2], [6, 1], [3, 2], [2, 3]], results);
    }

    [Fact]
    public void FailsClearlyWhenAShapeDependsOnFloatData()
    {
        // A float input of rank 2 is data, never a shape to key plans on.
        var builder = new OnnxBuilder().Input("s", DataType.Float32, 1, 2).Node("TFill", ["s"], ["y"], "fill").Output("y");
        using Network network = Load(builder);
        var e = Assert.Throws<InvalidModelException>(() => network.Run(Tensor.Create(new float[] { 3, 2 }, 1, 2)));
        Assert.Equal("fill", e.Node);
        Assert.Contains("must be known before running", e.Message);
    }

    [Fact]
    public void KeysPlansOnTinyFloatVectorsLikeResizeScales()
    {
        var builder = new OnnxBuilder().Input("s", DataType.Float32, 2).Node("TFill", ["s"], ["y"]).Output("y");
        using Network network = Load(builder);
        Assert.Equal([3, 2], network.Run(Tensor.Create(new float[] { 3, 2 }, 2))[0].ShapeArray());
        Assert.Equal([1, 4], network.Run(Tensor.Create(new float[] { 1, 4 }, 2))[0].ShapeArray());
    }

    [Fact]
    public void DescribesEveryValueForABatchSize()
    {
        using Network network = Load(Chain(1, 3));
        IReadOnlyList<NetworkValue> values = network.DescribeValues(batchSize: 1);
        Assert.Equal(["x", "bias", "a", "b", "y"], values.Select(v => v.Name));
        NetworkValue a = values.Single(v => v.Name == "a");
        Assert.Equal([1, 3], a.Shape);
        Assert.Equal("TScale", a.OpType);
        Assert.True(values.Single(v => v.Name == "bias").IsConstant);
        Assert.False(a.IsConstant);

        var symbolic = new OnnxBuilder().SymbolicInput("x", DataType.Float32, "N", 3).Node("TScale", ["x"], ["y"]).Output("y");
        using Network batched = Load(symbolic);
        Assert.Equal([7, 3], batched.DescribeValues(7).Single(v => v.Name == "y").Shape);
    }

    [Fact]
    public void FoldsNodesThatDependOnlyOnConstants()
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, 3)
            .Initializer("w", [1, 2, 3], 1, 3)
            .Node("TScale", ["w"], ["w2"], "fold-me", OnnxBuilder.Float("factor", 2.25f))
            .Node("TAdd", ["x", "w2"], ["y"])
            .Output("y");
        using Network network = Load(builder);
        Tensor y = network.Run(Tensor.Create(new float[] { 1, 1, 1 }, 1, 3))[0];
        network.Run(Tensor.Create(new float[] { 1, 1, 1 }, 1, 3));
        Assert.Equal([3.25f, 5.5f, 7.75f], y.AsSpan<float>().ToArray());
        Assert.Single(network.Graph.Nodes);
        Assert.True(network.DescribeValues().Single(v => v.Name == "w2").IsConstant);
        // The folded node ran once, at load (through the evaluator), never per run.
        Assert.Equal(1, TestOperators.ScaleOperator.Runs[2.25f]);
    }

    [Fact]
    public void HandlesMultiOutputNodesAndUnusedOptionalOutputs()
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, 2)
            .Node("TTwoOutputs", ["x"], ["plus", "times"]).Output("plus");
        using Network network = Load(builder);
        var x = Tensor.Create(new float[] { 1, 2 }, 1, 2);
        Assert.Equal([2f, 3], network.Run(x)[0].AsSpan<float>().ToArray());
        IReadOnlyList<Tensor> both = network.Run(x, "times", "plus");
        Assert.Equal([10f, 20], both[0].AsSpan<float>().ToArray());
        Assert.Equal([2f, 3], both[1].AsSpan<float>().ToArray());
    }

    [Fact]
    public void IsSafeToRunFromManyThreads()
    {
        using Network network = Load(Chain(1, 64), new NetworkOptions { Threads = 2 });
        float[] bias = Ramp(64, 0.25f, 1f);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            for (int iteration = 0; iteration < 50; iteration++)
            {
                int batch = 1 + (t + iteration) % 3;
                float[] x = Ramp(64 * batch, 0.01f * (t + 1), -iteration);
                float[] y = network.Run(Tensor.Create(x, batch, 64))[0].AsSpan<float>().ToArray();
                for (int b = 0; b < batch; b++)
                {
                    float[] expected = ChainReference(x[(b * 64)..((b + 1) * 64)], bias);
                    if (!expected.AsSpan().SequenceEqual(y.AsSpan(b * 64, 64))) failures.Add($"thread {t} iteration {iteration}");
                }
            }
        });
        Assert.Empty(failures);
    }

    [Fact]
    public void SpanOverloadWritesIntoTheCallersBuffer()
    {
        using Network network = Load(Chain(1, 8));
        float[] x = Ramp(16);
        var y = new float[16];
        network.Run(x, [2, 8], y);
        float[] bias = Ramp(8, 0.25f, 1f);
        Assert.Equal(ChainReference(x[..8], bias).Concat(ChainReference(x[8..], bias)), y);
        Assert.Throws<ArgumentException>(() => network.Run(x, [2, 8], new float[15]));

        var a = new float[16];
        network.Run(x, [2, 8], a, "a");
        Assert.Equal(x.Select(v => 2 * v), a);
    }

    [Fact]
    public void LoadsFromBytesAndStreams()
    {
        byte[] bytes = new OnnxBuilder().Input("x", DataType.Float32, 1, 2).Node("TScale", ["x"], ["y"]).Output("y").Build();
        // The real operator table has no TScale: loading through the public API must name it as unsupported.
        var e = Assert.Throws<InvalidModelException>(() => Network.Load(bytes));
        Assert.Contains("unsupported op 'TScale'", e.Message);
        e = Assert.Throws<InvalidModelException>(() => Network.Load(new MemoryStream(bytes)));
        Assert.Equal("TScale", e.OpType);
    }

    [Fact]
    public void PassesSequencesThroughIdentityAlongsideTensors()
    {
        var builder = new OnnxBuilder().Input("seq", DataType.Float32, 1).Input("x", DataType.Float32, 1, 2)
            .Node("TIdentity", ["seq"], ["a"]).Node("TIdentity", ["a"], ["seq_out"]).Node("TScale", ["x"], ["y"]).Output("seq_out").Output("y");
        var sequenceType = new Pipeline.Graph.Onnx.Proto.TypeProto
        {
            SequenceType = new() { ElemType = new() { TensorType = new() { ElemType = (int)DataType.Float32 } } },
        };
        builder.Model.Graph.Input[0].Type = sequenceType;
        builder.Model.Graph.Output[0].Type = sequenceType;
        using Network network = Load(builder);
        Assert.False(network.Inputs[0].IsTensor);
        Assert.Equal("seq: sequence(tensor(Float32))", network.Inputs[0].ToString());

        Tensor[] sequence = [Tensor.Create(new float[] { 1 }, 1), Tensor.Create(new float[] { 2, 3 }, 2)];
        IReadOnlyDictionary<string, object?> results = network.RunValues(
            new Dictionary<string, object?> { ["seq"] = sequence, ["x"] = Tensor.Create(new float[] { 1, 2 }, 1, 2) }, ["seq_out", "y"]);
        Assert.Same(sequence, results["seq_out"]);
        Assert.Equal([2f, 4], ((Tensor)results["y"]!).AsSpan<float>().ToArray());
        // The tensor part runs on its own too.
        Assert.Equal([2f, 4], network.Run(Tensor.Create(new float[] { 1, 2 }, 1, 2))[0].AsSpan<float>().ToArray());
    }
}
