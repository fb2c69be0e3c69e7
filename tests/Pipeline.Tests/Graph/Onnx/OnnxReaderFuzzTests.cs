using System.Diagnostics;
using Pipeline.Graph;
using Pipeline.Graph.Execution;
using Pipeline.Graph.Onnx;
using Pipeline.Tensors;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Graph.Onnx;

/// <summary>
/// The reader fuzzer: seeded byte mutations (bit flips, truncations, corrupted length fields, chunk copies) of valid
/// models. Every case must load and compile for its declared input shapes, or throw <see cref="InvalidModelException"/>,
/// within the time bound; anything else fails the run and saves the input. By default the node-model run has 10,000
/// cases and the whole-model run 200 (those files are much larger and fold ~100 MB of weights per loaded case);
/// PIPELINE_FUZZ_CASES sets the case count of both for long runs.
/// </summary>
public sealed class OnnxReaderFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20_240_601;

    /// <summary>Node-test models spread over the operator families (both kinds of file: ops with and without attributes, initializers, shape inputs).</summary>
    private static readonly string[] NodeCases =
    [
        "test_conv_with_strides_and_asymmetric_padding", "test_maxpool_2d_ceil", "test_averagepool_2d_pads_count_include_pad",
        "test_lppool_2d_same_upper", "test_gemm_all_attributes", "test_matmul_4d", "test_batchnorm_epsilon", "test_relu",
        "test_clip_splitbounds", "test_add_bcast", "test_div_int32_trunc", "test_reshape_allowzero_reordered", "test_squeeze",
        "test_unsqueeze_two_axes", "test_transpose_all_permutations_3", "test_concat_3d_axis_negative_2", "test_gather_2d_indices",
        "test_expand_dim_changed", "test_softmax_axis_1", "test_constant_pad_axes", "test_resize_downsample_scales_cubic",
        "test_cast_FLOAT_to_FLOAT16", "test_constantofshape_int_zeros", "test_constant", "test_reduce_mean_keepdims_random",
        "test_lrn", "test_qlinearconv", "test_dequantizelinear_axis", "test_quantizelinear_int2", "test_shape_start_1_end_negative_1",
        "test_dropout_default_mask_ratio", "test_flatten_negative_axis2", "test_maxpool_with_argmax_2d_precomputed_pads",
    ];

    private static readonly string[] WholeModels = ["light_resnet50", "light_inception_v1", "light_squeezenet", "light_shufflenet"];

    /// <summary>Models of the test operators, so that mutations reach the compiler on any branch.</summary>
    private static IEnumerable<byte[]> TestOperatorModels()
    {
        var target = new Pipeline.Graph.Onnx.Proto.TensorProto { Name = "target", DataType = (int)DataType.Int64 };
        target.Dims.Add(2);
        target.Int64Data.AddRange([1, -1]);
        yield return new OnnxBuilder().SymbolicInput("x", DataType.Float32, "N", 4)
            .Initializer("b", [1, 2, 3, 4], 1, 4)
            .Node("TScale", ["x"], ["a"]).Node("TAdd", ["a", "b"], ["c"]).Node("TRelu", ["c"], ["y"]).Output("y").Build();
        yield return new OnnxBuilder().Input("x", DataType.Float32, 1, 2, 2).Input("shape", DataType.Int64, 2).Initializer(target)
            .Node("TReshape", ["x", "target"], ["r"]).Node("TFill", ["shape"], ["s"]).Node("TTwoOutputs", ["r"], ["y", "z"])
            .Output("y").Output("s").Build();
        yield return new OnnxBuilder().Input("x", DataType.Float32, 1, 2, 3, 3)
            .Initializer("w", [1, 2, 3, 4, 5, 6], 3, 2, 1, 1).Initializer("g", [1, 1, 1], 3).Initializer("be", [0, 0, 0], 3)
            .Initializer("m", [0, 1, 2], 3).Initializer("v", [1, 2, 3], 3)
            .Node("TConv", ["x", "w"], ["c"]).Node("TBatchNorm", ["c", "g", "be", "m", "v"], ["n"]).Node("TRelu", ["n"], ["y"]).Output("y").Build();
        var shape = new Pipeline.Graph.Onnx.Proto.TensorProto { Name = "shape", DataType = (int)DataType.Int64 };
        shape.Dims.Add(2);
        shape.Int64Data.AddRange([64, 64]);
        yield return new OnnxBuilder().Input("x", DataType.Float32, 64, 64).Initializer(shape)
            .Node("TFill", ["shape"], ["ones"]).Node("TAdd", ["x", "ones"], ["y"]).Output("y").Build();
    }

    /// <summary>Loads, then compiles for the declared shapes; only <see cref="InvalidModelException"/> may escape.</summary>
    private static void LoadAndCompile(byte[] bytes)
    {
        using Network network = Network.FromGraph(OnnxModelReader.Read(bytes, "fuzz.onnx", TestOperators.Resolve), new NetworkOptions { Threads = 1 });
        using ExecutionPlan plan = network.CompileDeclared(batch: 1);
    }

    private void Report(string name, FuzzHarness.Result result, TimeSpan elapsed)
        => output.WriteLine($"{name}: {result.Cases} cases in {elapsed.TotalSeconds:0.0} s ({result.Cases / elapsed.TotalSeconds:0} cases/s): " +
            $"{result.Succeeded} loaded and compiled, {result.Rejected} rejected with InvalidModelException; slowest {result.Slowest.TotalMilliseconds:0} ms, " +
            $"largest allocation by one case {result.PeakAllocatedBytes >> 20} MiB");

    [Fact]
    public void NodeModelsLoadOrFailTyped()
    {
        var seeds = new List<byte[]>(TestOperatorModels());
        if (SharedData.Root is { } shared)
            foreach (string name in NodeCases)
            {
                string path = Path.Combine(shared, "conformance/onnx-node", name, "model.onnx");
                if (File.Exists(path)) seeds.Add(File.ReadAllBytes(path));
            }
        foreach (byte[] seed in seeds) LoadAndCompileOrReject(seed);

        var clock = Stopwatch.StartNew();
        FuzzHarness.Result result = FuzzHarness.Run<InvalidModelException>(seeds, LoadAndCompile, Seed, defaultCases: 10_000,
            perCaseLimit: TimeSpan.FromSeconds(2), name: "onnx-node-models");
        Report($"node models ({seeds.Count} seeds)", result, clock.Elapsed);
        Assert.True(result.Cases >= 10_000 || Environment.GetEnvironmentVariable("PIPELINE_FUZZ_CASES") is not null);
    }

    [Fact]
    public void WholeModelsLoadOrFailTyped()
    {
        var seeds = WholeModels.Select(m => File.ReadAllBytes(SharedData.Require($"conformance/onnx-models/{m}.onnx"))).ToList();
        var clock = Stopwatch.StartNew();
        // A case that loads folds ~100 MB of weights and packs them for the kernels: the bound is generous because the
        // test machines are shared (the watchdog still catches a hang at 4× the bound).
        FuzzHarness.Result result = FuzzHarness.Run<InvalidModelException>(seeds, LoadAndCompile, Seed + 1, defaultCases: 200,
            perCaseLimit: TimeSpan.FromSeconds(15), name: "onnx-whole-models");
        Report("whole models (4 seeds)", result, clock.Elapsed);
    }

    /// <summary>
    /// An unmutated seed must load, unless it needs an operator this branch lacks. (Compiling it may still fail typed:
    /// shape-carrying inputs are keyed on zeros, which are not valid axes or shapes for every operator.)
    /// </summary>
    private static void LoadAndCompileOrReject(byte[] seed)
    {
        try
        {
            using Network network = Network.FromGraph(OnnxModelReader.Read(seed, "seed.onnx", TestOperators.Resolve), new NetworkOptions { Threads = 1 });
        }
        catch (InvalidModelException e) when (e.Reason.StartsWith("unsupported op", StringComparison.Ordinal))
        {
        }
    }
}
