using System.Globalization;
using Pipeline.Imaging;
using Pipeline.Imaging.Webp;
using Pipeline.Tests.Imaging.CodecTools;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>
/// WebP files written by ImageMagick 6 with libwebp (lossless at every method and several qualities, RGBA, palettes of
/// 2/4/16/256 colours for pixel bundling, 1×1, odd and wide sizes, extended files with metadata chunks, animations
/// assembled from its lossless frames) decode bit for bit as ImageMagick decodes them (<c>convert x.webp -depth 8 rgba:-</c>).
/// Lossy files with alpha: the ALPH plane is checked now; the full image once the VP8 decoder exists.
/// </summary>
public sealed class WebpReferenceTests
{

    public static TheoryData<string, string> LosslessVariants()
    {
        var data = new TheoryData<string, string>();
        foreach (string variant in new[]
        {
            "m0", "m1", "m2", "m3", "m4", "m5", "m6", "q0-m0", "q0-m6", "q50-m3", "q100-m6", "exact",
            "rgba-m0", "rgba-m4", "rgba-m6", "rgba-q0", "rgba-q100-m6",
            "colours2", "colours3", "colours4", "colours11", "colours16", "colours17", "colours256", "colours16-rgba",
            "grey", "extended", "trailing", "rgba-hint-cleared", "rgba-extended-flag-without-hint", "rgba-extended",
        })
        {
            data.Add("noise", variant);
        }
        foreach (string variant in new[] { "m0", "m6", "rgba-m4", "colours2", "colours16", "q0-m6" })
        {
            data.Add("tiny", variant);
            data.Add("one", variant);
            data.Add("odd", variant);
            data.Add("wide", variant);
            data.Add("tall", variant);
        }
        foreach (string variant in new[] { "m4", "m6", "rgba-m6", "colours256", "colours16" }) data.Add("flower", variant);
        return data;
    }

    [Theory]
    [MemberData(nameof(LosslessVariants))]
    public void LosslessDecodesLikeImageMagick(string picture, string variant)
    {
        string dir = TestPictures.Scratch("webp-" + picture);
        string path = Path.Combine(dir, variant + ".webp");
        bool alpha = variant.Contains("rgba", StringComparison.Ordinal);
        string source = WriteSource(picture, alpha, dir);
        var args = new List<string> { source };
        foreach (string part in variant.Split('-'))
        {
            if (part.StartsWith('m') && part.Length == 2) args.AddRange(["-define", $"webp:method={part[1]}"]);
            else if (part.StartsWith('q')) args.AddRange(["-quality", part[1..]]);
            else if (part.StartsWith("colours", StringComparison.Ordinal)) args.AddRange(["-colors", part["colours".Length..]]);
            else if (part == "grey") args.AddRange(["-colorspace", "gray", "-type", "TrueColor"]);
            else if (part == "exact") args.AddRange(["-define", "webp:exact=true"]);
        }
        args.AddRange(["-define", "webp:lossless=true", path]);
        ExternalTool.ImageMagick([.. args]);
        RequireWebpFile(path);

        byte[] file = File.ReadAllBytes(path);
        if (variant.Contains("hint", StringComparison.Ordinal))
        {
            // The VP8L alpha hint (bit 28 after the signature) cleared on an image with alpha: libwebp, and so
            // ImageMagick, then report no alpha, even when the VP8X alpha flag says otherwise.
            Assert.Equal("VP8L", WebpFiles.FirstChunk(file).FourCc);
            file[20 + 4] &= 0xEF;
            if (variant.Contains("extended", StringComparison.Ordinal))
            {
                (string fourCc, byte[] payload) = WebpFiles.FirstChunk(file);
                Image plain = ImageDecoder.Decode(file);
                file = WebpFiles.Riff(WebpFiles.Vp8X(0x10, plain.Width, plain.Height), WebpFiles.Chunk(fourCc, payload));
            }
            File.WriteAllBytes(path, file);
        }
        else if (variant.EndsWith("extended", StringComparison.Ordinal))
        {
            // The same stream in an extended file, after ICCP, EXIF, XMP and unknown chunks (all skipped).
            (string fourCc, byte[] payload) = WebpFiles.FirstChunk(file);
            Image plain = ImageDecoder.Decode(file);
            file = WebpFiles.Riff(WebpFiles.Vp8X(0x20 | 0x08 | 0x04, plain.Width, plain.Height), WebpFiles.Chunk("ICCP", [1, 2, 3]),
                WebpFiles.Chunk("ABCD", [9]), WebpFiles.Chunk(fourCc, payload), WebpFiles.Chunk("EXIF", [0, 0]), WebpFiles.Chunk("XMP ", [7]));
            File.WriteAllBytes(path, file);
        }
        else if (variant == "trailing")
        {
            file = [.. file, .. "junk after the RIFF data"u8];
            File.WriteAllBytes(path, file);
        }
        AssertMatchesImageMagick(path, file);
    }

