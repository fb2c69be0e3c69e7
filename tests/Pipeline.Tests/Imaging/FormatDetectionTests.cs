using Pipeline.Imaging;
using Pipeline.Imaging.Png;
using Pipeline.Tests.Imaging.Bmp;
using Pipeline.Tests.Imaging.CodecTools;
using Pipeline.Tests.Imaging.Gif;

namespace Pipeline.Tests.Imaging;

/// <summary><see cref="ImageDecoder.DetectFormat"/> reads magic bytes, never the file name.</summary>
public sealed class FormatDetectionTests
{
    private static readonly Image Picture = new(3, 2, PixelFormat.Rgb24, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);

    private static byte[] Png() => PngEncoder.Encode(Picture);

    private static byte[] Bmp() => BmpFiles.Build(3, 2, 24, 0, [.. Enumerable.Range(0, 24).Select(i => (byte)i)]);

    private static byte[] Gif(string version = "GIF89a") => GifFiles.Build(2, 2, [0, 1, 1, 0], [(0, 0, 0), (9, 9, 9)], 2, version: version);

    [Fact]
    public void RecognisesEachFormatFromItsMagicBytes()
    {
        Assert.Equal(ImageFormat.Png, ImageDecoder.DetectFormat(Png()));
        Assert.Equal(ImageFormat.Bmp, ImageDecoder.DetectFormat(Bmp()));
        Assert.Equal(ImageFormat.Gif, ImageDecoder.DetectFormat(Gif()));
        Assert.Equal(ImageFormat.Gif, ImageDecoder.DetectFormat(Gif("GIF87a")));
        Assert.Equal(ImageFormat.Jpeg, ImageDecoder.DetectFormat([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]));
        Assert.Equal(ImageFormat.Webp, ImageDecoder.DetectFormat("RIFF\0\0\0\0WEBP"u8));
    }

    [Fact]
    public void ABareWebpHeaderIsAWebpError()
    {
        // "RIFF", size 0, "WEBP": recognised as WebP, then rejected by its decoder (no room for a chunk).
        InvalidImageException e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode("RIFF\0\0\0\0WEBP"u8));
        Assert.Equal(ImageFormat.Webp, e.Format);
        Assert.Equal(4, e.Offset);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E })]                              // PNG signature cut short
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x00 })] // one byte wrong
    [InlineData(new byte[] { 0xFF, 0xD8 })]                                     // JPEG SOI without a marker after it
    [InlineData(new byte[] { (byte)'B', (byte)'M', 0, 0 })]                     // "BM" but shorter than a file header
    [InlineData(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'8', (byte)'a' })]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'W', (byte)'E', (byte)'B' })] // "WEBP" cut short
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'W', (byte)'A', (byte)'V', (byte)'E' })] // RIFF, but audio
    public void AnythingElseIsUnknown(byte[] data)
    {
        Assert.Equal(ImageFormat.Unknown, ImageDecoder.DetectFormat(data));
        InvalidImageException e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(data));
        Assert.Equal(ImageFormat.Unknown, e.Format);
        Assert.Equal(0, e.Offset);
    }

    [Theory]
    [InlineData("png", ".jpg")]
    [InlineData("png", ".bmp")]
    [InlineData("bmp", ".png")]
    [InlineData("gif", ".jpeg")]
    [InlineData("gif", "")]
    public void TheExtensionIsIgnored(string format, string extension)
    {
        byte[] data = format switch { "png" => Png(), "bmp" => Bmp(), _ => Gif() };
        string path = Path.Combine(TestPictures.Scratch("detection"), $"{format}-named{extension}");
        File.WriteAllBytes(path, data);
        Image image = ImageDecoder.Decode(path);
        Assert.Equal(ImageDecoder.Decode(data).Pixels, image.Pixels);
    }

    [Fact]
    public void ErrorsFromAFileNameIt()
    {
        byte[] png = Png();
        png[20] ^= 0xFF; // IHDR data: the CRC no longer matches
        string path = Path.Combine(TestPictures.Scratch("detection"), "broken.jpg");
        File.WriteAllBytes(path, png);
        InvalidImageException e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(path));
        Assert.Equal(path, e.File);
        Assert.Equal(ImageFormat.Png, e.Format);
        Assert.StartsWith(path + ": invalid Png image at byte ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StreamsDecodeLikeBytes()
    {
        using var stream = new MemoryStream(Gif());
        Assert.Equal(ImageDecoder.Decode(Gif()).Pixels, ImageDecoder.Decode(stream).Pixels);
    }
}
