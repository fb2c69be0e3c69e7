using Pipeline.Imaging;
using Pipeline.Tests.Imaging.CodecTools;

namespace Pipeline.Tests.Imaging.Gif;

/// <summary>
/// First frames of GIFs written by ImageMagick (palettes of 2 to 256 colours, interlaced, transparent, animated,
/// offset on a larger screen) and by the test writer (every minimum code size, deferred clear, one-byte sub-blocks,
/// GIF87a, local colour tables) decode exactly as ImageMagick decodes them (<c>convert 'x.gif[0]' rgba:-</c>; for a frame
/// smaller than its screen, flattened onto a transparent screen).
/// </summary>
public sealed class GifReferenceTests
{
    private static readonly string[] ImageMagickVariants =
    [
        "im-2", "im-3", "im-4", "im-16", "im-100", "im-256",
        "im-2-interlaced", "im-16-interlaced", "im-256-interlaced",
        "im-16-transparent", "im-256-transparent", "im-256-transparent-interlaced",
        "im-animated", "im-offset", "im-offset-transparent",
    ];

    private static readonly string[] WrittenVariants =
    [
        "lzw-2", "lzw-3", "lzw-4", "lzw-5", "lzw-6", "lzw-7", "lzw-8",
        "lzw-8-deferred", "lzw-4-deferred", "lzw-8-onebyteblocks", "lzw-8-local", "lzw-8-87a", "lzw-6-interlaced",
        "lzw-8-transparent-offset",
    ];

    // Every variant of the synthetic picture; a selection of the photo and of a 7×5 picture (partial interlace passes).
    private static readonly string[] FlowerVariants =
        ["im-256", "im-256-interlaced", "im-256-transparent", "im-animated", "im-offset", "lzw-8", "lzw-8-deferred"];

    private static readonly string[] TinyVariants =
        ["im-2", "im-16-interlaced", "im-16-transparent", "im-offset-transparent", "lzw-2", "lzw-6-interlaced", "lzw-8-transparent-offset"];