    public static TheoryData<string> AnimationVariants() => ["offset", "offset-alpha-flag", "covering", "covering-rgba", "second-frame-larger", "lossy-covering"];
    // Not compared: a lossy (opaque) first frame on a larger canvas. Ours leaves the uncovered canvas transparent, as
    // libwebp's animation decoder and browsers do; ImageMagick makes it opaque black.

    [Theory]
    [MemberData(nameof(AnimationVariants))]
    public void FirstAnimationFrameDecodesLikeImageMagick(string variant)
    {
        // ImageMagick 6 writes only the first frame of a WebP animation, so the animation is assembled here from the
        // frames it writes (lossless, or lossy VP8); its reader composites frame 0 onto the canvas (anim.webp[0]).
        string dir = TestPictures.Scratch("webp-animation");
        bool lossy = variant.StartsWith("lossy-", StringComparison.Ordinal);
        if (lossy) variant = variant["lossy-".Length..];
        bool rgba = variant.Contains("rgba", StringComparison.Ordinal) || (!lossy && variant.StartsWith("offset", StringComparison.Ordinal));
        string[] encoding = lossy ? ["-quality", "80"] : ["-define", "webp:lossless=true"];
        string source = WriteSource("noise", rgba, dir);
        string name = (lossy ? "lossy-" : "") + variant;
        string firstPath = Path.Combine(dir, name + "-first.webp"), secondPath = Path.Combine(dir, name + "-second.webp");
        ExternalTool.ImageMagick([source, .. encoding, firstPath]);
        ExternalTool.ImageMagick([source, "-negate", .. encoding, secondPath]);
        RequireWebpFile(firstPath);
        (string fourCc, byte[] first) = WebpFiles.FirstChunk(File.ReadAllBytes(firstPath));
        (_, byte[] second) = WebpFiles.FirstChunk(File.ReadAllBytes(secondPath));
        Assert.Equal(lossy ? "VP8 " : "VP8L", fourCc);
        const int w = 67, h = 45;
        bool offset = variant.StartsWith("offset", StringComparison.Ordinal);
        int canvasWidth = offset ? w + 9 : w, canvasHeight = offset ? h + 6 : h;
        byte flags = (byte)(0x02 | (variant.Contains("alpha-flag", StringComparison.Ordinal) || rgba ? 0x10 : 0));
        byte[] file = WebpFiles.Riff(WebpFiles.Vp8X(flags, canvasWidth, canvasHeight), WebpFiles.Anim(),
            WebpFiles.Anmf(offset ? 4 : 0, offset ? 2 : 0, w, h, WebpFiles.Chunk(fourCc, first)),
            WebpFiles.Anmf(0, 0, w, h, WebpFiles.Chunk(fourCc, second)));
        string path = Path.Combine(dir, name + ".webp");
        File.WriteAllBytes(path, file);

        Image ours = ImageDecoder.Decode(path);
        Assert.Equal((canvasWidth, canvasHeight), (ours.Width, ours.Height));
        Assert.Equal(offset || rgba ? PixelFormat.Rgba32 : PixelFormat.Rgb24, ours.Format);
        byte[] reference = ExternalTool.Run(ExternalTool.RequireImageMagick(), [path + "[0]", "-depth", "8", "rgba:-"]);
        AssertPixels(variant, ours, reference);
    }

    public static TheoryData<string> LossyAlphaVariants() => ["default", "raw", "filter-none", "filter-fast", "filter-best", "quality-50", "odd"];

    [Theory]
    [MemberData(nameof(LossyAlphaVariants))]
    public void LossyAlphaPlaneDecodesLikeImageMagick(string variant)
    {
        string path = WriteLossyWithAlpha(variant, out int width, out int height);
        byte[] file = File.ReadAllBytes(path);
        byte[] alph = WebpFiles.FindChunk(file, "ALPH") ?? throw new InvalidOperationException($"ImageMagick wrote no ALPH chunk in {path}");
        var alpha = new byte[width * height];
        WebpAlphaDecoder.Decode(alph, 0, alph.Length, width, height, alpha);
        byte[] reference = ExternalTool.Run(ExternalTool.RequireImageMagick(), [path, "-alpha", "extract", "-depth", "8", "gray:-"]);
        Assert.Equal(reference.Length, alpha.Length);
        for (int i = 0; i < alpha.Length; i++)
            Assert.True(alpha[i] == reference[i], $"{variant}: alpha of pixel {i}: ours {alpha[i]}, ImageMagick {reference[i]}");
    }

