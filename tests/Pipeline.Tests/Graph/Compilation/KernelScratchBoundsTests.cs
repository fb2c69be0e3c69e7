using Pipeline.Graph;
using Pipeline.Graph.Conformance;
using Pipeline.Graph.Execution;
using Pipeline.Graph.Ops.Convolution;
using Pipeline.Imaging;
using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;
using Pipeline.Tests.Graph.Tflite;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Graph.Compilation;

/// <summary>
/// Every kernel stays inside the scratch it declares. A kernel's scratch is planned in the arena next to live values,
/// so writing past it (alignment it does itself, a thread slot too many, a size computed for another thread count)
/// would corrupt a value instead of an unused tail. <see cref="GuardedPlanRunner"/> runs real plans with canaries
/// around every step's scratch, on the network's thread count, on <see cref="WorkerPool.Inline"/> (a featurizer's
/// one-image-per-thread runs) and on pools larger than the plan; its outputs must equal the network's own, bit for bit.
/// </summary>
public sealed class KernelScratchBoundsTests(ITestOutputHelper output)
{
    /// <summary>Pool size 0: <see cref="WorkerPool.Inline"/>.</summary>
    private const int Inline = 0;

    private static OnnxBuilder ScratchChain(int overrun) => new OnnxBuilder().Input("x", DataType.Float32, 1, 300)
        .Node("TScale", ["x"], ["a"], "scale")
        .Node("TScratch", ["a"], ["b"], "copy", OnnxBuilder.Int("overrun", overrun))
        .Node("TRelu", ["b"], ["y"], "relu")
        .Output("y");

    [Theory]
    [InlineData(1)]
    [InlineData(40)]
    [InlineData(-1)]
    public void GuardsCatchAKernelWritingOutsideItsScratch(int overrun)
    {
        using Network network = NetworkTests.Load(ScratchChain(overrun));
        Tensor x = Tensor.Create(Enumerable.Range(0, 300).Select(i => i - 150f).ToArray(), 1, 300);
        var e = Assert.Throws<ScratchOverrunException>(() => GuardedPlanRunner.Run(network.PlanFor([x]), [x], WorkerPool.Inline, out _));
        output.WriteLine(e.Message);
        Assert.Contains("copy", e.Message);
        Assert.Contains(overrun > 0 ? $"bytes 0..{4 * overrun - 1} past the end of its 1200-byte scratch" : "bytes 0..3 before the start", e.Message);
    }

    [Fact]
    public void GuardsPassAKernelThatKeepsToItsScratch()
    {
        using Network network = NetworkTests.Load(ScratchChain(0));
        Tensor x = Tensor.Create(Enumerable.Range(0, 300).Select(i => i - 150f).ToArray(), 1, 300);
        Tensor y = GuardedPlanRunner.Run(network.PlanFor([x]), [x], WorkerPool.Inline, out int guarded)[0];
        Assert.Equal(1, guarded);
        Assert.Equal(x.AsSpan<float>().ToArray().Select(v => MathF.Max(2 * v, 0)), y.AsSpan<float>().ToArray());
    }

    [Theory]
    [InlineData("light_resnet50", 1, Inline)]
    [InlineData("light_resnet50", 2, 2)]
    [InlineData("light_resnet50", 2, Inline)]
    [InlineData("light_inception_v1", 1, Inline)]
    [InlineData("light_inception_v1", 2, 2)]
    [InlineData("light_inception_v1", 2, Inline)]
    [InlineData("light_squeezenet", 1, Inline)]
    [InlineData("light_squeezenet", 2, 2)]
    [InlineData("light_squeezenet", 2, Inline)]
    [InlineData("light_shufflenet", 1, Inline)]
    [InlineData("light_shufflenet", 2, 2)]
    [InlineData("light_shufflenet", 2, Inline)]
    public void LightModelsKeepToTheirScratch(string name, int threads, int pool)
    {
        string path = SharedData.Require($"conformance/onnx-models/{name}.onnx");
        using Network network = Network.Load(path, new NetworkOptions { Threads = threads });
        Tensor input = ConformanceRunner.RampInput(network);
        int guarded = RunGuarded(network, [input], pool, () => network.Run(input).ToArray());
        Assert.True(guarded > 0, "no step had scratch: the guards checked nothing");
    }

