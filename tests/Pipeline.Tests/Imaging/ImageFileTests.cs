using Pipeline.Imaging;
using Pipeline.Imaging.Png;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Imaging;

/// <summary>Decoding from a path: what is not a readable image file is refused with the reason, before any decoding.</summary>
public sealed class ImageFileTests
{
    private static readonly byte[] Png = PngEncoder.Encode(new Image(4, 3, PixelFormat.Rgb24));

    [Fact]
    public void A_folder_is_refused_as_a_folder_not_reported_missing()
    {
        using var folder = new ScratchFolder("image-file");
        UnauthorizedAccessException e = Assert.Throws<UnauthorizedAccessException>(() => ImageDecoder.Decode(folder.Path));
        Assert.Equal($"{folder.Path} is a folder, not an image file.", e.Message);
    }

    [Fact]
    public void A_linked_file_is_held_to_the_byte_limit_by_its_targets_length()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "creating a symbolic link needs a privilege on Windows");
        using var folder = new ScratchFolder("image-file");
        string target = folder.File("picture.png"), link = folder.File("link.png");
        File.WriteAllBytes(target, Png);
        File.CreateSymbolicLink(link, target);
        Assert.Equal(4, ImageDecoder.Decode(link).Width);
        // The link's own length is its target's path text, shorter than the file: the limit must see the file's.
        var limit = new DecoderOptions { MaxBytes = Png.Length - 1 };
        InvalidImageException e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(link, limit));
        Assert.Contains($"the file is {Png.Length} bytes, over the limit", e.Message);
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(1, 0)]
    [InlineData(100_000, 100_000)]
    public void An_image_of_impossible_size_is_an_argument_error(int width, int height)
        => Assert.Throws<ArgumentOutOfRangeException>(() => new Image(width, height, PixelFormat.Rgb24));
}
