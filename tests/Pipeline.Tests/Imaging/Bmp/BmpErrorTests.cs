using System.Buffers.Binary;
using Pipeline.Imaging;

namespace Pipeline.Tests.Imaging.Bmp;

/// <summary>Broken and unusual bitmaps: one typed exception with an offset and a reason, or the documented leniency.</summary>
public sealed class BmpErrorTests
{
    private static readonly (byte, byte, byte)[] Grays = [(0, 0, 0), (85, 85, 85), (170, 170, 170), (255, 255, 255)];

    private static byte[] Valid24() => BmpFiles.Build(3, 2, 24, 0, new byte[2 * BmpFiles.Stride(3, 24)]);

    [Theory]
    [InlineData(0u)]
    [InlineData(13u)]
    [InlineData(200u)]
    [InlineData(0xFFFFFFF0u)]
    public void AbsurdHeaderSize(uint size)
    {
        byte[] bmp = Valid24();
        BinaryPrimitives.WriteUInt32LittleEndian(bmp.AsSpan(14), size);
        Rejects(bmp, "DIB header size");
    }

    [Fact]
    public void HeaderPastTheEndOfTheFile()
    {
        Rejects(Valid24()[..40], "runs past the end");
    }

    [Theory]
    [InlineData(0x7FFFFFFFu)]
    [InlineData(20u)]
    public void AbsurdPixelDataOffset(uint offset)
    {
        byte[] bmp = Valid24();
        BinaryPrimitives.WriteUInt32LittleEndian(bmp.AsSpan(10), offset);
        InvalidImageException e = Rejects(bmp, "pixel data offset");
        Assert.Equal(10, e.Offset);
    }

    [Fact]
    public void TruncatedPixelData()
    {
        Rejects(Valid24()[..^7], "truncated");
    }

    [Fact]
    public void LastRowWithoutItsPaddingIsAccepted()
    {
        // 3 pixels × 3 bytes = 9 bytes a row, padded to 12; the final 3 padding bytes are missing.
        Image image = ImageDecoder.Decode(Valid24()[..^3]);
        Assert.Equal((3, 2), (image.Width, image.Height));
    }

