using System.Buffers.Binary;
using Pipeline.Imaging;
using Pipeline.Tests.Imaging.CodecTools;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>
/// Lossy WebP files for the VP8 tests, encoded at test time by ImageMagick (libwebp) from the test pictures, the
/// reference RGB ImageMagick decodes from them, and the "VP8 " chunk located inside a file.
/// </summary>
internal static class Vp8TestFiles
{
    private static readonly Lazy<bool> WebpSupported = new(() =>
    {
        string formats = System.Text.Encoding.UTF8.GetString(ExternalTool.Run(ExternalTool.RequireImageMagick(), ["-list", "format"]));
        return formats.Split('\n').Any(line => line.TrimStart().StartsWith("WEBP", StringComparison.Ordinal));
    });

    /// <summary>ImageMagick's convert, or a skip when it is missing or was built without WebP.</summary>
    public static string RequireWebpImageMagick()
    {
        string convert = ExternalTool.RequireImageMagick();
        if (!WebpSupported.Value) Assert.Skip("ImageMagick's 'convert -list format' has no WEBP: it was built without libwebp.");
        return convert;
    }

    /// <summary>Encodes <paramref name="source"/> as lossy WebP with extra convert arguments; returns the file's path.</summary>
    public static string Encode(PnmImage source, string folder, string name, IEnumerable<string> arguments)
    {
        string convert = RequireWebpImageMagick();
        string dir = TestPictures.Scratch(folder);
        string input = Path.Combine(dir, name + ".ppm");
        source.WritePnm(input);
        string path = Path.Combine(dir, name + ".webp");
        ExternalTool.Run(convert, [input, .. arguments, path]);
        return path;
    }

    /// <summary>Fails at the first sample of <paramref name="ours"/> (RGB) that differs from <paramref name="reference"/>, naming its pixel.</summary>
    public static void AssertSameRgb(string name, Image ours, byte[] reference)
    {
        Assert.Equal(PixelFormat.Rgb24, ours.Format);
        Assert.Equal(reference.Length, ours.Pixels.Length);
        for (int i = 0; i < reference.Length; i++)
        {
            if (ours.Pixels[i] != reference[i])
                Assert.Fail($"{name}: pixel ({i / 3 % ours.Width}, {i / 3 / ours.Width}) channel {i % 3}: ours {ours.Pixels[i]}, ImageMagick {reference[i]}");
        }
    }

    /// <summary>The 8-bit RGB ImageMagick (libwebp's default decoding) makes of <paramref name="path"/>.</summary>
    public static byte[] ReferenceRgb(string path)
        => ExternalTool.Run(RequireWebpImageMagick(), [path, "-depth", "8", "rgb:-"]);

    /// <summary>The offset and length of the "VP8 " chunk's payload, found by walking the RIFF chunks.</summary>
    public static (int Start, int Length) FindVp8Chunk(byte[] file)
    {
        Assert.True(file.Length >= 12 && file.AsSpan(0, 4).SequenceEqual("RIFF"u8) && file.AsSpan(8, 4).SequenceEqual("WEBP"u8),
            "not a RIFF WEBP file");
        int pos = 12;
        while (pos + 8 <= file.Length)
        {
            int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos + 4));
            if (file.AsSpan(pos, 4).SequenceEqual("VP8 "u8)) return (pos + 8, Math.Min(size, file.Length - pos - 8));
            pos += 8 + size + (size & 1);
        }
        Assert.Fail("the file has no \"VP8 \" chunk (lossless?)");
        return default;
    }
}
