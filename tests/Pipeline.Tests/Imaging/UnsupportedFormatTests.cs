using System.Text;
using Pipeline.Datasets;
using Pipeline.Imaging;
using Pipeline.Tests.Imaging.CodecTools;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Imaging;

/// <summary>
/// Files the decoders do not read are refused with a reason that names what they are (HEIC, AVIF, TIFF, a web page...)
/// and what to do, both from <see cref="ImageDecoder"/> and in a dataset's excluded list.
/// </summary>
public sealed class UnsupportedFormatTests
{
    private static byte[] Ftyp(string brand, string compatible = "mif1") => [0, 0, 0, 0x18, .. "ftyp"u8, .. Encoding.ASCII.GetBytes(brand), 0, 0, 0, 0, .. Encoding.ASCII.GetBytes(compatible), .. "miaf"u8];

    public static TheoryData<string, byte[], string> Heads() => new()
    {
        { "heic", Ftyp("heic"), "HEIC" },
        { "heif", Ftyp("mif1"), "a HEIF image" },
        { "heif-avif", Ftyp("mif1", "avif"), "an AVIF image" },
        { "cr3", Ftyp("crx "), "Canon CR3 raw" },
        { "avif", Ftyp("avif"), "AVIF" },
        { "mp4", Ftyp("isom"), "not an image" },
        { "tiff-le", [.. "II*\0"u8, 8, 0, 0, 0], "TIFF" },
        { "tiff-be", [.. "MM\0*"u8, 0, 0, 0, 8], "TIFF" },
        { "jxl", [0xFF, 0x0A, 0x7A, 0x14], "JPEG XL" },
        { "jp2", [0, 0, 0, 0x0C, .. "jP  "u8, 0x0D, 0x0A, 0x87, 0x0A], "JPEG 2000" },
        { "psd", [.. "8BPS"u8, 0, 1], "Photoshop" },
        { "pdf", "%PDF-1.7\n"u8.ToArray(), "PDF" },
        { "zip", [.. "PK"u8, 3, 4, 20, 0], "zip archive" },
        { "wav", [.. "RIFF"u8, 36, 0, 0, 0, .. "WAVE"u8], "'WAVE'" },
        { "html", "\uFEFF\n  <!DOCTYPE html><html>"u8.ToArray(), "HTML page" },
        { "svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"u8.ToArray(), "SVG" },
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public void DecodeNamesTheFormat(string name, byte[] head, string expected)
    {
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(head));
        Assert.Contains(expected, e.Reason);
        Assert.DoesNotContain("starts with", e.Reason);
        Assert.Equal(ImageFormat.Unknown, e.Format);
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Fact]
    public void UnrecognisedBytesStillShowTheirFirstBytes()
    {
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode("hello, world"u8));
        Assert.Equal($"not a {UnsupportedFormat.Supported} image (starts with 68656C6C6F2C2077)", e.Reason);
        Assert.Equal("the file is empty", Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(ReadOnlySpan<byte>.Empty)).Reason);
        // Text that merely starts with '<' is not taken for a web page.
        Assert.Contains("starts with", Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode("<note>"u8)).Reason);
    }

    [Fact]
    public void FilesWrittenByImageMagick_AreNamedInTheDatasetsExcludedList()
    {
        using var scratch = new ScratchFolder("unsupported");
        string source = Path.Combine(scratch.Path, "source.png");
        ExternalTool.ImageMagick("-size", "32x24", "gradient:red-blue", source);
        string cats = Path.Combine(scratch.Path, "data", "cats");
        Directory.CreateDirectory(cats);
        File.Copy(source, Path.Combine(cats, "ok.png"));
        var written = new List<(string File, string Expected)>();
        foreach ((string format, string expected) in new[] { ("tiff", "TIFF"), ("heic", "HEIC"), ("avif", "AVIF") })
        {
            string path = Path.Combine(cats, "photo." + format);
            try
            {
                ExternalTool.ImageMagick(source, path);
            }
            catch (InvalidOperationException)
            {
                continue; // this ImageMagick build cannot write the format; the synthetic heads above still cover it
            }
            written.Add((path, expected));
        }
        Assert.SkipWhen(written.Count == 0, "this ImageMagick build writes none of TIFF, HEIC and AVIF");

        ImageDataset data = ImageDataset.FromFolder(Path.Combine(scratch.Path, "data"));

        Assert.Equal(1, data.Count);
        foreach ((string file, string expected) in written)
        {
            ExcludedFile excluded = Assert.Single(data.Excluded, e => e.Path == file);
            Assert.Contains(expected, excluded.Reason);
            Assert.Contains("convert", excluded.Reason);
            Assert.Contains(expected, Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(file)).Message);
        }
    }

    [Fact]
    public void TheDatasetScanGivesTheDecodersReason_EvenAfterAByteOrderMarkAndBlankLines()
    {
        using var scratch = new ScratchFolder("unsupported-scan");
        string cats = Path.Combine(scratch.Path, "data", "cats");
        Directory.CreateDirectory(cats);
        File.WriteAllBytes(Path.Combine(cats, "ok.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]);
        string page = Path.Combine(cats, "photo.jpg");
        File.WriteAllBytes(page, [.. "\uFEFF\r\n\r\n\r\n        <!DOCTYPE html>\n<html><body>Not found</body></html>"u8]);

        ExcludedFile excluded = Assert.Single(ImageDataset.FromFolder(Path.Combine(scratch.Path, "data")).Excluded);

        Assert.Equal(page, excluded.Path);
        Assert.Contains("an HTML page", excluded.Reason);
        Assert.Equal(Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(page)).Reason, excluded.Reason);
    }

    [Fact]
    public void OnlyTheFirstBytesOfALargeBufferAreLookedAt()
    {
        byte[] large = new byte[16 << 20];
        large.AsSpan().Fill((byte)'A');
        large[0] = (byte)'<';
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(large));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("starts with 3C41414141414141", e.Reason);
        Assert.True(allocated < 64 << 10, $"naming a 16 MiB buffer allocated {allocated:N0} bytes");
    }
}