    [Fact]
    public void OversizedDimensionsRejectedBeforeAllocation()
    {
        byte[] bmp = BmpFiles.Build(20000, 20000, 24, 0, new byte[16]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Rejects(bmp, "limit", new DecoderOptions { MaxPixels = 1_000_000 });
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 100_000);
        // Within the limit: the missing pixel data is noticed before the output is allocated.
        before = GC.GetAllocatedBytesForCurrentThread();
        Rejects(bmp, "truncated", new DecoderOptions { MaxPixels = long.MaxValue });
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 100_000);
    }

    [Theory]
    [InlineData(0, 5, "width must be positive")]
    [InlineData(-4, 5, "width must be positive")]
    [InlineData(4, 0, "height non-zero")]
    [InlineData(4, int.MinValue, "height non-zero")]
    public void InvalidDimensions(int width, int height, string reason)
    {
        Rejects(BmpFiles.Build(width, height, 24, 0, new byte[64]), reason);
    }

    [Theory]
    [InlineData(7, 0u, "7 bits per pixel")]
    [InlineData(0, 0u, "embedded JPEG or PNG")]
    [InlineData(24, 4u, "embedded JPEG")]
    [InlineData(24, 5u, "embedded PNG")]
    [InlineData(24, 9u, "unsupported compression 9")]
    [InlineData(4, 1u, "RLE8 compression with 4 bits")]
    [InlineData(8, 2u, "RLE4 compression with 8 bits")]
    [InlineData(24, 3u, "BI_BITFIELDS with 24 bits")]
    public void UnsupportedLayouts(int bpp, uint compression, string reason)
    {
        Rejects(BmpFiles.Build(4, 4, bpp, compression, new byte[256], Grays, separateMasks: compression == 3 ? [0xF800, 0x7E0, 0x1F] : null), reason);
    }

    [Fact]
    public void NonContiguousMask()
    {
        Rejects(BmpFiles.Build(2, 2, 16, 3, new byte[8], separateMasks: [0xF00F, 0x0FF0, 0]), "not a run of bits");
    }

    [Fact]
    public void PaletteIndexOutOfRange()
    {
        // A 4-entry palette (biClrUsed = 4) and a pixel using index 9.
        byte[] pixels = new byte[2 * 4];
        pixels[4 + 2] = 9;
        InvalidImageException e = Rejects(BmpFiles.Build(4, 2, 8, 0, pixels, Grays, colorsUsed: 4), "palette index 9");
        Assert.Contains("(2, 0)", e.Reason); // stored row 1 of a bottom-up bitmap is the top row
    }

    [Fact]
    public void RleWithoutEndOfBitmap()
    {
        Rejects(BmpFiles.Build(4, 2, 8, 1, [4, 1, 0, 0, 2, 1], Grays), "end-of-bitmap");
    }

    [Fact]
    public void RleAbsoluteRunPastTheEnd()
    {
        Rejects(BmpFiles.Build(8, 2, 8, 1, [0, 8, 1, 2, 3], Grays), "absolute run");
    }

    [Theory]
    [InlineData(8u)]
    [InlineData(4u)]
    public void RleSkipsCannotClaimAHugeImage(uint bpp)
    {
        // 10000x10000 whose data is a lone end-of-bitmap: every pixel skipped. Refused before allocating the image.
        uint compression = bpp == 8 ? 1u : 2u;
        byte[] bmp = BmpFiles.Build(10000, 10000, (int)bpp, compression, [0, 1], Grays);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Rejects(bmp, "2 bytes of RLE data cannot describe a 10000x10000 image");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 100_000);
        // Same with a bad palette index in the only run: the size is refused before any pixel is looked at.
        Rejects(BmpFiles.Build(10000, 10000, (int)bpp, compression, [255, 0x99, 0, 1], Grays), "cannot describe");

        // Up to 2^20 pixels may be left to skips: 1024x1024 from the same 2 bytes decodes, to palette entry 0.
        Image image = ImageDecoder.Decode(BmpFiles.Build(1024, 1024, (int)bpp, compression, [0, 1], Grays));
        Assert.Equal((1024, 1024), (image.Width, image.Height));
        Assert.All(image.Pixels, b => Assert.Equal(0, b));
        Rejects(BmpFiles.Build(1024, 1025, (int)bpp, compression, [0, 1], Grays), "cannot describe");
    }

    [Fact]
    public void RleImagePaintedByMaximalRunsDecodes()
    {
        // The densest real encoding: every row eight 255-pixel runs and an end-of-line, 2,040 pixels in 18 bytes
        // (113 pixels a byte), over 4 megapixels: far past what the skip allowance alone would let through.
        const int width = 2040, height = 2000;
        var data = new List<byte>();
        for (int row = 0; row < height; row++)
        {
            for (int run = 0; run < width / 255; run++) data.AddRange([255, (byte)(row % 4)]);
            data.AddRange([0, 0]);
        }
        data.AddRange([0, 1]);
        Image image = ImageDecoder.Decode(BmpFiles.Build(width, height, 8, 1, [.. data], Grays));
        Assert.Equal((width, height), (image.Width, image.Height));
        Assert.Equal(Grays[(height - 1) % 4].Item1, image.Pixels[0]); // the top row is the last stored one
    }

    [Fact]
    public void Os2HuffmanCompressionIsUnsupported()
    {
        Rejects(BmpFiles.Build(4, 4, 1, 3, new byte[32], Grays[..2], headerSize: 64), "Huffman");
    }

    [Fact]
    public void TwoBitPaletteAndZeroDataOffset()
    {
        // 2 bits per pixel (Windows CE): pixels 0 1 2 3 / 3 2 1 0, bottom row first; bfOffBits left 0.
        byte[] bmp = BmpFiles.Build(4, 2, 2, 0, [0b00_01_10_11, 0, 0, 0, 0b11_10_01_00, 0, 0, 0], Grays);
        BinaryPrimitives.WriteUInt32LittleEndian(bmp.AsSpan(10), 0);
        Image image = ImageDecoder.Decode(bmp);
        Assert.Equal([255, 170, 85, 0], Enumerable.Range(0, 4).Select(x => (int)image.Pixels[3 * x]));
        Assert.Equal([0, 85, 170, 255], Enumerable.Range(4, 4).Select(x => (int)image.Pixels[3 * x]));
    }

    [Fact]
    public void ThirtyTwoBitWithAllZeroAlphaIsOpaque()
    {
        byte[] pixels = [10, 20, 30, 0, 40, 50, 60, 0];
        Image image = ImageDecoder.Decode(BmpFiles.Build(2, 1, 32, 0, pixels));
        Assert.Equal(PixelFormat.Rgb24, image.Format);
        Assert.Equal([30, 20, 10, 60, 50, 40], image.Pixels);
        pixels[3] = 128;
        image = ImageDecoder.Decode(BmpFiles.Build(2, 1, 32, 0, pixels));
        Assert.Equal(PixelFormat.Rgba32, image.Format);
        Assert.Equal([30, 20, 10, 128, 60, 50, 40, 0], image.Pixels);
    }

    [Fact]
    public void BitReplicationWidensNarrowMasks()
    {
        // ARGB4444 with every channel at its maximum, and 1555 with alpha set: all must come out 255.
        Image a = ImageDecoder.Decode(BmpFiles.Build(1, 1, 16, 3, [0xFF, 0xFF, 0, 0], separateMasks: [0x0F00, 0x00F0, 0x000F, 0xF000], compressionIsAlpha: true));
        Assert.Equal([255, 255, 255, 255], a.Pixels);
        Image b = ImageDecoder.Decode(BmpFiles.Build(1, 1, 16, 3, [0x01, 0x80, 0, 0], separateMasks: [0x7C00, 0x03E0, 0x001F, 0x8000], compressionIsAlpha: true));
        Assert.Equal([0, 0, 8, 255], b.Pixels); // blue 00001 → 00001000 + 01 replicated = 8
    }

    private static InvalidImageException Rejects(byte[] bmp, string reason, DecoderOptions? options = null)
    {
        InvalidImageException e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(bmp, options));
        Assert.Equal(ImageFormat.Bmp, e.Format);
        Assert.True(e.Offset >= 0 && e.Offset <= bmp.Length, $"offset {e.Offset}");
        Assert.Contains(reason, e.Reason, StringComparison.OrdinalIgnoreCase);
        return e;
    }
}
