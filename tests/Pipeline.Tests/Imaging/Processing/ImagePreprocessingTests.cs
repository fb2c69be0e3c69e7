using System.Text.Json;
using Pipeline.Imaging;
using Pipeline.Imaging.Processing;
using Pipeline.Tensors;

namespace Pipeline.Tests.Imaging.Processing;

/// <summary>The public spec: its JSON form, its composition of the steps, and its decoder hint.</summary>
public sealed class ImagePreprocessingTests
{
    private static readonly ImagePreprocessing Custom = new()
    {
        Width = 299,
        Height = 201,
        Mode = ResizeMode.ShorterSideThenCenterCrop,
        Anchor = CropAnchor.BottomLeft,
        ShorterSide = 333,
        Filter = ResamplingFilter.Bicubic,
        PadColor = new RgbColor(1, 2, 3),
        Background = new RgbColor(250, 128, 0),
        Grayscale = true,
        Layout = TensorLayout.Hwc,
        Channels = ChannelOrder.Bgr,
        ElementType = TensorElementType.Float32,
        Normalization = PixelNormalization.FromMeanStd(new ChannelValues(0.5f, 0.25f, 0.125f), new ChannelValues(0.1f, 0.2f, 0.3f)),
    };

    [Fact]
    public void JsonRoundTripGivesAnEqualSpec()
    {
        foreach (ImagePreprocessing spec in (ImagePreprocessing[])[new(), Custom, new() { ElementType = TensorElementType.UInt8, Layout = TensorLayout.Hwc, Mode = ResizeMode.Fill }])
        {
            string json = spec.ToJson();
            Assert.Equal(spec, ImagePreprocessing.FromJson(json));
            // Through plain System.Text.Json too, as a manifest serializer would do it.
            Assert.Equal(spec, JsonSerializer.Deserialize<ImagePreprocessing>(JsonSerializer.Serialize(spec)));
        }
    }

    [Fact]
    public void JsonUsesCamelCaseStringEnumsAndHexColors()
    {
        string json = Custom.ToJson();
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        Assert.Equal("ShorterSideThenCenterCrop", root.GetProperty("mode").GetString());
        Assert.Equal("BottomLeft", root.GetProperty("anchor").GetString());
        Assert.Equal("Bicubic", root.GetProperty("filter").GetString());
        Assert.Equal("Hwc", root.GetProperty("layout").GetString());
        Assert.Equal("Bgr", root.GetProperty("channels").GetString());
        Assert.Equal("Float32", root.GetProperty("elementType").GetString());
        Assert.Equal("#010203", root.GetProperty("padColor").GetString());
        Assert.Equal("#FA8000", root.GetProperty("background").GetString());
        Assert.Equal(333, root.GetProperty("shorterSide").GetInt32());
        Assert.Equal(3, root.GetProperty("normalization").GetProperty("offset").GetArrayLength());
        Assert.DoesNotContain("channelCount", json);
        Assert.DoesNotContain("elementCount", json);
    }

    [Fact]
    public void MissingJsonFieldsTakeTheDefaults()
    {
        Assert.Equal(new ImagePreprocessing { Width = 100 }, ImagePreprocessing.FromJson("""{"width":100}"""));
        Assert.Equal(new ImagePreprocessing(), ImagePreprocessing.FromJson("{}"));
    }

    [Theory]
    [InlineData("""{"width":0}""")]
    [InlineData("""{"height":-5}""")]
    [InlineData("""{"mode":"Stretch"}""")]
    [InlineData("""{"mode":42}""")]
    [InlineData("""{"padColor":"#12"}""")]
    [InlineData("""{"normalization":{"offset":[1,2],"scale":[1,1,1]}}""")]
    [InlineData("""{"normalization":null}""")]
    [InlineData("""{"shorterSide":-1}""")]
    [InlineData("not json")]
    public void InvalidJsonIsAJsonException(string json)
    {
        Assert.ThrowsAny<JsonException>(() => ImagePreprocessing.FromJson(json));
    }

