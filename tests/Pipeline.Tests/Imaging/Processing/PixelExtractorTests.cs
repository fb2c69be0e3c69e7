using Pipeline.Imaging;
using Pipeline.Imaging.Processing;

namespace Pipeline.Tests.Imaging.Processing;

/// <summary>Pixel extraction against the element-by-element reference, at every SIMD level and every remainder.</summary>
public sealed class PixelExtractorTests
{
    public static TheoryData<int, TensorLayout, ChannelOrder> Combinations()
    {
        var data = new TheoryData<int, TensorLayout, ChannelOrder>();
        foreach (int level in NaiveReference.LevelValues())
        {
            foreach (TensorLayout layout in Enum.GetValues<TensorLayout>())
            {
                foreach (ChannelOrder order in Enum.GetValues<ChannelOrder>()) data.Add(level, layout, order);
            }
        }
        return data;
    }

    private static readonly PixelNormalization[] Presets =
    [
        PixelNormalization.ImageNet,
        PixelNormalization.Inception,
        PixelNormalization.Raw,
        new PixelNormalization { Offset = new ChannelValues(10, 20, 30), Scale = new ChannelValues(0.5f, -2, 3) },
    ];

    [Theory]
    [MemberData(nameof(Combinations))]
    public void FloatsEqualTheNaiveLoopBitForBit(int level, TensorLayout layout, ChannelOrder order)
    {
        // 1..70 pixels per row covers every remainder of the 5-pixel and 16-pixel steps; a second row checks the planes' strides.
        for (int width = 1; width <= 70; width++)
        {
            foreach (int height in (ReadOnlySpan<int>)[1, 3])
            {
                byte[] rgb = NaiveReference.RandomImage(width, height, PixelFormat.Rgb24, width * 7 + height).Pixels;
                foreach (PixelNormalization n in Presets)
                {
                    float[] expected = NaiveReference.Extract(rgb, width, height, layout, order, n);
                    var actual = new float[expected.Length];
                    PixelExtractor.ToSingle(rgb, width * height, layout, order, n, actual, (SimdLevel)level);
                    Assert.True(expected.AsSpan().SequenceEqual(actual), $"{width}x{height} {layout} {order} offset {n.Offset}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void BytesEqualTheNaiveLoop(int level, TensorLayout layout, ChannelOrder order)
    {
        for (int width = 1; width <= 70; width++)
        {
            byte[] rgb = NaiveReference.RandomImage(width, 2, PixelFormat.Rgb24, width).Pixels;
            byte[] expected = NaiveReference.ExtractBytes(rgb, width, 2, layout, order);
            var actual = new byte[expected.Length];
            PixelExtractor.ToBytes(rgb, width * 2, layout, order, actual, (SimdLevel)level);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void ImageNetPresetIsTorchvisionsFormulaWithinAMillionth()
    {
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        byte[] rgb = Enumerable.Range(0, 256 * 3).Select(i => (byte)(i / 3)).ToArray();
        var actual = new float[rgb.Length];
        PixelExtractor.ToSingle(rgb, 256, TensorLayout.Hwc, ChannelOrder.Rgb, PixelNormalization.ImageNet, actual);
        for (int i = 0; i < rgb.Length; i++)
        {
            double expected = (rgb[i] / 255.0 - mean[i % 3]) / std[i % 3];
            Assert.InRange(actual[i], expected - 1e-5, expected + 1e-5);
        }
    }

    [Fact]
    public void InceptionPresetMapsToMinusOneToOne()
    {
        var actual = new float[3];
        PixelExtractor.ToSingle(new byte[] { 0, 255, 128 }, 1, TensorLayout.Hwc, ChannelOrder.Rgb, PixelNormalization.Inception, actual);
        Assert.Equal(-1f, actual[0]);
        Assert.Equal(1f, actual[1], 6);
        Assert.Equal(128 / 127.5f - 1, actual[2], 6);
    }

    [Fact]
    public void BgrKeepsEachColorsConstants()
    {
        // Red 10 with the red constants lands in the last channel.
        var n = new PixelNormalization { Offset = new ChannelValues(1, 2, 3), Scale = new ChannelValues(1, 10, 100) };
        var actual = new float[3];
        PixelExtractor.ToSingle(new byte[] { 10, 20, 30 }, 1, TensorLayout.Hwc, ChannelOrder.Bgr, n, actual);
        Assert.Equal([2700f, 180f, 9f], actual);
    }

    [Fact]
    public void WrongDestinationLengthsAreRejected()
    {
        var rgb = new byte[12];
        Assert.Throws<ArgumentException>(() => PixelExtractor.ToSingle(rgb, 4, TensorLayout.Chw, ChannelOrder.Rgb, PixelNormalization.Raw, new float[11]));
        Assert.Throws<ArgumentException>(() => PixelExtractor.ToSingle(rgb, 4, TensorLayout.Chw, ChannelOrder.Gray, PixelNormalization.Raw, new float[12]));
        Assert.Throws<ArgumentException>(() => PixelExtractor.ToBytes(rgb, 5, TensorLayout.Chw, ChannelOrder.Rgb, new byte[15]));
    }
}
