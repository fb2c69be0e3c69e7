using System.Buffers.Binary;
using Pipeline.Imaging;
using Pipeline.Imaging.Png;
using Pipeline.Tests.Imaging.CodecTools;

namespace Pipeline.Tests.Imaging.Png;

/// <summary>
/// Acceptance 2: every cell of a colour type × bit depth × tRNS × interlace matrix, written by netpbm's pnmtopng and
/// ImageMagick from a synthetic picture, a photo and a tiny picture (whose Adam7 passes are partly empty), decodes
/// bit-exactly like two independent references: ImageMagick (<c>convert x.png -depth 8 rgba:-</c>, every file at
/// 8 bits) and netpbm (<c>pngtopam -alphapam</c>, at the file's own precision: 16-bit files are compared at 16 bits).
/// Each file's IHDR is read here, byte by byte, to prove the tool wrote the intended layout.
/// </summary>
public sealed class PngReferenceTests
{
    private static readonly string[] Layouts =
    [
        "gray-1", "gray-2", "gray-4", "gray-8", "gray-16", "gray-2-trns", "gray-8-trns", "gray-16-trns",
        "rgb-8", "rgb-16", "rgb-8-trns", "rgb-16-trns",
        "palette-1", "palette-2", "palette-4", "palette-8",
        "palette-1-trns", "palette-2-trns", "palette-4-trns", "palette-8-trns",
        "graya-8", "graya-16", "rgba-8", "rgba-16",
    ];

    private static readonly string[] ImageMagickLayouts = ["gray-8", "gray-16", "graya-8", "graya-16", "rgb-8", "rgb-16", "rgba-8", "rgba-16"];

    // One layout per filter stride (1, 2, 3, 4, 6, 8 bytes, and sub-byte), each with a single forced filter.
    private static readonly string[] FilterLayouts = ["gray-1", "gray-8", "gray-16", "graya-8", "rgb-8", "rgba-8", "rgb-16", "rgba-16"];

    /// <summary>The matrix: (picture, variant key).</summary>
    public static TheoryData<string, string> Matrix()
    {
        var data = new TheoryData<string, string>();
        foreach (string picture in new[] { "noise", "flower" })
        {
            foreach (string interlace in new[] { "", "-adam7" })
            {
                foreach (string layout in Layouts) data.Add(picture, InsertInterlace("pnm-" + layout, interlace));
                foreach (string layout in ImageMagickLayouts) data.Add(picture, InsertInterlace("im-" + layout, interlace));
            }
        }
        foreach (string layout in Layouts) data.Add("tiny", InsertInterlace("pnm-" + layout, "-adam7"));
        foreach (string layout in FilterLayouts)
            foreach (string filter in new[] { "none", "sub", "up", "avg", "paeth" })
                data.Add("noise", $"pnm-{layout}-{filter}");
        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void DecodesBitExactlyLikeImageMagickAndNetpbm(string picture, string key)
    {
        PngVariant variant = PngVariant.Parse(key);
        PnmImage source = TestPictures.Get(picture);
        string path = variant.Write(source, TestPictures.Scratch("png-" + picture));
        byte[] file = File.ReadAllBytes(path);
        AssertHeader(file, variant, key);

        Image ours = ImageDecoder.Decode(file);
        Assert.Equal((source.Width, source.Height), (ours.Width, ours.Height));
        bool expectAlpha = variant.Kind is "graya" or "rgba" || variant.Transparency;
        Assert.Equal(expectAlpha ? PixelFormat.Rgba32 : PixelFormat.Rgb24, ours.Format);

        // ImageMagick, 8 bits per sample (16-bit files reduced by ImageMagick's own rounding).
        byte[] magick = ExternalTool.ImageMagickRgba8(path);
        AssertRgba8Equal(magick, ours, "ImageMagick", key);

        // netpbm, at the file's precision.
        PnmImage pam = PnmImage.Parse(ExternalTool.Run(ExternalTool.RequireNetpbm("pngtopam"), ["-alphapam", path]));
        Assert.Equal((ours.Width, ours.Height), (pam.Width, pam.Height));
        bool trueColourKey = variant.Kind == "rgb" && variant.Transparency;
        if (pam.MaxValue == 65535)
        {
            PngSamples16 ours16 = PngDecoder.DecodeSamples16(file, DecoderOptions.Default);
            AssertPamEqual(pam, (i, c) => ours16.Samples[i * ours16.Channels + c], ours16.Channels, 1, trueColourKey, key);
        }
        else
        {
            AssertPamEqual(pam, (i, c) => ours.Pixels[i * ours.BytesPerPixel + c], ours.BytesPerPixel, 255 / pam.MaxValue, trueColourKey, key);
        }
    }

    private static string InsertInterlace(string key, string interlace) => key.Replace("-trns", "") + (key.EndsWith("-trns", StringComparison.Ordinal) ? "-trns" : "") + interlace;

    private static void AssertHeader(byte[] file, PngVariant variant, string key)
    {
        // IHDR is the first chunk: signature (8), length (4), "IHDR" (4), then width, height, depth, type, …, interlace.
        Assert.True(file.AsSpan(12, 4).SequenceEqual("IHDR"u8), key);
        (int depth, int type, int interlace) = (file[24], file[25], file[28]);
        Assert.True((variant.Depth, variant.ColorType, variant.Interlaced ? 1 : 0) == (depth, type, interlace),
            $"{key}: the tool wrote depth {depth}, colour type {type}, interlace {interlace}");
        bool hasTrns = false;
        for (int pos = 8; pos + 8 <= file.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(pos));
            hasTrns |= file.AsSpan(pos + 4, 4).SequenceEqual("tRNS"u8);
            pos += 12 + length;
        }
        Assert.True(variant.Transparency == hasTrns, $"{key}: tRNS present = {hasTrns}");
    }

