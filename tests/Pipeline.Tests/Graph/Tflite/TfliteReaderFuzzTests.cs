using System.Diagnostics;
using Pipeline.Graph;
using Pipeline.Graph.Tflite;
using Pipeline.Tests.Infrastructure;
using Options = Pipeline.Graph.Tflite.TfliteSchema.Options;

namespace Pipeline.Tests.Graph.Tflite;

/// <summary>
/// The TFLite reader fuzzer: seeded byte mutations of small models built here (every supported operator, quantized
/// and float) and of the shared MobileNetV2. Each case must import, prepare and infer every value's shape, or throw
/// <see cref="InvalidModelException"/>, within the time bound. Defaults: 10,000 small-model cases and 300 MobileNet
/// cases (3.6 MB each); PIPELINE_FUZZ_CASES sets both for long runs.
/// </summary>
public sealed class TfliteReaderFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20_261_122;

    /// <summary>Small models covering the operators, options, quantization and constants the importer reads.</summary>
    internal static IEnumerable<byte[]> SeedModels()
    {
        var random = new Random(7);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();

        var m = new TfliteBuilder();
        int x = m.Tensor("image", [1, 8, 8, 3], Pipeline.Graph.Tflite.TfliteTensorType.UINT8, TfliteBuilder.Quantization([1 / 128f], [128]));
        int w = m.RawConstant("w", [4, 3, 3, 3], Pipeline.Graph.Tflite.TfliteTensorType.INT8, Enumerable.Range(0, 108).Select(i => (byte)(i * 7)).ToArray(),
            TfliteBuilder.Quantization([0.01f, 0.02f, 0.03f, 0.04f], [0, 0, 0, 0]));
        int b = m.RawConstant("b", [4], Pipeline.Graph.Tflite.TfliteTensorType.INT32, new byte[16], TfliteBuilder.Quantization([1e-4f, 2e-4f, 3e-4f, 4e-4f], [0, 0, 0, 0]));
        int c = m.Tensor("conv", [1, 4, 4, 4], Pipeline.Graph.Tflite.TfliteTensorType.UINT8, TfliteBuilder.Quantization([0.05f], [0]));
        m.Operator(BuiltinOperator.CONV_2D, [x, w, b], [c], Options.Conv2D, TfliteBuilder.Conv2D(TflitePadding.SAME, 2, 2, TfliteActivation.RELU6));
        int dw = m.Constant("dw", [1, 3, 3, 8], Values(72));
        int d = m.Tensor("dw_out", [1, 4, 4, 8]);
        m.Operator(BuiltinOperator.DEPTHWISE_CONV_2D, [c, dw, -1], [d], Options.DepthwiseConv2D, TfliteBuilder.DepthwiseConv2D(TflitePadding.SAME, 1, 1, 2));
        int p = m.Tensor("pool", [1, 2, 2, 8]);
        m.Operator(BuiltinOperator.AVERAGE_POOL_2D, [d], [p], Options.Pool2D, TfliteBuilder.Pool2D(TflitePadding.VALID, 2, 2, 2, 2));
        int s = m.IntConstant("shape", [2], [1, 32]);
        int r = m.Tensor("flat", [1, 32]);
        m.Operator(BuiltinOperator.RESHAPE, [p, s], [r], Options.Reshape, TfliteBuilder.Reshape(1, 32));
        int fw = m.Constant("fc_w", [5, 32], Values(160));
        int f = m.Tensor("logits", [1, 5]);
        m.Operator(BuiltinOperator.FULLY_CONNECTED, [r, fw, -1], [f], Options.FullyConnected, TfliteBuilder.FullyConnected());
        int y = m.Tensor("probabilities", [1, 5]);
        m.Operator(BuiltinOperator.SOFTMAX, [f], [y], Options.Softmax, TfliteBuilder.Softmax(1));
        m.Inputs(x).Outputs(y);
        yield return m.Build();

        var n = new TfliteBuilder();
        int a = n.Tensor("a", [1, 5, 5, 2]);
        int pd = n.IntConstant("paddings", [4, 2], [0, 0, 1, 1, 1, 1, 0, 0]);
        int padded = n.Tensor("padded", [1, 7, 7, 2]);
        n.Operator(BuiltinOperator.PAD, [a, pd], [padded], Options.Pad, Fb.T());
        int mx = n.Tensor("max", [1, 4, 4, 2]);
        n.Operator(BuiltinOperator.MAX_POOL_2D, [padded], [mx], Options.Pool2D, TfliteBuilder.Pool2D(TflitePadding.SAME, 2, 2, 3, 3));
        int k = n.Constant("k", [2], [0.5f, 2f]);
        int mul = n.Tensor("mul", [1, 4, 4, 2]);
        n.Operator(BuiltinOperator.MUL, [mx, k], [mul], Options.Mul, TfliteBuilder.Activation(TfliteActivation.NONE));
        int hs = n.Tensor("hs", [1, 4, 4, 2]);
        n.Operator(BuiltinOperator.HARD_SWISH, [mul], [hs]);
        int cat = n.Tensor("cat", [1, 4, 4, 4]);
        n.Operator(BuiltinOperator.CONCATENATION, [hs, mx], [cat], Options.Concatenation, TfliteBuilder.Concatenation(3));
        int axes = n.IntConstant("axes", [2], [1, 2]);
        int mean = n.Tensor("mean", [1, 1, 1, 4]);
        n.Operator(BuiltinOperator.MEAN, [cat, axes], [mean], Options.Reducer, TfliteBuilder.Reducer(true));
        int sq = n.Tensor("squeezed", [1, 4]);
        n.Operator(BuiltinOperator.SQUEEZE, [mean], [sq], Options.Squeeze, TfliteBuilder.Squeeze(1, 2));
        int lg = n.Tensor("logistic", [1, 4]);
        n.Operator(BuiltinOperator.LOGISTIC, [sq], [lg]);
        int sub = n.Tensor("sub", [1, 4]);
        n.Operator(BuiltinOperator.SUB, [lg, sq], [sub], Options.Sub, TfliteBuilder.Activation(TfliteActivation.RELU));
        n.Inputs(a).Outputs(sub, mean);
        yield return n.Build();
    }

    /// <summary>Imports, prepares and infers every value's shape; only <see cref="InvalidModelException"/> may escape.</summary>
    private static void Load(byte[] bytes)
    {
        using Network network = Network.FromGraph(TfliteModelReader.Read(bytes, "fuzz.tflite"), new NetworkOptions { Threads = 1 });
        _ = network.DescribeValues(batchSize: 1);
    }

    private void Report(string name, FuzzHarness.Result result, TimeSpan elapsed)
        => output.WriteLine($"{name}: {result.Cases} cases in {elapsed.TotalSeconds:0.0} s: {result.Succeeded} loaded, {result.Rejected} rejected " +
            $"with InvalidModelException; slowest {result.Slowest.TotalMilliseconds:0} ms, largest allocation by one case {result.PeakAllocatedBytes >> 20} MiB");

    [Fact]
    public void A_tflite_file_without_its_identifier_is_reported_as_damaged_TFLite_not_as_bad_ONNX()
    {
        byte[] model = SeedModels().First();
        model.AsSpan(4, 4).Clear(); // "TFL3"
        string path = Path.Combine(Path.GetTempPath(), $"pipeline-damaged-{Guid.NewGuid():N}.tflite");
        File.WriteAllBytes(path, model);
        try
        {
            InvalidModelException e = Assert.Throws<InvalidModelException>(() => Network.Load(path));
            Assert.Contains("not a TFLite model: the flatbuffer identifier 'TFL3' is not at byte 4", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_onnx_file_named_tflite_loads_as_ONNX_the_bytes_decide()
    {
        string onnx = SharedData.Require("conformance/onnx-node/test_relu/model.onnx");
        string path = Path.Combine(Path.GetTempPath(), $"pipeline-misnamed-{Guid.NewGuid():N}.tflite");
        File.Copy(onnx, path);
        try
        {
            using Network network = Network.Load(path);
            Assert.StartsWith("ONNX", network.Format, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SmallModelsLoadOrFailTyped()
    {
        List<byte[]> seeds = [.. SeedModels()];
        foreach (byte[] seed in seeds) Load(seed);
        var clock = Stopwatch.StartNew();
        FuzzHarness.Result result = FuzzHarness.Run<InvalidModelException>(seeds, Load, Seed, defaultCases: 10_000,
            perCaseLimit: TimeSpan.FromSeconds(2), name: "tflite-small-models");
        Report("small models", result, clock.Elapsed);
        Assert.True(result.Rejected > 0 && result.Succeeded > 0);
    }

    [Fact]
    public void MobileNetLoadsOrFailsTyped()
    {
        byte[] model = File.ReadAllBytes(SharedData.Require("models/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite"));
        Load(model);
        var clock = Stopwatch.StartNew();
        FuzzHarness.Result result = FuzzHarness.Run<InvalidModelException>([model], Load, Seed + 1, defaultCases: 300,
            perCaseLimit: TimeSpan.FromSeconds(10), name: "tflite-mobilenet");
        Report("MobileNetV2", result, clock.Elapsed);
    }
}
