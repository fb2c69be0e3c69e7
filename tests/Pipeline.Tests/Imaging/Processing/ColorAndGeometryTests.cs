using Pipeline.Imaging;
using Pipeline.Imaging.Processing;

namespace Pipeline.Tests.Imaging.Processing;

/// <summary>Grayscale, alpha compositing, crop, pad and flip.</summary>
public sealed class ColorAndGeometryTests
{
    [Theory]
    // 0.299·255 = 76.2, 0.587·255 = 149.7, 0.114·255 = 29.1; libjpeg and PIL give 76, 150, 29.
    [InlineData(255, 0, 0, 76)]
    [InlineData(0, 255, 0, 150)]
    [InlineData(0, 0, 255, 29)]
    [InlineData(255, 255, 255, 255)]
    [InlineData(0, 0, 0, 0)]
    [InlineData(100, 150, 200, 141)]
    public void LumaIsBt601RoundedLikeLibjpeg(byte r, byte g, byte b, byte y)
    {
        Assert.Equal(y, PixelExtractor.Luma(r, g, b));
    }

    [Fact]
    public void LumaIsWithinHalfALevelOfTheExactWeights()
    {
        var random = new Random(3);
        for (int i = 0; i < 10000; i++)
        {
            byte r = (byte)random.Next(256), g = (byte)random.Next(256), b = (byte)random.Next(256);
            double exact = 0.299 * r + 0.587 * g + 0.114 * b;
            Assert.InRange(PixelExtractor.Luma(r, g, b), exact - 0.51, exact + 0.51);
        }
    }

    [Fact]
    public void GrayscaleGivesThreeEqualChannels()
    {
        Image image = NaiveReference.RandomImage(9, 4, PixelFormat.Rgb24, 8);
        Image gray = ColorConversion.ToGrayscale(image, RgbColor.White);
        for (int p = 0; p < 36; p++)
        {
            byte y = NaiveReference.Luma(image.Pixels[3 * p], image.Pixels[3 * p + 1], image.Pixels[3 * p + 2]);
            Assert.Equal([y, y, y], gray.Pixels.AsSpan(3 * p, 3).ToArray());
        }
    }

    [Theory]
    [InlineData(200, 100, 0, 255, 200, 100, 0)]     // opaque: the color itself
    [InlineData(200, 100, 0, 0, 255, 255, 255)]     // transparent: the background
    [InlineData(200, 100, 0, 128, 227, 177, 127)]   // (c·128 + 255·127) / 255 rounded
    public void AlphaIsCompositedOverTheBackground(byte r, byte g, byte b, byte a, byte er, byte eg, byte eb)
    {
        var image = new Image(1, 1, PixelFormat.Rgba32, [r, g, b, a]);
        Image result = ColorConversion.CompositeOver(image, RgbColor.White);
        Assert.Equal(PixelFormat.Rgb24, result.Format);
        Assert.Equal([er, eg, eb], result.Pixels);
    }

    [Fact]
    public void CompositingIsExactRoundingOfTheBlend()
    {
        var background = new RgbColor(7, 130, 250);
        Image image = NaiveReference.RandomImage(50, 50, PixelFormat.Rgba32, 4);
        Image result = ColorConversion.CompositeOver(image, background);
        byte[] bg = [background.R, background.G, background.B];
        for (int p = 0; p < 2500; p++)
        {
            double a = image.Pixels[4 * p + 3] / 255.0;
            for (int c = 0; c < 3; c++)
            {
                double exact = image.Pixels[4 * p + c] * a + bg[c] * (1 - a);
                Assert.Equal(Math.Round(exact), result.Pixels[3 * p + c]);
            }
        }
    }

    [Fact]
    public void CropPadAndFlipMoveWholePixels()
    {
        // 4x3 image whose pixel (x, y) holds (x, y, 9).
        var pixels = new byte[4 * 3 * 3];
        for (int y = 0; y < 3; y++)
        {
            for (int x = 0; x < 4; x++)
            {
                pixels[(y * 4 + x) * 3] = (byte)x;
                pixels[(y * 4 + x) * 3 + 1] = (byte)y;
                pixels[(y * 4 + x) * 3 + 2] = 9;
            }
        }
        var image = new Image(4, 3, PixelFormat.Rgb24, pixels);

        Image crop = Geometry.Crop(image, 1, 1, 2, 2);
        Assert.Equal([1, 1, 9, 2, 1, 9, 1, 2, 9, 2, 2, 9], crop.Pixels);

        Image padded = Geometry.Pad(crop, 1, 0, 0, 1, new RgbColor(7, 7, 7));
        Assert.Equal((3, 3), (padded.Width, padded.Height));
        Assert.Equal([7, 7, 7, 1, 1, 9, 2, 1, 9, 7, 7, 7, 1, 2, 9, 2, 2, 9, 7, 7, 7, 7, 7, 7, 7, 7, 7], padded.Pixels);

        Image mirrored = Geometry.FlipHorizontal(crop);
        Assert.Equal([2, 1, 9, 1, 1, 9, 2, 2, 9, 1, 2, 9], mirrored.Pixels);
        Assert.Equal(crop.Pixels, Geometry.FlipHorizontal(mirrored).Pixels);

        Assert.Throws<ArgumentOutOfRangeException>(() => Geometry.Crop(image, 3, 0, 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Geometry.Crop(image, 0, 0, 0, 1));
    }
}