    [Theory]
    [InlineData(TensorLayout.Chw, ChannelOrder.Rgb)]
    [InlineData(TensorLayout.Hwc, ChannelOrder.Bgr)]
    [InlineData(TensorLayout.Chw, ChannelOrder.Gray)]
    public void ApplyIsRenderThenExtraction(TensorLayout layout, ChannelOrder order)
    {
        var spec = new ImagePreprocessing { Width = 37, Height = 29, Layout = layout, Channels = order, Mode = ResizeMode.IsoPad, PadColor = new RgbColor(9, 99, 199) };
        Image image = NaiveReference.RandomImage(120, 80, PixelFormat.Rgba32, 6);
        Image rendered = spec.Render(image);
        Assert.Equal((37, 29, PixelFormat.Rgb24), (rendered.Width, rendered.Height, rendered.Format));
        // The render is the composite, resized: check it against the steps done one by one.
        Image composited = ColorConversion.CompositeOver(image, spec.Background);
        ResizePlan plan = ResizePlan.Create(spec.Mode, spec.Anchor, 120, 80, 37, 29, spec.EffectiveShorterSide);
        byte[] resized = NaiveReference.Resample(composited.Pixels, 120, 80, 3, plan, spec.Filter, spec.PadColor);
        if (order == ChannelOrder.Gray) Assert.True(NaiveReference.MaxDifference(ColorConversion.ToGrayscale(new Image(37, 29, PixelFormat.Rgb24, resized), default).Pixels, rendered.Pixels) <= 1);
        else Assert.True(NaiveReference.MaxDifference(resized, rendered.Pixels) <= 1);

        var tensor = new float[spec.ElementCount];
        spec.Apply(image, tensor);
        Assert.Equal(NaiveReference.Extract(rendered.Pixels, 37, 29, layout, order, spec.Normalization), tensor);
    }

    [Fact]
    public void GrayscaleKeepsThreeEqualChannels()
    {
        var spec = new ImagePreprocessing { Width = 8, Height = 8, Grayscale = true, Normalization = PixelNormalization.Raw, Layout = TensorLayout.Hwc };
        var tensor = new float[spec.ElementCount];
        spec.Apply(NaiveReference.RandomImage(20, 20, PixelFormat.Rgb24, 1), tensor);
        for (int p = 0; p < 64; p++)
        {
            Assert.Equal(tensor[3 * p], tensor[3 * p + 1]);
            Assert.Equal(tensor[3 * p], tensor[3 * p + 2]);
        }
    }

    [Fact]
    public void MirrorFlipsTheRenderedPicture()
    {
        var spec = new ImagePreprocessing { Width = 16, Height = 12, Mode = ResizeMode.Fill };
        Image image = NaiveReference.RandomImage(40, 30, PixelFormat.Rgb24, 2);
        Assert.Equal(Geometry.FlipHorizontal(spec.Render(image)).Pixels, spec.Render(image, mirror: true).Pixels);
    }

    [Fact]
    public void ABatchTensorStacksTheSingleImageTensors()
    {
        var spec = new ImagePreprocessing { Width = 10, Height = 6 };
        Image[] images = [NaiveReference.RandomImage(30, 20, PixelFormat.Rgb24, 1), NaiveReference.RandomImage(7, 40, PixelFormat.Rgba32, 2), NaiveReference.RandomImage(1, 1, PixelFormat.Rgb24, 3)];
        Tensor batch = spec.ToTensor(images);
        Assert.Equal(DataType.Float32, batch.Type);
        Assert.Equal([3, 3, 6, 10], batch.ShapeArray());
        for (int i = 0; i < images.Length; i++)
        {
            Tensor single = spec.ToTensor(images[i]);
            Assert.Equal([1, 3, 6, 10], single.ShapeArray());
            Assert.True(single.AsSpan<float>().SequenceEqual(batch.AsSpan<float>().Slice(i * 180, 180)));
        }
    }

