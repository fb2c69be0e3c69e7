using Pipeline.Imaging;

namespace Pipeline.Tests.Imaging.Gif;

/// <summary>Broken GIFs: one typed exception with an offset and a reason.</summary>
public sealed class GifErrorTests
{
    private static readonly (byte, byte, byte)[] Palette = [(0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255)];
    private static readonly byte[] Indices = [0, 1, 2, 3, 3, 2, 1, 0, 0, 0, 1, 1];

    private static byte[] Valid() => GifFiles.Build(4, 3, Indices, Palette, 2);

    [Fact]
    public void ValidFileDecodes()
    {
        Image image = ImageDecoder.Decode(Valid());
        Assert.Equal([0, 0, 0, 255, 0, 0, 0, 255, 0], image.Pixels[..9]);
    }

    [Fact]
    public void BrokenLzwCodeBeyondTheTable()
    {
        // clear (4), literal 0, then code 7 while the next free entry is 6: 3-bit codes 100 000 111, then end (5).
        byte[] gif = WithLzw([0b11_000_100, 0b1011]);
        Rejects(gif, "beyond the string table");
    }

    [Fact]
    public void FirstCodeAfterClearMustBeALiteral()
    {
        byte[] gif = WithLzw([0b00_110_100, 0b0]); // clear, then 6
        Rejects(gif, "follows a clear code");
    }

    [Fact]
    public void LzwDataEndingEarly()
    {
        byte[] gif = WithLzw([0b01_000_100]); // clear, 0, then nothing
        Rejects(gif, "ends after");
        gif = WithLzw([0b01_000_100, 0b0000_101_0]); // clear, 0, 1?, end code
        Rejects(gif, "end code comes after");
    }

