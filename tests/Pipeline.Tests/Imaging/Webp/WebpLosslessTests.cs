using Pipeline.Imaging;
using Pipeline.Imaging.Webp;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>
/// VP8L streams from the test writer (no tools): every transform alone and in combination (including colour indexing
/// before other transforms, on the packed image), colour caches of 1 to 11 bits, backward references with plane and
/// scan-line distances, several prefix code groups, simple and normal codes, and the ALPH chunk's filters. Each
/// decodes to exactly the pixels written.
/// </summary>
public sealed class WebpLosslessTests
{
    public static TheoryData<string, int, bool, bool, int> Layouts()
    {
        var data = new TheoryData<string, int, bool, bool, int>();
        string[] transformSets =
        [
            "", "green", "predictor", "colour", "palette", "predictor:11", "predictor:13", "predictor:0",
            "green,predictor", "green,colour,predictor", "colour,green", "palette,predictor", "palette,predictor,colour,green",
            "green,palette",
        ];
        foreach (string transforms in transformSets) data.Add(transforms, 0, false, false, 0);
        foreach (int cacheBits in new[] { 1, 4, 11 }) data.Add("green,predictor", cacheBits, true, false, 0);
        data.Add("", 3, true, true, 0);
        data.Add("", 0, true, false, 2);
        data.Add("predictor", 5, true, true, 3);
        data.Add("palette", 2, true, false, 2);
        return data;
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void DecodesExactlyWhatWasWritten(string transforms, int cacheBits, bool backwardReferences, bool scanLineDistances, int metaBits)
    {
        foreach ((int width, int height, int colours) in new[] { (1, 1, 1), (7, 5, 3), (23, 9, 16), (31, 17, 200), (64, 3, 2), (5, 40, 5), (40, 30, 256) })
        {
            bool palette = transforms.Contains("palette", StringComparison.Ordinal);
            uint[] argb = Picture(width, height, palette ? colours : 0, seed: width * 31 + height);
            var options = new WebpFiles.Vp8LOptions
            {
                Transforms = transforms.Length == 0 ? [] : transforms.Split(','),
                CacheBits = cacheBits,
                BackwardReferences = backwardReferences,
                ScanLineDistances = scanLineDistances,
                MetaBits = metaBits,
                BlockBits = 2 + width % 3,
            };
            byte[] file = WebpFiles.Lossless(argb, width, height, options);
            Image image = ImageDecoder.Decode(file);
            Assert.Equal((width, height, PixelFormat.Rgba32), (image.Width, image.Height, image.Format));
            for (int i = 0; i < argb.Length; i++)
            {
                uint p = argb[i];
                byte[] expected = [(byte)(p >> 16), (byte)(p >> 8), (byte)p, (byte)(p >> 24)];
                Assert.True(expected.AsSpan().SequenceEqual(image.Pixels.AsSpan(4 * i, 4)),
                    $"{width}x{height} [{transforms}] cache {cacheBits}: pixel {i} is {Convert.ToHexString(image.Pixels, 4 * i, 4)}, expected {Convert.ToHexString(expected)}");
            }
        }
    }

    [Fact]
    public void WithoutTheAlphaHintTheOutputIsRgb()
    {
        uint[] argb = Picture(9, 4, 0, seed: 1);
        Image image = ImageDecoder.Decode(WebpFiles.Lossless(argb, 9, 4, new WebpFiles.Vp8LOptions { AlphaHint = false }));
        Assert.Equal(PixelFormat.Rgb24, image.Format);
        Assert.Equal([(byte)(argb[0] >> 16), (byte)(argb[0] >> 8), (byte)argb[0]], image.Pixels[..3]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AlphaPlanesUnfilter(int filter)
    {
        const int width = 13, height = 6;
        var alpha = new byte[width * height];
        var random = new Random(filter);
        for (int i = 0; i < alpha.Length; i++) alpha[i] = (byte)(i % 5 == 0 ? random.Next(256) : i * 7);
        foreach (byte[] payload in new[]
        {
            WebpFiles.RawAlpha(alpha, width, height, filter),
            WebpFiles.LosslessAlpha(alpha, width, height, filter),
            WebpFiles.LosslessAlpha(alpha, width, height, filter, new WebpFiles.Vp8LOptions { Transforms = ["palette"], CacheBits = 3, BackwardReferences = true }),
        })
        {
            var decoded = new byte[alpha.Length];
            WebpAlphaDecoder.Decode(payload, 0, payload.Length, width, height, decoded);
            Assert.Equal(alpha, decoded);
        }
    }

    [Fact]
    public void ExtendedLosslessWithAnAlphChunkReportsAlpha()
    {
        // libwebp reports alpha for an ALPH chunk even before a VP8L image (which ignores it); so does the decoder.
        uint[] argb = Picture(4, 3, 0, seed: 2);
        byte[] vp8l = WebpFiles.Vp8L(argb, 4, 3, new WebpFiles.Vp8LOptions { AlphaHint = false });
        byte[] file = WebpFiles.Riff(WebpFiles.Vp8X(0, 4, 3), WebpFiles.Chunk("ALPH", [0, .. new byte[12]]), WebpFiles.Chunk("VP8L", vp8l));
        Assert.Equal(PixelFormat.Rgba32, ImageDecoder.Decode(file).Format);
        file = WebpFiles.Riff(WebpFiles.Vp8X(0x10, 4, 3), WebpFiles.Chunk("VP8L", vp8l));
        Assert.Equal(PixelFormat.Rgb24, ImageDecoder.Decode(file).Format); // the stream's hint wins over the VP8X flag
    }

    [Fact]
    public void AnimationFirstFrameIsPlacedOnATransparentCanvas()
    {
        uint[] argb = Picture(3, 2, 0, seed: 3);
        for (int i = 0; i < argb.Length; i++) argb[i] |= 0xFF000000;
        byte[] frame = WebpFiles.Chunk("VP8L", WebpFiles.Vp8L(argb, 3, 2, new WebpFiles.Vp8LOptions { AlphaHint = false }));
        byte[] file = WebpFiles.Riff(WebpFiles.Vp8X(0x02, 8, 5), WebpFiles.Anim(), WebpFiles.Anmf(4, 2, 3, 2, frame), WebpFiles.Anmf(0, 0, 8, 5, [1, 2, 3]));
        Image image = ImageDecoder.Decode(file);
        Assert.Equal((8, 5, PixelFormat.Rgba32), (image.Width, image.Height, image.Format));
        Assert.Equal(new byte[4], image.Pixels[..4]);
        int at = 4 * (2 * 8 + 4);
        Assert.Equal([(byte)(argb[0] >> 16), (byte)(argb[0] >> 8), (byte)argb[0], 255], image.Pixels[at..(at + 4)]);
    }

    /// <summary>Random ARGB pixels with smooth stretches and repeats; <paramref name="colours"/> &gt; 0 limits them to a palette.</summary>
    internal static uint[] Picture(int width, int height, int colours, int seed)
    {
        var random = new Random(seed);
        uint[] palette = Enumerable.Range(0, Math.Max(colours, 1)).Select(_ => (uint)random.NextInt64(0, 1L << 32)).ToArray();
        var argb = new uint[width * height];
        for (int i = 0; i < argb.Length; i++)
        {
            if (colours > 0) argb[i] = palette[(i / 3 + (i % 7 == 0 ? random.Next(colours) : 0)) % colours];
            else if (i > 0 && random.Next(4) == 0) argb[i] = argb[i - 1];
            else argb[i] = (uint)(random.Next(256) << 24 | (i * 3 % 256) << 16 | (i * 5 % 256) << 8 | random.Next(256));
        }
        return argb;
    }
}