    /// <summary>
    /// Every ONNX node case with tensor inputs and outputs, on a plan for 2 threads run on 2 threads and inline, and on a
    /// plan for 1 thread run on a pool of 2. Most cases' kernels have no scratch; those that do are Conv, Gemm, MatMul,
    /// QLinearConv, BatchNormalization, Softmax across an inner axis, Reduce (general path), multi-axis Resize and
    /// (De)QuantizeLinear of non-float32 types. The others still check that nothing writes through the empty scratch.
    /// </summary>
    [Theory]
    [InlineData(2, 2)]
    [InlineData(2, Inline)]
    [InlineData(1, 2)]
    public void NodeCasesKeepToTheirScratch(int threads, int pool)
    {
        string root = SharedData.Require("conformance/onnx-node");
        int cases = 0, withScratch = 0, guardedSteps = 0;
        var skipped = new List<string>();
        foreach (string dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(dir);
            using Network network = Network.Load(Path.Combine(dir, "model.onnx"), new NetworkOptions { Threads = threads });
            if (network.Inputs.Any(i => !i.IsTensor) || network.Outputs.Any(o => !o.IsTensor))
            {
                skipped.Add(name);
                continue;
            }
            string set = Path.Combine(dir, "test_data_set_0");
            if (Directory.GetFiles(set, "input_*.pb").Length != network.Inputs.Count)
            {
                skipped.Add(name);
                continue;
            }
            Tensor[] inputs = network.Inputs.Select((_, i) => ConformanceRunner.ReadTensorFile(Path.Combine(set, $"input_{i}.pb"))).ToArray();
            var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (int i = 0; i < inputs.Length; i++) feeds[network.Inputs[i].Name] = inputs[i];
            try
            {
                network.PlanFor(inputs);
            }
            catch (Exception e) when (e is InvalidModelException or ArgumentException)
            {
                skipped.Add(name); // not a case this engine runs (the conformance tests report it)
                continue;
            }
            int guarded = RunGuarded(network, inputs, pool, () =>
            {
                IReadOnlyDictionary<string, Tensor> results = network.Run(feeds);
                return network.Outputs.Select(o => results[o.Name]).ToArray();
            }, name);
            cases++;
            if (guarded > 0) withScratch++;
            guardedSteps += guarded;
        }
        output.WriteLine($"{cases} cases, {withScratch} with scratch ({guardedSteps} steps); skipped {skipped.Count}: {string.Join(", ", skipped)}");
        Assert.True(withScratch >= 40, $"only {withScratch} cases had a kernel with scratch");
    }

    /// <summary>
    /// The real MobileNetV2 (TFLite, uint8): with its blocks fused (several threads make them in strips, each thread in its
    /// own slot of the scratch) and unfused, for 1 and 2 threads, run on 1, 2 and 4 threads and inline, on one image
    /// and on a batch of two.
    /// </summary>
    [Theory]
    [InlineData(true, 1, Inline, 1)]
    [InlineData(true, 2, 2, 1)]
    [InlineData(true, 2, Inline, 1)]
    [InlineData(true, 2, 4, 1)]
    [InlineData(true, 2, 2, 2)]
    [InlineData(true, 1, 2, 1)]
    [InlineData(false, 1, Inline, 1)]
    [InlineData(false, 2, 2, 1)]
    [InlineData(false, 2, Inline, 2)]
    public void MobileNetV2KeepsToItsScratch(bool fused, int threads, int pool, int batch)
    {
        string model = SharedData.Require("models/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite");
        using Network network = Network.Load(model, new NetworkOptions { Threads = threads, OptimizeGraph = fused });
        Image cat = ImageDecoder.Decode(SharedData.Require("models/images/cat.bmp"));
        Image hopper = ImageDecoder.Decode(SharedData.Require("models/images/grace_hopper.bmp"));
        Tensor input = MobileNetV2QuantTests.Preprocessing().ToTensor(batch == 1 ? new List<Image> { cat } : new List<Image> { cat, hopper });
        ExecutionPlan plan = network.PlanFor([input]);
        Assert.Equal(input.ShapeArray(), plan.InputInfos[0]!.Value.Shape); // one batched plan, not image by image
        int blocks = plan.Steps.Count(s => s.Node.Operator is InvertedResidualOperator);
        output.WriteLine($"{plan.Steps.Count} steps, {blocks} fused blocks");
        Assert.Equal(fused, blocks > 0);
        int guarded = RunGuarded(network, [input], pool, () => network.Run(input).ToArray());
        Assert.True(guarded > 0, "no step had scratch: the guards checked nothing");
    }

    /// <summary>
    /// Runs the plan for <paramref name="inputs"/> guarded on a pool of <paramref name="pool"/> threads, then compares with
    /// <paramref name="reference"/> (the network's own run, afterwards: an overrun there would corrupt the process before
    /// the guards could say where); returns the steps with scratch.
    /// </summary>
    private int RunGuarded(Network network, Tensor[] inputs, int pool, Func<Tensor[]> reference, string? name = null)
    {
        ExecutionPlan plan = network.PlanFor(inputs);
        WorkerPool workers = pool == Inline ? WorkerPool.Inline : new WorkerPool(pool);
        try
        {
            Tensor[] actual = GuardedPlanRunner.Run(plan, inputs, workers, out int guarded);
            Tensor[] expected = reference();
            Assert.Equal(expected.Length, actual.Length);
            for (int o = 0; o < actual.Length; o++)
                Assert.True(expected[o].AsBytes().SequenceEqual(actual[o].AsBytes()),
                    $"{name}: output {o} differs from the network's own run (scratch placed over a live value, or a kernel reading scratch it never wrote)");
            if (name is null) output.WriteLine($"{guarded} of {plan.Steps.Count} steps had scratch; arena {plan.ArenaBytes} bytes");
            return guarded;
        }
        finally
        {
            if (workers != WorkerPool.Inline) workers.Dispose();
        }
    }
}