    public static TheoryData<string, string> Variants()
    {
        var data = new TheoryData<string, string>();
        foreach (string variant in ImageMagickVariants.Concat(WrittenVariants)) data.Add("noise", variant);
        foreach (string variant in FlowerVariants) data.Add("flower", variant);
        foreach (string variant in TinyVariants) data.Add("tiny", variant);
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void FirstFrameDecodesLikeImageMagick(string picture, string variant)
    {
        string dir = TestPictures.Scratch("gif-" + picture);
        PnmImage source = TestPictures.Get(picture);
        string path = Path.Combine(dir, variant + ".gif");
        bool offset = variant.Contains("offset", StringComparison.Ordinal);
        if (variant.StartsWith("im-", StringComparison.Ordinal)) WriteWithImageMagick(source, variant, dir, path);
        else File.WriteAllBytes(path, Written(source, variant));

        Image ours = ImageDecoder.Decode(path);
        byte[] reference = offset
            ? ExternalTool.Run(ExternalTool.RequireImageMagick(), [path + "[0]", "-background", "none", "-flatten", "-depth", "8", "rgba:-"])
            : ExternalTool.ImageMagickRgba8(path);
        int bpp = ours.BytesPerPixel;
        Assert.Equal(4 * ours.Width * ours.Height, reference.Length);
        bool transparent = variant.Contains("transparent", StringComparison.Ordinal);
        Assert.Equal(offset || transparent ? PixelFormat.Rgba32 : PixelFormat.Rgb24, ours.Format);
        for (int i = 0; i < ours.Width * ours.Height; i++)
        {
            int alpha = bpp == 4 ? ours.Pixels[4 * i + 3] : 255;
            Assert.True(alpha == reference[4 * i + 3], $"{variant}: pixel {i} alpha ours {alpha}, ImageMagick {reference[4 * i + 3]}");
            // Flattening onto a transparent screen blacks out transparent pixels; elsewhere the colour must match too.
            if (offset && alpha == 0) continue;
            for (int c = 0; c < 3; c++)
                Assert.True(ours.Pixels[bpp * i + c] == reference[4 * i + c], $"{variant}: pixel {i} channel {c}: ours {ours.Pixels[bpp * i + c]}, ImageMagick {reference[4 * i + c]}");
        }
    }

    private static void WriteWithImageMagick(PnmImage source, string variant, string dir, string path)
    {
        string rgb = Path.Combine(dir, "source.ppm");
        source.WritePnm(rgb);
        string[] parts = variant.Split('-');
        var args = new List<string>();
        if (parts[1] == "animated")
        {
            // Two frames; only the first may come out.
            string second = Path.Combine(dir, "second.ppm");
            new PnmImage(source.Width, source.Height, 3, source.MaxValue, source.Samples.Select(s => (ushort)(65535 - s)).ToArray()).WritePnm(second);
            args.AddRange([rgb, second, "-colors", "64", "-loop", "0"]);
        }
        else if (parts[1] == "offset")
        {
            // The picture as a frame at (3, 2) of a screen 7 pixels wider and 5 taller.
            args.AddRange([rgb, "-colors", "32", "-repage", $"{source.Width + 7}x{source.Height + 5}+3+2"]);
            if (variant.EndsWith("transparent", StringComparison.Ordinal)) args.AddRange(["-transparent", "white", "-fuzz", "0"]);
        }
        else
        {
            string input = rgb;
            if (variant.Contains("transparent", StringComparison.Ordinal))
            {
                // Binary alpha: a diagonal band of transparent pixels.
                input = Path.Combine(dir, "source-alpha.pam");
                int n = source.Width * source.Height;
                var samples = new ushort[4 * n];
                for (int i = 0; i < n; i++)
                {
                    for (int c = 0; c < 3; c++) samples[4 * i + c] = source.Samples[3 * i + c];
                    samples[4 * i + 3] = (i % source.Width + i / source.Width) % 5 == 0 ? (ushort)0 : (ushort)65535;
                }
                new PnmImage(source.Width, source.Height, 4, 65535, samples).WritePam(input, "RGB_ALPHA");
            }
            args.AddRange([input, "-colors", parts[1]]);
            if (variant.Contains("interlaced", StringComparison.Ordinal)) args.AddRange(["-interlace", "GIF"]);
        }
        args.Add(path);
        ExternalTool.ImageMagick([.. args]);
    }

    private static byte[] Written(PnmImage source, string variant)
    {
        string[] parts = variant.Split('-');
        int minCodeSize = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        int colours = Math.Min(256, 1 << minCodeSize);
        if (colours == 256 && variant.Contains("local", StringComparison.Ordinal)) colours = 200; // a table padded to 256 entries
        var random = new Random(colours);
        var palette = new (byte, byte, byte)[colours];
        for (int i = 0; i < colours; i++) palette[i] = ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        int w = source.Width, h = source.Height;
        var indices = new byte[w * h];
        for (int i = 0; i < indices.Length; i++)
        {
            // Smooth stretches from the picture (long strings fill the table) mixed with noise (many codes).
            int level = source.Samples[3 * i] * colours / 65536;
            indices[i] = (byte)(i % 7 == 0 ? random.Next(colours) : level);
        }
        bool offset = variant.Contains("offset", StringComparison.Ordinal);
        return GifFiles.Build(w, h, indices, palette, minCodeSize,
            deferredClear: variant.Contains("deferred", StringComparison.Ordinal),
            subBlockSize: variant.Contains("onebyteblocks", StringComparison.Ordinal) ? 1 : 255,
            transparentIndex: variant.Contains("transparent", StringComparison.Ordinal) ? 3 : -1,
            localTable: variant.Contains("local", StringComparison.Ordinal),
            version: variant.Contains("87a", StringComparison.Ordinal) ? "GIF87a" : "GIF89a",
            interlaced: variant.Contains("interlaced", StringComparison.Ordinal),
            screenWidth: offset ? w + 9 : 0, screenHeight: offset ? h + 4 : 0, left: offset ? 5 : 0, top: offset ? 1 : 0);
    }
}
