using System.IO.Compression;
using Pipeline.Imaging;
using Pipeline.Imaging.Png;
using Pipeline.Tests.Imaging.CodecTools;

namespace Pipeline.Tests.Imaging.Png;

public sealed class PngEncoderTests
{
    public static TheoryData<int, int, PixelFormat> Sizes()
    {
        var data = new TheoryData<int, int, PixelFormat>();
        foreach (PixelFormat format in new[] { PixelFormat.Rgb24, PixelFormat.Rgba32 })
            foreach ((int w, int h) in new[] { (1, 1), (2, 3), (17, 5), (64, 64), (301, 7) })
                data.Add(w, h, format);
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RoundTripsThroughOurDecoder(int width, int height, PixelFormat format)
    {
        Image image = Picture(width, height, format);
        byte[] png = PngEncoder.Encode(image);
        Image decoded = ImageDecoder.Decode(png);
        Assert.Equal((width, height, format), (decoded.Width, decoded.Height, decoded.Format));
        Assert.Equal(image.Pixels, decoded.Pixels);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void ImageMagickReadsWhatItWrites(int width, int height, PixelFormat format)
    {
        ExternalTool.RequireImageMagick();
        Image image = Picture(width, height, format);
        string path = Path.Combine(TestPictures.Scratch("png-encoder"), $"{width}x{height}-{format}.png");
        PngEncoder.Save(image, path, CompressionLevel.Fastest);
        byte[] rgba = ExternalTool.ImageMagickRgba8(path);
        for (int i = 0; i < width * height; i++)
        {
            for (int c = 0; c < 4; c++)
            {
                int expected = c < image.BytesPerPixel ? image.Pixels[i * image.BytesPerPixel + c] : 255;
                Assert.True(expected == rgba[i * 4 + c], $"pixel {i} channel {c}: wrote {expected}, ImageMagick read {rgba[i * 4 + c]}");
            }
        }
    }

    [Fact]
    public void WritesOnlyTheExpectedChunksAndSplitsLargeImageData()
    {
        byte[] png = PngEncoder.Encode(Picture(700, 500, PixelFormat.Rgba32, noise: 255), CompressionLevel.Fastest);
        List<(string Type, byte[] Data)> chunks = PngChunks.Parse(png);
        Assert.Equal("IHDR", chunks[0].Type);
        Assert.Equal("IEND", chunks[^1].Type);
        Assert.All(chunks.Skip(1).SkipLast(1), c => Assert.Equal("IDAT", c.Type));
        Assert.True(chunks.Count > 3, "a megabyte of noise should need more than one 64 KiB IDAT chunk");
        Assert.All(chunks, c => Assert.True(c.Data.Length <= 65536));
    }

    [Fact]
    public void FilterHeuristicBeatsNoFilterOnSmoothImages()
    {
        // A smooth gradient: Sub/Up/Paeth turn it into near-zero bytes that deflate compresses far better.
        Image image = Picture(256, 256, PixelFormat.Rgb24, noise: 0);
        byte[] adaptive = PngEncoder.Encode(image);
        byte[] unfiltered = PngChunks.Image(PngChunks.Header(256, 256, 8, 2), Unfiltered(image));
        Assert.True(adaptive.Length < unfiltered.Length / 2, $"adaptive {adaptive.Length} bytes vs unfiltered {unfiltered.Length}");
    }

    internal static Image Picture(int width, int height, PixelFormat format, int noise = 40)
    {
        var random = new Random(width * 1000 + height);
        var image = new Image(width, height, format);
        int bpp = image.BytesPerPixel;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < bpp; c++)
                    image.Pixels[(y * width + x) * bpp + c] = (byte)((x * (c + 1) * 255 / Math.Max(1, width) + y * 3 + random.Next(noise + 1)) & 0xFF);
        return image;
    }

    private static byte[] Unfiltered(Image image)
    {
        var raw = new byte[image.Height * (image.Stride + 1)];
        for (int y = 0; y < image.Height; y++) image.Row(y).CopyTo(raw.AsSpan(y * (image.Stride + 1) + 1));
        return raw;
    }
}