    private static void AssertRgba8Equal(byte[] reference, Image ours, string referenceName, string key)
    {
        int n = ours.Width * ours.Height, bpp = ours.BytesPerPixel;
        Assert.Equal(n * 4, reference.Length);
        int mismatches = 0, first = -1;
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 4; c++)
            {
                int mine = c < bpp ? ours.Pixels[i * bpp + c] : 255;
                if (mine != reference[i * 4 + c])
                {
                    mismatches++;
                    if (first < 0) first = i * 4 + c;
                }
            }
        }
        if (mismatches == 0) return;
        int pixel = first / 4, channel = first % 4;
        int mineFirst = channel < bpp ? ours.Pixels[pixel * bpp + channel] : 255;
        Assert.Fail($"{key}: {mismatches} samples differ from {referenceName}; first at pixel {pixel} channel {channel}: ours {mineFirst}, {referenceName} {reference[first]}");
    }

    // Compares netpbm's samples (grey expanded to RGB; missing alpha = opaque) with ours, scaled by sampleScale.
    private static void AssertPamEqual(PnmImage pam, Func<int, int, int> ours, int ourChannels, int sampleScale, bool ignoreAlpha, string key)
    {
        int n = pam.Width * pam.Height;
        // -alphapam always adds an alpha channel (opaque when the file has no transparency).
        Assert.True(pam.Channels is 2 or 4, $"{key}: netpbm gave {pam.Channels} channels");
        int opaque = ourChannels == 4 ? -1 : pam.MaxValue * sampleScale;
        // netpbm 11 ignores a true-colour tRNS key (its alpha is then all opaque); ImageMagick checks that alpha.
        int channels = ignoreAlpha ? 3 : 4;
        int mismatches = 0;
        string firstMismatch = "";
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < channels; c++)
            {
                int pamChannel = c == 3 ? pam.Channels - 1 : pam.Channels >= 3 ? c : 0;
                int expected = pam.Samples[i * pam.Channels + pamChannel] * sampleScale;
                int actual = c < ourChannels ? ours(i, c) : opaque;
                if (expected != actual && mismatches++ == 0)
                    firstMismatch = $"pixel {i} channel {c}: ours {actual}, netpbm {expected} (maxval {pam.MaxValue})";
            }
        }
        Assert.True(mismatches == 0, $"{key}: {mismatches} samples differ from netpbm; first at {firstMismatch}");
    }
}