    [Fact]
    public void CorruptLzwNeverHangsOrOverflows()
    {
        // Random code streams: each must decode or fail with the typed exception.
        var random = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            var lzw = new byte[random.Next(1, 60)];
            random.NextBytes(lzw);
            try
            {
                ImageDecoder.Decode(WithLzw(lzw));
            }
            catch (InvalidImageException)
            {
            }
        }
    }

    [Fact]
    public void ColourIndexBeyondTheTable()
    {
        byte[] gif = GifFiles.Build(4, 3, [0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0], Palette, 3); // a 4-entry table, indices to 7
        Rejects(gif, "colour index 4");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(12)]
    public void InvalidMinimumCodeSize(int size)
    {
        byte[] gif = Valid();
        gif[gif.Length - (Lzw().Length + 4)] = (byte)size;
        Rejects(gif, $"minimum code size {size}");
    }

    [Fact]
    public void NoImageBeforeTheTrailer()
    {
        byte[] gif = Valid();
        int separator = 13 + 12;
        gif[separator] = 0x3B;
        Rejects(gif, "no image");
        gif[separator] = 0x99;
        Rejects(gif, "unknown block type 0x99");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(20)]
    [InlineData(30)]
    [InlineData(37)]
    public void TruncatedFile(int keep)
    {
        Rejects(Valid()[..keep], "");
    }

    [Fact]
    public void OversizedScreenRejectedBeforeAllocation()
    {
        byte[] gif = GifFiles.Build(4, 3, Indices, Palette, 2, screenWidth: 60000, screenHeight: 60000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Rejects(gif, "limit", new DecoderOptions { MaxPixels = 1_000_000 });
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 100_000);
        // A huge frame announced with a few bytes of LZW data: rejected before the frame is allocated.
        byte[] frame = GifFiles.Build(4, 3, Indices, Palette, 2);
        frame[13 + 12 + 5] = 0xFF; frame[13 + 12 + 6] = 0xFF; frame[13 + 12 + 7] = 0xFF; frame[13 + 12 + 8] = 0xFF;
        before = GC.GetAllocatedBytesForCurrentThread();
        Rejects(frame, "cannot hold", new DecoderOptions { MaxPixels = long.MaxValue });
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 100_000);
    }

    [Fact]
    public void ScreenFarLargerThanTheDataIsRejectedBeforeAllocation()
    {
        // A 1x1 frame on a 10000x10000 screen: the LZW data fills a few thousand pixels, the rest would be transparent.
        byte[] gif = GifFiles.Build(1, 1, [1], Palette, 2, screenWidth: 10000, screenHeight: 10000);
        Assert.True(gif.Length < 64);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Rejects(gif, "the 10000x10000 logical screen is larger than its 1x1 first frame");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 100_000);

        // Up to a megapixel may be left transparent: the same frame on a 1024x1024 screen decodes.
        Image image = ImageDecoder.Decode(GifFiles.Build(1, 1, [1], Palette, 2, screenWidth: 1024, screenHeight: 1024, left: 5, top: 7));
        Assert.Equal((1024, 1024, PixelFormat.Rgba32), (image.Width, image.Height, image.Format));
        int at = (7 * 1024 + 5) * 4;
        Assert.Equal([255, 0, 0, 255], image.Pixels[at..(at + 4)]);
        Assert.Equal(255, image.Pixels.Sum(b => (long)b) / 2); // everything else transparent black
    }

    [Theory]
    [InlineData(40000, 40000, 1, 1)]         // the screen
    [InlineData(1, 1, 65535, 65535)]         // a frame that does not fit the screen, and so replaces it
    public void ImagesTooLargeForOneArrayAreRejected(int screenWidth, int screenHeight, int frameWidth, int frameHeight)
    {
        // Enough LZW data to account for the pixels (3-bit codes, 4096 pixels each), so only the array size is wrong.
        byte[] gif = GifFiles.Build(1, 1, [1], Palette, 2, screenWidth: screenWidth, screenHeight: screenHeight);
        gif[13 + 12 + 5] = (byte)frameWidth; gif[13 + 12 + 6] = (byte)(frameWidth >> 8);
        gif[13 + 12 + 7] = (byte)frameHeight; gif[13 + 12 + 8] = (byte)(frameHeight >> 8);
        long pixels = Math.Max((long)screenWidth * screenHeight, (long)frameWidth * frameHeight);
        gif = WithLeadingSubBlocks(gif, (int)(pixels / 4096 * 3 / 8 / 255) + 1);
        Rejects(gif, "too large to decode into one array", new DecoderOptions { MaxPixels = long.MaxValue });
    }

    // The file with `count` 255-byte sub-blocks of zeros inserted before its LZW data (after the code size byte).
    private static byte[] WithLeadingSubBlocks(byte[] gif, int count)
    {
        int start = 13 + 12 + 10 + 1;
        var padding = new byte[count * 256];
        for (int i = 0; i < padding.Length; i += 256) padding[i] = 255;
        return [.. gif[..start], .. padding, .. gif[start..]];
    }

    [Fact]
    public void NoColourTable()
    {
        byte[] gif = Valid();
        gif[10] &= 0x7F; // drop the global table flag: its bytes now read as blocks
        Rejects(gif, "");
        byte[] stripped = [.. gif[..13], .. gif[(13 + 12)..]];
        Rejects(stripped, "no colour table");
    }

    private static byte[] Lzw() => GifFiles.Lzw(Indices, 2, false);

    // The valid file with its LZW data replaced.
    private static byte[] WithLzw(byte[] lzw)
    {
        byte[] valid = Valid();
        int start = 13 + 12 + 10 + 1; // header, table, descriptor, code size
        return [.. valid[..start], (byte)lzw.Length, .. lzw, 0, 0x3B];
    }

    private static InvalidImageException Rejects(byte[] gif, string reason, DecoderOptions? options = null)
    {
        InvalidImageException e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(gif, options));
        Assert.Equal(ImageFormat.Gif, e.Format);
        Assert.True(e.Offset >= 0 && e.Offset <= gif.Length, $"offset {e.Offset}");
        Assert.Contains(reason, e.Reason, StringComparison.OrdinalIgnoreCase);
        return e;
    }
}