    [Theory]
    [MemberData(nameof(LossyAlphaVariants))]
    public void LossyWithAlphaDecodesLikeImageMagick(string variant)
    {
        string path = WriteLossyWithAlpha(variant, out _, out _);
        Image ours = ImageDecoder.Decode(path);
        Assert.Equal(PixelFormat.Rgba32, ours.Format);
        // Alpha from the ALPH chunk, colours from the VP8 frame: both exactly as libwebp decodes them.
        AssertPixels(variant, ours, ExternalTool.ImageMagickRgba8(path));
    }

    private static string WriteLossyWithAlpha(string variant, out int width, out int height)
    {
        string dir = TestPictures.Scratch("webp-lossy-alpha");
        string picture = variant == "odd" ? "odd" : "noise";
        string source = WriteSource(picture, alpha: true, dir);
        PnmImage size = Picture(picture);
        (width, height) = (size.Width, size.Height);
        string path = Path.Combine(dir, variant + ".webp");
        var args = new List<string> { source, "-quality", variant == "quality-50" ? "50" : "80" };
        switch (variant)
        {
            case "raw": args.AddRange(["-define", "webp:alpha-compression=0"]); break;
            case "filter-none": args.AddRange(["-define", "webp:alpha-filter=none"]); break;
            case "filter-fast": args.AddRange(["-define", "webp:alpha-filter=fast"]); break;
            case "filter-best": args.AddRange(["-define", "webp:alpha-filter=best"]); break;
            case "quality-50": args.AddRange(["-define", "webp:alpha-quality=50"]); break;
        }
        args.Add(path);
        ExternalTool.ImageMagick([.. args]);
        RequireWebpFile(path);
        return path;
    }

    private static void AssertMatchesImageMagick(string path, byte[] file)
    {
        Image ours = ImageDecoder.Decode(file);
        byte[] reference = ExternalTool.ImageMagickRgba8(path);
        AssertPixels(Path.GetFileName(path), ours, reference);
    }

    private static void AssertPixels(string name, Image ours, byte[] reference)
    {
        Assert.Equal(4 * ours.Width * ours.Height, reference.Length);
        int bpp = ours.BytesPerPixel;
        for (int i = 0; i < ours.Width * ours.Height; i++)
        {
            for (int c = 0; c < 4; c++)
            {
                int value = c < 3 || bpp == 4 ? ours.Pixels[bpp * i + c] : 255;
                if (value != reference[4 * i + c])
                    Assert.Fail($"{name}: pixel {i} ({i % ours.Width}, {i / ours.Width}) channel {c}: ours {value}, ImageMagick {reference[4 * i + c]} ({ours.Format})");
            }
        }
    }

    // ImageMagick may lack its WEBP coder (built without libwebp): then it fails or writes something else.
    private static void RequireWebpFile(string path)
    {
        if (!File.Exists(path) || ImageDecoder.DetectFormat(File.ReadAllBytes(path)) != ImageFormat.Webp)
            Assert.Skip("ImageMagick has no WEBP coder (it needs libwebp): `convert -list format` shows none");
    }

    private static PnmImage Picture(string name) => name switch
    {
        "one" => TestPictures.Synthetic(1, 1, seed: 3),
        "odd" => TestPictures.Synthetic(13, 7, seed: 4),
        "wide" => TestPictures.Synthetic(1021, 3, seed: 5),
        "tall" => TestPictures.Synthetic(2, 301, seed: 6),
        _ => TestPictures.Get(name),
    };

    // The picture as PPM, or as PAM with an alpha channel (a ramp with fully transparent and opaque stretches).
    private static string WriteSource(string picture, bool alpha, string dir)
    {
        PnmImage source = Picture(picture);
        string path = Path.Combine(dir, $"{picture}-{(alpha ? "rgba.pam" : "rgb.ppm")}");
        if (!alpha)
        {
            source.WritePnm(path);
            return path;
        }
        int n = source.Width * source.Height;
        var samples = new ushort[4 * n];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 3; c++) samples[4 * i + c] = source.Samples[3 * i + c];
            int x = i % source.Width, y = i / source.Width;
            int level = (x * 7 + y * 13) % 96;
            samples[4 * i + 3] = (ushort)(level < 20 ? 0 : level > 70 ? 65535 : (level - 20) * 1310);
        }
        new PnmImage(source.Width, source.Height, 4, 65535, samples).WritePam(path, "RGB_ALPHA");
        return path;
    }
}
