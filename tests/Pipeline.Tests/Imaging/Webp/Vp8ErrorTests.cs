using System.Diagnostics;
using Pipeline.Imaging;
using Pipeline.Imaging.Webp;
using Pipeline.Tests.Imaging.CodecTools;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>
/// Broken VP8 data: every problem is an <see cref="InvalidImageException"/> with an offset inside the file and a
/// reason, never another exception or a hang, and the size limit is checked before anything large is allocated.
/// </summary>
public sealed class Vp8ErrorTests
{
    private static (byte[] File, int Start, int Length) Valid(string picture = "noise", string quality = "75")
    {
        string path = Vp8TestFiles.Encode(TestPictures.Get(picture), "vp8-errors", picture + "-q" + quality, ["-quality", quality]);
        byte[] file = File.ReadAllBytes(path);
        (int start, int length) = Vp8TestFiles.FindVp8Chunk(file);
        return (file, start, length);
    }

    private static InvalidImageException Rejects(byte[] file, int start, int length, string reason, DecoderOptions? options = null)
    {
        var e = Assert.Throws<InvalidImageException>(() => Vp8Decoder.Decode(file, start, length, options ?? DecoderOptions.Default));
        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
        Assert.Equal(ImageFormat.Webp, e.Format);
        Assert.InRange(e.Offset, 0, file.Length);
        return e;
    }

    [Fact]
    public void InterFrame()
    {
        var (file, start, length) = Valid();
        file[start] |= 1;
        var e = Rejects(file, start, length, "an inter frame: WebP holds only key frames");
        Assert.Equal(start, e.Offset);
    }

    [Fact]
    public void BadStartCode()
    {
        var (file, start, length) = Valid();
        file[start + 4] = 0x02;
        var e = Rejects(file, start, length, "start code");
        Assert.Equal(start + 3, e.Offset);
    }

    [Fact]
    public void ZeroWidthOrHeight()
    {
        var (file, start, length) = Valid();
        byte[] noWidth = (byte[])file.Clone();
        noWidth[start + 6] = 0;
        noWidth[start + 7] &= 0xC0; // the scale bits may stay
        Rejects(noWidth, start, length, "0x45");
        byte[] noHeight = (byte[])file.Clone();
        noHeight[start + 8] = 0;
        noHeight[start + 9] = 0;
        Rejects(noHeight, start, length, "67x0");
    }

    [Fact]
    public void UnknownVersionAndHiddenFrame()
    {
        var (file, start, length) = Valid();
        byte[] version = (byte[])file.Clone();
        version[start] = (byte)((version[start] & ~0x0E) | (5 << 1));
        Rejects(version, start, length, "version 5");
        byte[] hidden = (byte[])file.Clone();
        hidden[start] &= 0xEF;
        Rejects(hidden, start, length, "not shown");
    }

