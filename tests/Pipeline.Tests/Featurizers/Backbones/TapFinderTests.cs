using Pipeline.Featurizers.Backbones;
using Pipeline.Graph;
using Pipeline.Tensors;

namespace Pipeline.Tests.Featurizers.Backbones;

/// <summary>Tap detection on hand-built graph views shaped like the classic backbones' heads.</summary>
public sealed class TapFinderTests
{
    private sealed class Builder
    {
        private readonly List<NodeView> _nodes = [];
        private readonly Dictionary<string, ValueView> _values = new(StringComparer.Ordinal);
        private string? _output;

        public Builder Input(string name, params int[] shape) => Value(name, shape);

        public Builder Weight(string name, params int[] shape) { _values[name] = new ValueView(name, shape, DataType.Float32, true); return this; }

        public Builder Node(string op, string[] inputs, string output, params int[] shape)
        {
            _nodes.Add(new NodeView(output + "_node", op, inputs, [output]));
            _output = output;
            return Value(output, shape);
        }

        public GraphView Build(string? output = null) => new(_nodes, _values, ["input"], [output ?? _output!]);

        private Builder Value(string name, int[] shape) { _values[name] = new ValueView(name, shape, DataType.Float32, false); return this; }
    }

    private static Builder Trunk(int channels, int size) => new Builder()
        .Input("input", 1, 3, 224, 224)
        .Weight("w0", channels, 3, 3, 3)
        .Node("Conv", ["input", "w0"], "features", 1, channels, size, size);

    [Fact]
    public void ResNet_head_gives_the_last_block_output()
    {
        GraphView g = Trunk(2048, 7).Weight("fcw", 1000, 2048).Weight("shape", 2)
            .Node("Relu", ["features"], "relu", 1, 2048, 7, 7)
            .Node("GlobalAveragePool", ["relu"], "gap", 1, 2048, 1, 1)
            .Node("Reshape", ["gap", "shape"], "flat", 1, 2048)
            .Node("Gemm", ["flat", "fcw"], "logits", 1, 1000)
            .Node("Softmax", ["logits"], "prob", 1, 1000).Build();
        Assert.Equal("relu", TapFinder.Find(g));
    }

    [Fact]
    public void SqueezeNet_head_finds_the_one_by_one_conv_classifier_and_skips_dropout()
    {
        GraphView g = Trunk(512, 13).Weight("w10", 1000, 512, 1, 1)
            .Node("Dropout", ["features"], "drop", 1, 512, 13, 13)
            .Node("Conv", ["drop", "w10"], "conv10", 1, 1000, 13, 13)
            .Node("Relu", ["conv10"], "relu10", 1, 1000, 13, 13)
            .Node("GlobalAveragePool", ["relu10"], "gap", 1, 1000, 1, 1)
            .Node("Softmax", ["gap"], "prob", 1, 1000, 1, 1).Build();
        Assert.Equal("features", TapFinder.Find(g));
    }

    [Fact]
    public void MobileNetV2_tflite_head_walks_through_pool_conv_transpose_reshape()
    {
        GraphView g = Trunk(1280, 7).Weight("lo", 0).Weight("hi", 0).Weight("wl", 1001, 1280, 1, 1).Weight("shape", 2)
            .Node("Clip", ["features", "lo", "hi"], "MobilenetV2/Conv_1/Relu6", 1, 1280, 7, 7)
            .Node("AveragePool", ["MobilenetV2/Conv_1/Relu6"], "pool", 1, 1280, 1, 1)
            .Node("Conv", ["pool", "wl"], "logits4d", 1, 1001, 1, 1)
            .Node("Transpose", ["logits4d"], "logits4d/nhwc", 1, 1, 1, 1001)
            .Node("Reshape", ["logits4d/nhwc", "shape"], "logits", 1, 1001)
            .Node("Softmax", ["logits"], "prob", 1, 1001).Build();
        Assert.Equal("MobilenetV2/Conv_1/Relu6", TapFinder.Find(g));
    }