    [Fact]
    public void UInt8TensorsHoldTheRenderedBytes()
    {
        // The quantized TFLite MobileNet's input: uint8 RGB, 224x224, HWC.
        var spec = new ImagePreprocessing { Mode = ResizeMode.Fill, Layout = TensorLayout.Hwc, ElementType = TensorElementType.UInt8 };
        Image image = NaiveReference.RandomImage(300, 250, PixelFormat.Rgb24, 4);
        Tensor tensor = spec.ToTensor(image);
        Assert.Equal(DataType.UInt8, tensor.Type);
        Assert.Equal([1, 224, 224, 3], tensor.ShapeArray());
        Assert.Equal(spec.Render(image).Pixels, tensor.AsSpan<byte>().ToArray());

        var chw = spec with { Layout = TensorLayout.Chw };
        var planar = new byte[chw.ElementCount];
        chw.Apply(image, planar);
        Assert.Equal(NaiveReference.ExtractBytes(spec.Render(image).Pixels, 224, 224, TensorLayout.Chw, ChannelOrder.Rgb), planar);
    }

    [Fact]
    public void MisusedDestinationsAreRejected()
    {
        var spec = new ImagePreprocessing { Width = 4, Height = 4 };
        Image image = NaiveReference.RandomImage(5, 5, PixelFormat.Rgb24, 1);
        Assert.Throws<ArgumentException>(() => spec.Apply(image, new float[47]));
        Assert.Throws<ArgumentException>(() => spec.Apply(image, new float[49]));
        Assert.Throws<InvalidOperationException>(() => spec.Apply(image, new byte[48]));
        Assert.Throws<InvalidOperationException>(() => (spec with { ElementType = TensorElementType.UInt8 }).Apply(image, new float[48]));
        Assert.Throws<ArgumentException>(() => (spec with { Width = 0 }).Apply(image, new float[0]));
    }

    [Fact]
    public void DecoderHintAsksForTheSmallestSizeThatAvoidsUpscaling()
    {
        var spec = new ImagePreprocessing { Width = 224, Height = 160 };
        Assert.Equal((224, 160), Hint(spec with { Mode = ResizeMode.Fill }));
        Assert.Equal((224, 160), Hint(spec with { Mode = ResizeMode.IsoCrop }));
        Assert.Equal((256, 256), Hint(spec with { Mode = ResizeMode.ShorterSideThenCenterCrop }));
        Assert.Equal((300, 300), Hint(spec with { Mode = ResizeMode.ShorterSideThenCenterCrop, ShorterSide = 300 }));
        // IsoPad without the source size: the whole box; with it, only the fitted picture (3000x1000 -> 224x75).
        Assert.Equal((224, 160), Hint(spec with { Mode = ResizeMode.IsoPad }));
        Assert.Equal((224, 75), Hint(spec with { Mode = ResizeMode.IsoPad }, 3000, 1000));
        // Other options are kept.
        DecoderOptions options = spec.DecoderHint(new DecoderOptions { MaxPixels = 5, AllowPartial = true });
        Assert.Equal((5L, true), (options.MaxPixels, options.AllowPartial));
    }

    [Fact]
    public void EffectiveShorterSideFollowsTheCropRatio()
    {
        Assert.Equal(256, new ImagePreprocessing().EffectiveShorterSide);
        Assert.Equal(342, new ImagePreprocessing { Width = 299, Height = 299 }.EffectiveShorterSide);
        Assert.Equal(100, new ImagePreprocessing { ShorterSide = 100 }.EffectiveShorterSide);
    }

    [Fact]
    public void ShapeFollowsLayoutAndChannels()
    {
        Assert.Equal([5, 3, 224, 224], new ImagePreprocessing().Shape(5));
        Assert.Equal([1, 20, 10, 1], new ImagePreprocessing { Width = 10, Height = 20, Layout = TensorLayout.Hwc, Channels = ChannelOrder.Gray }.Shape());
    }

    private static (int, int) Hint(ImagePreprocessing spec, int w = 0, int h = 0)
    {
        DecoderOptions options = spec.DecoderHint(null, w, h);
        return (options.MinWidth, options.MinHeight);
    }
}