    [Fact]
    public void OverMaxPixelsBeforeAllocating()
    {
        var (file, start, length) = Valid();
        var limit = new DecoderOptions { MaxPixels = 67 * 45 - 1 };
        Rejects(file, start, length, $"the image is 67x45 = 3015 pixels, over the limit of {67 * 45 - 1} (DecoderOptions.MaxPixels)", limit);
        Assert.Equal(67, Vp8Decoder.Decode(file, start, length, new DecoderOptions { MaxPixels = 67 * 45 }).Width);

        // The largest header VP8 can express: 16383×16383 is refused from the header, before any plane is allocated.
        file[start + 6] = 0xFF; file[start + 7] = 0x3F; file[start + 8] = 0xFF; file[start + 9] = 0x3F;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Rejects(file, start, length, "16383x16383 = 268402689 pixels, over the limit");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "a refused header allocated over 1 MiB");
    }

    [Fact]
    public void FirstPartitionLongerThanTheChunk()
    {
        var (file, start, length) = Valid();
        int size = length - 10 + 1;
        file[start] = (byte)((file[start] & 0x1F) | ((size & 7) << 5));
        file[start + 1] = (byte)(size >> 3);
        file[start + 2] = (byte)(size >> 11);
        Rejects(file, start, length, "the first partition");
    }

    [Fact]
    public void ChunkPastTheEndOfTheFile()
    {
        var (file, start, length) = Valid();
        byte[] cut = file[..(start + length / 2)];
        var e = Rejects(cut, start, length, "runs past the end of the file");
        Assert.Equal(cut.Length, e.Offset);
    }

    /// <summary>
    /// Every cut of the chunk either decodes (the cut only dropped bytes the boolean decoders never needed) or is
    /// refused; a cut inside the headers or the first partition is always refused.
    /// </summary>
    [Theory]
    [InlineData("noise", "75")]
    [InlineData("flower", "30")]
    [InlineData("tiny", "90")]
    public void TruncatedAtEveryLength(string picture, string quality)
    {
        var (file, start, length) = Valid(picture, quality);
        int firstEnd = 10 + ((file[start] | (file[start + 1] << 8) | (file[start + 2] << 16)) >> 5);
        int decoded = 0;
        for (int cut = 0; cut < length; cut++)
        {
            try
            {
                Vp8Decoder.Decode(file, start, cut, DecoderOptions.Default);
                Assert.True(cut > firstEnd, $"a chunk cut to {cut} bytes, inside the first partition (ends at {firstEnd}), decoded");
                decoded++;
            }
            catch (InvalidImageException e)
            {
                Assert.InRange(e.Offset, 0, start + cut);
            }
        }
        // Only the last few bytes can go unnoticed: the encoder flushes little more than the decoder needs.
        Assert.True(decoded <= 4, $"{decoded} truncated chunks decoded");
    }

    /// <summary>Seeded random corruption of valid files: each decodes or throws the typed exception, quickly.</summary>
    [Theory]
    [InlineData("noise", "75", 1)]
    [InlineData("flower", "50", 2)]
    [InlineData("tiny", "95", 3)]
    [InlineData("noise", "5", 4)]
    public void CorruptedBytesDecodeOrThrowTheTypedException(string picture, string quality, int seed)
    {
        var (original, start, length) = Valid(picture, quality);
        var random = new Random(seed);
        // A corrupted size may ask for a large image: keep the limit low so each attempt stays quick.
        var options = new DecoderOptions { MaxPixels = 1 << 20 };
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 400; i++)
        {
            byte[] file = (byte[])original.Clone();
            int changes = random.Next(1, 5);
            for (int c = 0; c < changes; c++)
            {
                // Mostly the headers and the first partition, where a change alters the structure, else anywhere.
                int at = start + (random.Next(3) == 0 ? random.Next(length) : random.Next(Math.Min(length, 40)));
                file[at] = random.Next(2) == 0 ? (byte)random.Next(256) : (byte)(file[at] ^ (1 << random.Next(8)));
            }
            try
            {
                Image image = Vp8Decoder.Decode(file, start, length, options);
                Assert.Equal(image.Width * image.Height * 3, image.Pixels.Length);
            }
            catch (InvalidImageException e)
            {
                Assert.InRange(e.Offset, 0, file.Length);
            }
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"400 corrupted decodes took {clock.Elapsed}");
    }

    /// <summary>Random bytes after a valid uncompressed header: the boolean decoders take whatever comes.</summary>
    [Fact]
    public void RandomPartitionsDecodeOrThrowTheTypedException()
    {
        var (original, start, _) = Valid("tiny", "75");
        var random = new Random(11);
        for (int i = 0; i < 300; i++)
        {
            int length = random.Next(10, 400);
            byte[] file = new byte[start + length];
            original.AsSpan(0, start + 10).CopyTo(file);
            random.NextBytes(file.AsSpan(start + 10));
            int firstSize = random.Next(0, length - 10 + 1);
            file[start] = (byte)((file[start] & 0x1F) | ((firstSize & 7) << 5));
            file[start + 1] = (byte)(firstSize >> 3);
            file[start + 2] = (byte)(firstSize >> 11);
            try
            {
                Vp8Decoder.Decode(file, start, length, DecoderOptions.Default);
            }
            catch (InvalidImageException e)
            {
                Assert.InRange(e.Offset, 0, file.Length);
            }
        }
    }
}
