using Pipeline.Imaging;
using Pipeline.Imaging.Webp;
using Pipeline.Tests.Imaging.CodecTools;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>
/// Lossy WebP files written by ImageMagick (libwebp) at several qualities, with both loop filters, every filter
/// strength and sharpness extreme, 1 and 4 segments and several encoder methods, decode exactly as
/// ImageMagick decodes them (libwebp's default output: fancy chroma upsampling, its fixed-point BT.601 conversion).
/// Pictures: the synthetic noise (67×45), the flower photo (83×59), 7×5, 1×1 and sizes that are not multiples of 16.
/// ImageMagick 6.9.11 ignores webp:partitions (its files always have one token partition), so
/// <see cref="Vp8SyntheticTests"/> covers several partitions with files the tests write themselves.
/// </summary>
public sealed class Vp8ReferenceTests
{
    private static readonly (string Name, string[] Arguments)[] Variants =
    [
        ("q5", ["-quality", "5"]),
        ("q50", ["-quality", "50"]),
        ("q75", ["-quality", "75"]),
        ("q95", ["-quality", "95"]),
        ("q100", ["-quality", "100", "-define", "webp:lossless=false"]), // alone, quality 100 makes ImageMagick write lossless
        ("simple-filter", ["-quality", "60", "-define", "webp:filter-type=0"]),
        ("normal-filter", ["-quality", "60", "-define", "webp:filter-type=1"]),
        ("strength0", ["-quality", "60", "-define", "webp:filter-strength=0"]),
        ("strength100", ["-quality", "60", "-define", "webp:filter-strength=100"]),
        ("simple-strength100", ["-quality", "40", "-define", "webp:filter-type=0", "-define", "webp:filter-strength=100"]),
        ("sharpness0", ["-quality", "60", "-define", "webp:filter-strength=80", "-define", "webp:filter-sharpness=0"]),
        ("sharpness7", ["-quality", "60", "-define", "webp:filter-strength=80", "-define", "webp:filter-sharpness=7"]),
        ("segments1", ["-quality", "60", "-define", "webp:segments=1"]),
        ("segments4", ["-quality", "60", "-define", "webp:segments=4", "-define", "webp:sns-strength=100"]),
        ("partition-limit", ["-quality", "90", "-define", "webp:partition-limit=100"]),
        ("method0", ["-quality", "70", "-define", "webp:method=0"]),
        ("method6", ["-quality", "70", "-define", "webp:method=6"]),
        ("sns0", ["-quality", "70", "-define", "webp:sns-strength=0"]),
        ("autofilter", ["-quality", "70", "-define", "webp:auto-filter=true"]),
        ("sharp-yuv", ["-quality", "70", "-define", "webp:use-sharp-yuv=true"]),
        ("lossless-false", ["-quality", "75", "-define", "webp:lossless=false"]),
    ];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, _) in Variants)
        {
            data.Add("noise", name);
            data.Add("flower", name);
        }
        foreach (string picture in new[] { "tiny", "1x1", "2x2", "17x33", "33x17", "16x16", "40x24" })
        {
            foreach (string name in new[] { "q5", "q75", "q100", "simple-filter", "segments4" }) data.Add(picture, name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodesLikeImageMagick(string picture, string variant)
    {
        string[] arguments = Variants.First(v => v.Name == variant).Arguments;
        PnmImage source = Picture(picture);
        string path = Vp8TestFiles.Encode(source, "vp8-" + picture, variant, arguments);
        byte[] file = File.ReadAllBytes(path);
        (int start, int length) = Vp8TestFiles.FindVp8Chunk(file);

        Image ours = Vp8Decoder.Decode(file, start, length, DecoderOptions.Default);

        Assert.Equal((source.Width, source.Height), (ours.Width, ours.Height));
        Vp8TestFiles.AssertSameRgb($"{picture} {variant}", ours, Vp8TestFiles.ReferenceRgb(path));
    }

    /// <summary>
    /// A picture with alpha makes an extended file (VP8X, ALPH, then "VP8 "): its VP8 chunk holds the colour and decodes
    /// to the RGB ImageMagick gives.
    /// </summary>
    [Fact]
    public void ColourOfAFileWithAlphaDecodesLikeImageMagick()
    {
        PnmImage rgb = TestPictures.Get("noise");
        int n = rgb.Width * rgb.Height;
        var samples = new ushort[4 * n];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 3; c++) samples[4 * i + c] = rgb.Samples[3 * i + c];
            samples[4 * i + 3] = (ushort)(65535 * (i % rgb.Width) / (rgb.Width - 1)); // alpha ramps left to right
        }
        string dir = TestPictures.Scratch("vp8-alpha");
        string input = Path.Combine(dir, "alpha.pam"), path = Path.Combine(dir, "alpha.webp");
        new PnmImage(rgb.Width, rgb.Height, 4, 65535, samples).WritePam(input, "RGB_ALPHA");
        ExternalTool.Run(Vp8TestFiles.RequireWebpImageMagick(), [input, "-quality", "70", path]);
        byte[] file = File.ReadAllBytes(path);
        Assert.True(file.AsSpan(12, 4).SequenceEqual("VP8X"u8), "ImageMagick wrote a simple file for a picture with alpha");
        (int start, int length) = Vp8TestFiles.FindVp8Chunk(file);

        Image ours = Vp8Decoder.Decode(file, start, length, DecoderOptions.Default);

        Assert.Equal(Vp8TestFiles.ReferenceRgb(path), ours.Pixels);
    }

    /// <summary>A photo large enough for many macroblock rows and columns (301×227: neither side a multiple of 16).</summary>
    [Theory]
    [InlineData("30")]
    [InlineData("80")]
    public void LargerPhotoDecodesLikeImageMagick(string quality)
    {
        string folder = SharedData.Require("datasets/flowers-small/daisy");
        string photo = Directory.GetFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Skip(1).First();
        string path = Path.Combine(TestPictures.Scratch("vp8-photo"), $"photo-q{quality}.webp");
        ExternalTool.Run(Vp8TestFiles.RequireWebpImageMagick(), [photo, "-resize", "301x227!", "-quality", quality, path]);
        byte[] file = File.ReadAllBytes(path);
        (int start, int length) = Vp8TestFiles.FindVp8Chunk(file);

        Image ours = Vp8Decoder.Decode(file, start, length, DecoderOptions.Default);

        Assert.Equal((301, 227), (ours.Width, ours.Height));
        Assert.Equal(Vp8TestFiles.ReferenceRgb(path), ours.Pixels);
    }

    /// <summary>
    /// The encoder options above reach the bitstream (ImageMagick passes them on to libwebp), so each variant tests
    /// what its name says: the filter type, level and sharpness, the segment map and the number of token partitions.
    /// </summary>
    [Fact]
    public void EncoderOptionsReachTheBitstream()
    {
        Assert.True(Header("simple-filter").SimpleFilter);
        Assert.False(Header("normal-filter").SimpleFilter);
        Assert.Equal(0, Header("strength0").FilterLevel);
        int strong = Header("strength100").FilterLevel, usual = Header("q75").FilterLevel;
        Assert.True(strong > usual && usual > 0, $"filter level at strength 100: {strong}, at the default strength: {usual}");
        Assert.Equal(0, Header("sharpness0").Sharpness);
        Assert.Equal(7, Header("sharpness7").Sharpness);
        Assert.False(Header("segments1").UpdateSegmentMap);
        Assert.True(Header("segments4").UpdateSegmentMap);
    }

    private static Vp8FrameHeader Header(string variant)
    {
        string path = Vp8TestFiles.Encode(TestPictures.Get("noise"), "vp8-header", variant, Variants.First(v => v.Name == variant).Arguments);
        byte[] file = File.ReadAllBytes(path);
        (int start, int length) = Vp8TestFiles.FindVp8Chunk(file);
        byte[] payload = file.AsSpan(start, length).ToArray();
        Vp8FrameHeader header = Vp8FrameHeader.ParseUncompressed(payload, start, DecoderOptions.Default);
        var first = new Vp8BoolDecoder(payload, Vp8FrameHeader.UncompressedSize, Vp8FrameHeader.UncompressedSize + header.FirstPartitionSize);
        header.ParseCompressed(ref first);
        return header;
    }

    private static PnmImage Picture(string name)
    {
        int x = name.IndexOf('x', StringComparison.Ordinal);
        if (x > 0 && int.TryParse(name[..x], out int w) && int.TryParse(name[(x + 1)..], out int h))
            return TestPictures.Synthetic(w, h, seed: w * 100 + h);
        return TestPictures.Get(name);
    }
}
