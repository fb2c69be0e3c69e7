using Pipeline.Featurizers;
using Pipeline.Featurizers.Backbones;
using Pipeline.Featurizers.Pooling;
using Pipeline.Graph;
using Pipeline.Graph.Onnx;
using Pipeline.Graph.Onnx.Proto;
using Pipeline.Imaging;
using Pipeline.Imaging.Processing;
using Pipeline.Tensors;
using Pipeline.Tests.Graph;

namespace Pipeline.Tests.Featurizers.Backbones;

/// <summary>
/// The backbone featurizer on a small synthetic CNN (3×3 conv, relu, global average pool, reshape, Gemm classifier):
/// its pooled features are checked against the network's own GlobalAveragePool and against the naive pooling of the
/// tapped map.
/// </summary>
public sealed class BackboneFeaturizerTests
{
    private const int Side = 8, Channels = 6, Classes = 4;

    internal static byte[] SmallCnn()
    {
        var random = new Random(11);
        float[] Weights(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var shape = new TensorProto { Name = "shape", DataType = (int)DataType.Int64 };
        shape.Dims.Add(2);
        shape.Int64Data.AddRange([1, Channels]);
        return new OnnxBuilder()
            .Input("image", DataType.Float32, 1, 3, Side, Side)
            .Initializer("w1", Weights(Channels * 27), Channels, 3, 3, 3)
            .Initializer("b1", Weights(Channels), Channels)
            .Initializer("fc", Weights(Classes * Channels), Classes, Channels)
            .Initializer(shape)
            .Node("Conv", ["image", "w1", "b1"], ["conv"], "conv", OnnxBuilder.Ints("pads", 1, 1, 1, 1), OnnxBuilder.Ints("kernel_shape", 3, 3))
            .Node("TRelu", ["conv"], ["relu"], "relu")
            .Node("GlobalAveragePool", ["relu"], ["gap"], "gap")
            .Node("TReshape", ["gap", "shape"], ["flat"], "flat")
            .Node("Gemm", ["flat", "fc"], ["logits"], "classifier", OnnxBuilder.Int("transB", 1))
            .Output("logits")
            .Build();
    }

    private static Network Load(byte[] model) => Network.FromGraph(OnnxModelReader.Read(model, "cnn.onnx", TestOperators.Resolve), new NetworkOptions { Threads = 2 });

    private static BackboneFeaturizer Create(BackboneSpec spec, int batchSize = 3)
        => BackboneFeaturizer.Create(Load(SmallCnn()), ownsNetwork: true, "00", spec, entry: null, new FeaturizerOptions { Threads = 2, BatchSize = batchSize });

    [Fact]
    public void Finds_the_tap_resolves_preprocessing_and_gap_equals_the_networks_own_pooling()
    {
        using BackboneFeaturizer featurizer = Create(new BackboneSpec { Pooling = "gap" });
        Assert.Equal(["relu"], ((BackboneSpec)featurizer.Spec).Taps);
        Assert.Equal(Channels, featurizer.Dimension);
        ImagePreprocessing p = featurizer.Preprocessing;
        Assert.Equal((Side, Side, TensorLayout.Chw, TensorElementType.Float32), (p.Width, p.Height, p.Layout, p.ElementType));
        Assert.Equal(PixelNormalization.ImageNet, p.Normalization);

        Image[] images = SyntheticImages.Make(7, seed: 5);
        var features = new float[images.Length * Channels];
        featurizer.Featurize(images, features);
        using Network network = Load(SmallCnn());
        for (int i = 0; i < images.Length; i++)
        {
            float[] gap = network.Run(p.ToTensor(images[i]), "gap")[0].AsSpan<float>().ToArray();
            for (int c = 0; c < Channels; c++) Assert.Equal(gap[c], features[i * Channels + c], 1e-5f);
        }
    }

    [Theory]
    [InlineData("gmp")]
    [InlineData("gem:3")]
    [InlineData("spp:1,2,3:avg")]
    [InlineData("concat")]
    public void Every_pooling_matches_the_naive_pooling_of_the_tapped_map(string pooling)
    {
        using BackboneFeaturizer featurizer = Create(new BackboneSpec { Pooling = pooling });
        PoolingSpec spec = PoolingSpec.Parse(pooling);
        Image[] images = SyntheticImages.Make(4, seed: 6);
        var features = new float[images.Length * featurizer.Dimension];
        featurizer.Featurize(images, features);
        using Network network = Load(SmallCnn());
        for (int i = 0; i < images.Length; i++)
        {
            float[] map = network.Run(featurizer.Preprocessing.ToTensor(images[i]), "relu")[0].AsSpan<float>().ToArray();
            double[] expected = Pooling.SpatialPoolingTests.Naive(spec, map, Channels, Side, Side);
            for (int j = 0; j < expected.Length; j++)
                Assert.Equal(expected[j], features[i * featurizer.Dimension + j], 1e-4 * (1 + Math.Abs(expected[j])));
        }
    }

    [Fact]
    public void Batches_singles_and_a_rebuilt_featurizer_give_the_same_features()
    {
        Image[] images = SyntheticImages.Make(8, seed: 7);
        var spec = new BackboneSpec { Pooling = "gem:3", Normalization = L2Normalization.Final };
        using BackboneFeaturizer batched = Create(spec, batchSize: 3);
        var a = new float[images.Length * batched.Dimension];
        batched.Featurize(images, a);

        FeaturizerSpec stored = FeaturizerSpec.FromJson(batched.Spec.ToJson());
        using IFeaturizer rebuilt = BackboneFeaturizer.Create(Load(SmallCnn()), true, "00", (BackboneSpec)stored, null, new FeaturizerOptions { BatchSize = 1 });
        Assert.Equal(batched.Fingerprint, rebuilt.Fingerprint);
        var single = new float[rebuilt.Dimension];
        for (int i = 0; i < images.Length; i++)
        {
            rebuilt.Featurize(images[i], single);
            for (int c = 0; c < single.Length; c++) Assert.Equal(a[i * single.Length + c], single[c], 1e-6f);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(16)]
    public void The_thread_count_never_changes_the_features(int batchSize)
    {
        // 11 images: batches split unevenly across threads, and a last batch smaller than the thread count.
        Image[] images = SyntheticImages.Make(11, seed: 9);
        var spec = new BackboneSpec { Pooling = "gem:3", MirrorAverage = true };
        float[]? reference = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using BackboneFeaturizer featurizer = BackboneFeaturizer.Create(Network.FromGraph(OnnxModelReader.Read(SmallCnn(), "cnn.onnx", TestOperators.Resolve),
                new NetworkOptions { Threads = threads }), true, "00", spec, null, new FeaturizerOptions { Threads = threads, BatchSize = batchSize });
            var features = new float[images.Length * featurizer.Dimension];
            featurizer.Featurize(images, features);
            reference ??= features;
            Assert.Equal(reference, features); // bitwise: a model trained on these is the same whatever the thread count
        }
    }

    [Fact]
    public void Several_taps_concatenate_with_per_tap_and_final_normalization()
    {
        using BackboneFeaturizer both = Create(new BackboneSpec { Taps = ["conv", "relu"], Normalization = L2Normalization.PerTap });
        Assert.Equal(2 * Channels, both.Dimension);
        Image[] images = SyntheticImages.Make(3, seed: 8);
        var f = new float[images.Length * both.Dimension];
        both.Featurize(images, f);
        for (int i = 0; i < images.Length; i++)
        {
            Assert.Equal(1.0, Norm(f.AsSpan(i * 12, 6)), 1e-5);
            Assert.Equal(1.0, Norm(f.AsSpan(i * 12 + 6, 6)), 1e-5);
        }
        using BackboneFeaturizer final = Create(new BackboneSpec { Taps = ["conv", "relu"], Normalization = L2Normalization.Final });
        var g = new float[f.Length];
        final.Featurize(images, g);
        for (int i = 0; i < images.Length; i++) Assert.Equal(1.0, Norm(g.AsSpan(i * 12, 12)), 1e-5);
        Assert.NotEqual(both.Fingerprint, final.Fingerprint);
    }

    [Fact]
    public void Mirror_average_is_the_mean_of_the_image_and_its_mirror()
    {
        using BackboneFeaturizer plain = Create(new BackboneSpec { Pooling = "spp:2" });
        using BackboneFeaturizer mirrored = Create(new BackboneSpec { Pooling = "spp:2", MirrorAverage = true });
        Image[] images = SyntheticImages.Make(2, seed: 9);
        var expected = new float[plain.Dimension];
        var flipped = new float[plain.Dimension];
        var actual = new float[plain.Dimension];
        foreach (Image image in images)
        {
            plain.Featurize(image, expected);
            plain.Featurize(Mirror(image), flipped);
            mirrored.Featurize(image, actual);
            for (int j = 0; j < actual.Length; j++) Assert.Equal(0.5f * (expected[j] + flipped[j]), actual[j], 1e-5f);
        }
    }

    [Fact]
    public void Unknown_taps_and_mismatched_preprocessing_are_typed_errors()
    {
        Assert.Throws<InvalidModelException>(() => Create(new BackboneSpec { Taps = ["nope"] }));
        Assert.Throws<ArgumentException>(() => Create(new BackboneSpec { Preprocessing = new ImagePreprocessing { Width = 224, Height = 224 } }));
        Assert.Throws<ArgumentException>(() => Create(new BackboneSpec { Preprocessing = new ImagePreprocessing { Width = Side, Height = Side, Layout = TensorLayout.Hwc } }));
        Assert.Throws<ArgumentException>(() => new BackboneSpec { Pooling = "avg" }.Validate());
    }

    [Fact]
    public void A_uint8_nhwc_input_takes_raw_samples_at_the_declared_size_and_the_registry_fills_the_rest()
    {
        var input = new TensorDeclaration("input", DataType.UInt8, [1, 224, 224, 3], null);
        var registry = new ImagePreprocessing { Mode = ResizeMode.Fill, Width = 100, Height = 100 };
        ImagePreprocessing p = BackboneFeaturizer.ResolvePreprocessing(input, null, registry, null);
        Assert.Equal((224, 224, TensorLayout.Hwc, TensorElementType.UInt8, ResizeMode.Fill), (p.Width, p.Height, p.Layout, p.ElementType, p.Mode));
        Assert.Equal(PixelNormalization.Raw, p.Normalization);

        var open = new TensorDeclaration("input", DataType.Float32, [-1, 3, -1, -1], null);
        ImagePreprocessing q = BackboneFeaturizer.ResolvePreprocessing(open, null, null, null);
        Assert.Equal((224, 224, TensorLayout.Chw), (q.Width, q.Height, q.Layout));

        Assert.Throws<InvalidModelException>(() => BackboneFeaturizer.ResolvePreprocessing(new TensorDeclaration("x", DataType.Float32, [1, 10], null), null, null, null));
        Assert.Throws<InvalidModelException>(() => BackboneFeaturizer.ResolvePreprocessing(new TensorDeclaration("x", DataType.Int32, [1, 3, 8, 8], null), null, null, null));
    }

    [Fact]
    public void Overrides_change_only_what_they_name_over_the_registry_or_the_defaults()
    {
        var input = new TensorDeclaration("input", DataType.Float32, [1, 3, 96, 128], null);
        var registry = new ImagePreprocessing { Mode = ResizeMode.ShorterSideThenCenterCrop, Normalization = PixelNormalization.Inception };
        var overrides = new PreprocessingOverrides { ShorterSide = 160, Channels = ChannelOrder.Bgr, Std = new ChannelValues(0.25f, 0.5f, 1f) };
        ImagePreprocessing p = BackboneFeaturizer.ResolvePreprocessing(input, null, registry, null, overrides);
        Assert.Equal((128, 96, TensorLayout.Chw, ResizeMode.ShorterSideThenCenterCrop, 160, ChannelOrder.Bgr),
            (p.Width, p.Height, p.Layout, p.Mode, p.ShorterSide, p.Channels));
        Assert.Equal(PixelNormalization.Inception.Offset, p.Normalization.Offset); // no --mean: the registry's offset, exactly
        Assert.Equal(new ChannelValues(1 / (255f * 0.25f), 1 / (255f * 0.5f), 1 / 255f), p.Normalization.Scale);

        ImagePreprocessing q = BackboneFeaturizer.ResolvePreprocessing(input, null, null, null, new PreprocessingOverrides { Mean = new ChannelValues(0.5f, 0.5f, 0.5f), Mode = ResizeMode.Fill });
        Assert.Equal(new ChannelValues(127.5f, 127.5f, 127.5f), q.Normalization.Offset);
        Assert.Equal(PixelNormalization.ImageNet.Scale, q.Normalization.Scale); // no --std: ImageNet's scale, exactly
        Assert.Equal((ResizeMode.Fill, CropAnchor.Center, ChannelOrder.Rgb), (q.Mode, q.Anchor, q.Channels));

        Assert.Equal(BackboneFeaturizer.ResolvePreprocessing(input, null, registry, null),
            BackboneFeaturizer.ResolvePreprocessing(input, null, registry, null, new PreprocessingOverrides()));
    }

    [Fact]
    public void Overrides_that_cannot_apply_are_refused_with_the_reason()
    {
        var uint8 = new TensorDeclaration("input", DataType.UInt8, [1, 224, 224, 3], null);
        var withMean = new PreprocessingOverrides { Mean = new ChannelValues(0.5f, 0.5f, 0.5f) };
        Assert.Contains("uint8", Assert.Throws<ArgumentException>(() => BackboneFeaturizer.ResolvePreprocessing(uint8, null, null, null, withMean)).Message);
        Assert.Equal(ResizeMode.Fill, BackboneFeaturizer.ResolvePreprocessing(uint8, null, null, null, new PreprocessingOverrides { Mode = ResizeMode.Fill }).Mode);

        var float32 = new TensorDeclaration("input", DataType.Float32, [1, 3, 8, 8], null);
        Assert.Throws<ArgumentException>(() => BackboneFeaturizer.ResolvePreprocessing(float32, null, null, null, new PreprocessingOverrides { Channels = ChannelOrder.Gray }));
        Assert.Throws<ArgumentOutOfRangeException>(() => BackboneFeaturizer.ResolvePreprocessing(float32, null, null, null, new PreprocessingOverrides { Std = new ChannelValues(1, 0, 1) }));
        Assert.Throws<ArgumentException>(() => BackboneFeaturizer.ResolvePreprocessing(float32, null, null, null, new PreprocessingOverrides { Mean = new ChannelValues(float.NaN, 0, 0) }));
        Assert.Throws<ArgumentException>(() => BackboneFeaturizer.ResolvePreprocessing(float32, null, null, null, new PreprocessingOverrides { ShorterSide = -1, Mode = ResizeMode.ShorterSideThenCenterCrop }));
        // Settings the resolved resize never reads are refused, not stored to do nothing.
        Assert.Contains("shorter side applies", Assert.Throws<ArgumentException>(() => BackboneFeaturizer.ResolvePreprocessing(float32, null, null, null, new PreprocessingOverrides { ShorterSide = 256 })).Message);
        Assert.Contains("anchor applies", Assert.Throws<ArgumentException>(() => BackboneFeaturizer.ResolvePreprocessing(float32, null, null, null, new PreprocessingOverrides { Anchor = CropAnchor.Top, Mode = ResizeMode.Fill })).Message);
        var gray = new TensorDeclaration("input", DataType.Float32, [1, 1, 8, 8], null);
        Assert.Contains("one (gray) channel", Assert.Throws<ArgumentException>(() => BackboneFeaturizer.ResolvePreprocessing(gray, null, null, null, new PreprocessingOverrides { Channels = ChannelOrder.Bgr })).Message);
        Assert.Throws<ArgumentException>(() => BackboneFeaturizer.ResolvePreprocessing(float32, new ImagePreprocessing { Width = 8, Height = 8 }, null, null, withMean));
        Assert.Throws<ArgumentException>(() => new Pipeline.Classification.TrainerOptions { Preprocessing = withMean }.Validate());
    }

    private static double Norm(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float x in v) s += x * x;
        return Math.Sqrt(s);
    }

    private static Image Mirror(Image image)
    {
        var result = new Image(image.Width, image.Height, image.Format);
        int bpp = image.BytesPerPixel;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                image.Row(y).Slice(x * bpp, bpp).CopyTo(result.Row(y).Slice((image.Width - 1 - x) * bpp, bpp));
        return result;
    }
}