    [Fact]
    public void Vgg_head_passes_the_fully_connected_layers_back_to_pool5()
    {
        GraphView g = Trunk(512, 14).Weight("f6", 4096, 25088).Weight("f7", 4096, 4096).Weight("f8", 1000, 4096)
            .Node("MaxPool", ["features"], "pool5", 1, 512, 7, 7)
            .Node("Flatten", ["pool5"], "flat", 1, 25088)
            .Node("Gemm", ["flat", "f6"], "fc6", 1, 4096)
            .Node("Relu", ["fc6"], "r6", 1, 4096)
            .Node("Gemm", ["r6", "f7"], "fc7", 1, 4096)
            .Node("Relu", ["fc7"], "r7", 1, 4096)
            .Node("Gemm", ["r7", "f8"], "fc8", 1, 1000).Build();
        Assert.Equal("pool5", TapFinder.Find(g));
    }

    [Fact]
    public void Pre_logit_layers_on_a_pooled_map_are_passed_back_to_the_spatial_map()
    {
        // MobileNetV3: pool → 1×1 conv (960→1280) on the 1×1 map → hardswish → flatten → linear classifier.
        GraphView g = Trunk(960, 7).Weight("wp", 1280, 960, 1, 1).Weight("wc", 1000, 1280)
            .Node("GlobalAveragePool", ["features"], "gap", 1, 960, 1, 1)
            .Node("Conv", ["gap", "wp"], "prelogits", 1, 1280, 1, 1)
            .Node("HardSwish", ["prelogits"], "hs", 1, 1280, 1, 1)
            .Node("Flatten", ["hs"], "flat", 1, 1280)
            .Node("MatMul", ["flat", "wc"], "mm", 1, 1000)
            .Node("Add", ["mm", "wc"], "logits", 1, 1000).Build();
        Assert.Equal("features", TapFinder.Find(g));
    }

    [Fact]
    public void Headless_model_taps_its_spatial_output_and_a_vector_only_model_fails_with_a_hint()
    {
        GraphView headless = Trunk(64, 5).Node("Relu", ["features"], "relu", 1, 64, 5, 5).Build();
        Assert.Equal("relu", TapFinder.Find(headless));

        GraphView vectors = new Builder().Input("input", 1, 10).Node("Relu", ["input"], "r", 1, 10).Build();
        var e = Assert.Throws<InvalidModelException>(() => TapFinder.Find(vectors));
        Assert.Contains("--tap", e.Message);
    }

    [Fact]
    public void A_pooled_only_model_falls_back_to_the_last_4d_value()
    {
        // Every map before the classifier is already 1×1: the last 4-D value is the best there is.
        GraphView g = new Builder().Input("input", 1, 3, 1, 1).Weight("w", 8, 3, 1, 1).Weight("fc", 2, 8).Weight("s", 2)
            .Node("Conv", ["input", "w"], "c", 1, 8, 1, 1)
            .Node("Reshape", ["c", "s"], "flat", 1, 8)
            .Node("Gemm", ["flat", "fc"], "logits", 1, 2).Build();
        Assert.Equal("c", TapFinder.Find(g));
    }

    [Fact]
    public void Named_taps_resolve_exactly_or_by_a_part_of_a_joined_tflite_name()
    {
        GraphView g = Trunk(32, 4)
            .Node("Relu", ["features"], "block/relu;block/bn;block/conv", 1, 32, 4, 4)
            .Node("GlobalAveragePool", ["block/relu;block/bn;block/conv"], "gap", 1, 32, 1, 1).Build();
        Assert.Equal("features", TapFinder.Resolve(g, "features"));
        Assert.Equal("block/relu;block/bn;block/conv", TapFinder.Resolve(g, "block/bn"));
        var e = Assert.Throws<InvalidModelException>(() => TapFinder.Resolve(g, "nope"));
        Assert.Contains("features [1,32,4,4]", e.Message);
        Assert.Throws<InvalidModelException>(() => TapFinder.Resolve(g, "w0")); // a weight is not a tap
    }
}
