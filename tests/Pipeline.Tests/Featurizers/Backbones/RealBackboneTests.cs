using Pipeline.Featurizers;
using Pipeline.Featurizers.Backbones;
using Pipeline.Graph;
using Pipeline.Imaging;
using Pipeline.Imaging.Processing;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Featurizers.Backbones;

/// <summary>Tap detection and featurization on the shared whole-network models (ONNX zoo light models, the real TFLite MobileNetV2).</summary>
public sealed class RealBackboneTests
{
    [Theory]
    [InlineData("light_resnet50.onnx", "r171", 2048, 7)]
    [InlineData("light_squeezenet.onnx", "r60", 512, 13)]
    [InlineData("light_inception_v1.onnx", "r137", 1024, 6)]
    [InlineData("light_shufflenet.onnx", "r198", 544, 7)]
    public void Onnx_zoo_models_are_cut_at_their_last_feature_map(string file, string tap, int channels, int size)
    {
        string path = SharedData.Require("conformance/onnx-models/" + file);
        using var network = Network.Load(path, new NetworkOptions { Threads = 2 });
        Assert.Equal(tap, TapFinder.Find(GraphView.Of(network)));
        IReadOnlyList<int> shape = network.DescribeValues().Single(v => v.Name == tap).Shape;
        Assert.Equal([1, channels, size, size], shape);
    }

    [Fact]
    public void Resnet50_light_featurizes_to_2048_gap_features()
    {
        string path = SharedData.Require("conformance/onnx-models/light_resnet50.onnx");
        using IFeaturizer featurizer = FeaturizerFactory.CreateBackbone(path, new BackboneSpec { Pooling = "gem" }, options: new FeaturizerOptions { Threads = 2 });
        Assert.Equal(2048, featurizer.Dimension);
        Assert.Equal(TensorLayout.Chw, featurizer.Preprocessing.Layout);
        var features = new float[2 * 2048];
        featurizer.Featurize(SyntheticImages.Make(2, seed: 1), features);
        Assert.All(features, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void MobileNetV2_tflite_is_cut_before_its_average_pool_and_takes_raw_uint8_pixels()
    {
        string path = SharedData.Require("models/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite");
        using var featurizer = (BackboneFeaturizer)FeaturizerFactory.CreateBackbone(path, new BackboneSpec(), options: new FeaturizerOptions { Threads = 2 });
        TapShape tap = Assert.Single(featurizer.Taps);
        // TFLite fuses names: the tensor is "MobilenetV2/Conv_1/Relu6;MobilenetV2/Conv_1/add_fold;...".
        Assert.Contains("MobilenetV2/Conv_1/Relu6", tap.Name.Split(';'));
        Assert.Equal((1280, 7, 7), (tap.Channels, tap.Height, tap.Width));
        ImagePreprocessing p = featurizer.Preprocessing;
        Assert.Equal((224, 224, TensorLayout.Hwc, TensorElementType.UInt8), (p.Width, p.Height, p.Layout, p.ElementType));

        // The registry's hint names the same tensor.
        BackboneEntry entry = BackboneRegistry.Default.Find("mobilenet_v2_1.0_224_quant")!;
        using var hinted = (BackboneFeaturizer)FeaturizerFactory.CreateBackbone(path, entry: entry, options: new FeaturizerOptions { Threads = 2 });
        Assert.Equal(tap.Name, Assert.Single(hinted.Taps).Name);
        Assert.Equal(entry.Sha256, hinted.BackboneSha256);

        Image cat = ImageDecoder.Decode(SharedData.Require("models/images/cat.bmp"));
        var a = new float[1280];
        var b = new float[1280];
        featurizer.Featurize(cat, a);
        featurizer.Featurize([cat, SyntheticImages.Make(1, seed: 3)[0]], new float[2 * 1280]);
        hinted.Featurize(cat, b);
        Assert.Equal(a, b);
        // Relu6 activations, averaged: in [0, 6] and not all zero.
        Assert.All(a, v => Assert.InRange(v, 0f, 6f));
        Assert.Contains(a, v => v > 0.5f);
    }
}
