using Pipeline.Imaging;
using Pipeline.Imaging.Gif;
using Pipeline.Tests.Imaging.CodecTools;

namespace Pipeline.Tests.Imaging.Gif;

/// <summary>The LZW decoder on round trips through the test encoder: every code size, both table-full behaviours.</summary>
public sealed class GifLzwTests
{
    public static TheoryData<int, bool> CodeSizes()
    {
        var data = new TheoryData<int, bool>();
        for (int size = 2; size <= 8; size++)
        {
            data.Add(size, false);
            data.Add(size, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CodeSizes))]
    public void RoundTripsEveryCodeSize(int minCodeSize, bool deferredClear)
    {
        var random = new Random(minCodeSize);
        foreach (int length in new[] { 1, 2, 3, 17, 1000, 60_000 })
        {
            byte[] indices = Indices(random, length, 1 << minCodeSize);
            byte[] lzw = GifFiles.Lzw(indices, minCodeSize, deferredClear);
            var decoded = new byte[length];
            new GifLzwDecoder().Decode(lzw, minCodeSize, decoded, p => p);
            Assert.Equal(indices, decoded);
        }
    }

    [Fact]
    public void DeferredClearOnAFullTableMatchesImageMagick()
    {
        // 300 × 200 pixels of 256 colours with runs: far more than the 3838 strings a table can hold, so the encoder
        // keeps using the full table with 12-bit codes and never clears.
        var random = new Random(9);
        const int w = 300, h = 200;
        byte[] indices = Indices(random, w * h, 256);
        var palette = Enumerable.Range(0, 256).Select(i => ((byte)i, (byte)(255 - i), (byte)(i * 7))).ToArray();
        byte[] gif = GifFiles.Build(w, h, indices, palette, 8, deferredClear: true);
        byte[] standard = GifFiles.Build(w, h, indices, palette, 8, deferredClear: false);
        Assert.NotEqual(gif.Length, standard.Length); // the two encodings really differ

        Image ours = ImageDecoder.Decode(gif);
        for (int i = 0; i < w * h; i++)
            Assert.Equal(palette[indices[i]], (ours.Pixels[3 * i], ours.Pixels[3 * i + 1], ours.Pixels[3 * i + 2]));
        string path = Path.Combine(TestPictures.Scratch("gif-lzw"), "deferred.gif");
        File.WriteAllBytes(path, gif);
        byte[] reference = ExternalTool.ImageMagickRgba8(path);
        for (int i = 0; i < w * h; i++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(reference[4 * i + c], ours.Pixels[3 * i + c]);
    }

    // Runs of random length and colour: both long strings and short ones.
    private static byte[] Indices(Random random, int length, int colours)
    {
        var indices = new byte[length];
        for (int i = 0; i < length;)
        {
            int run = random.Next(4) == 0 ? random.Next(1, 40) : 1;
            byte value = (byte)random.Next(colours);
            for (int k = 0; k < run && i < length; k++) indices[i++] = value;
        }
        return indices;
    }
}
