using System.Buffers.Binary;
using Pipeline.Imaging;
using Pipeline.Imaging.Webp;
using BitWriter = Pipeline.Tests.Imaging.Webp.WebpFiles.BitWriter;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>Broken and hostile WebP files: one typed exception with an offset inside the file and a reason, quickly.</summary>
public sealed class WebpErrorTests
{
    private static readonly uint[] Pixels = WebpLosslessTests.Picture(5, 4, 0, seed: 9);

    private static byte[] Valid() => WebpFiles.Lossless(Pixels, 5, 4, new WebpFiles.Vp8LOptions { Transforms = ["green", "predictor"] });

    private static InvalidImageException Rejects(byte[] file, string reason, DecoderOptions? options = null)
    {
        InvalidImageException e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(file, options));
        Assert.Equal(ImageFormat.Webp, e.Format);
        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
        Assert.InRange(e.Offset, 0, file.Length);
        return e;
    }

    // A simple lossless file whose image stream (after the 5-byte header) is written by the caller.
    private static byte[] Stream(int width, int height, Action<BitWriter> body)
    {
        BitWriter writer = WebpFiles.Vp8LHeader(width, height, alphaHint: true);
        body(writer);
        writer.Write(0, 32); // padding: the errors must come from the structure, not the end of the data
        return WebpFiles.Riff(WebpFiles.Chunk("VP8L", writer.ToArray()));
    }

    // A simple code with one symbol below 256 (zero bits per use).
    private static void OneSymbol(BitWriter w, int symbol)
    {
        w.Write(1, 1);
        w.Write(0, 1);
        w.Write(1, 1);
        w.Write((uint)symbol, 8);
    }

    // A normal code whose lengths are all 0 except the given ones (each 1 or 2), sent with a code-length code over {0, 1, 2}.
    private static void NormalCode(BitWriter w, int alphabet, params (int Symbol, int Length)[] lengths)
    {
        w.Write(0, 1);
        w.Write(5 - 4, 4); // five code-length code lengths, in the order 17, 18, 0, 1, 2
        foreach (uint l in new uint[] { 0, 0, 1, 2, 2 }) w.Write(l, 3); // 0 → "0", 1 → "10", 2 → "11" (canonical)
        w.Write(0, 1);
        for (int s = 0; s < alphabet; s++)
        {
            int length = lengths.FirstOrDefault(l => l.Symbol == s).Length;
            if (length == 0) w.Write(0, 1);
            else
            {
                w.Write(1, 1);
                w.Write(length == 1 ? 0u : 1u, 1);
            }
        }
    }

    [Fact]
    public void ValidFileDecodes()
    {
        Image image = ImageDecoder.Decode(Valid());
        Assert.Equal((5, 4, PixelFormat.Rgba32), (image.Width, image.Height, image.Format));
    }

    [Fact]
    public void RiffSizePastTheEndIsTruncation()
    {
        byte[] file = Valid();
        Rejects(file[..^3], "runs past the end of the");
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), 2);
        Rejects(file, "too small");
    }

    [Fact]
    public void TrailingDataAfterTheRiffSizeIsIgnored()
    {
        byte[] file = [.. Valid(), 1, 2, 3, 4, 5];
        Assert.Equal(ImageDecoder.Decode(Valid()).Pixels, ImageDecoder.Decode(file).Pixels);
    }

    [Fact]
    public void ChunkStructure()
    {
        Rejects(WebpFiles.Riff(WebpFiles.Chunk("ICCP", [1, 2])), "the first chunk is ICCP");
        byte[] file = Valid();
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16), 1000);
        Rejects(file, "chunk runs past the end of the RIFF data");
        Rejects(WebpFiles.Riff(WebpFiles.Chunk("VP8X", new byte[9])), "the VP8X chunk is 9 bytes");
        Rejects(WebpFiles.Riff(WebpFiles.Vp8X(0, 5, 4), WebpFiles.Chunk("EXIF", [1])), "no \"VP8 \" or \"VP8L\" chunk");
    }

    [Fact]
    public void CanvasMustMatchTheImage()
    {
        byte[] vp8l = WebpFiles.FirstChunk(Valid()).Payload;
        Rejects(WebpFiles.Riff(WebpFiles.Vp8X(0x10, 6, 4), WebpFiles.Chunk("VP8L", vp8l)), "the VP8L image is 5x4; the canvas is 6x4");
    }

    [Fact]
    public void SizesOverTheLimitAreRejectedBeforeDecoding()
    {
        var options = new DecoderOptions { MaxPixels = 19 };
        Rejects(Valid(), "over the limit of 19", options);
        Rejects(WebpFiles.Riff(WebpFiles.Vp8X(0, 1 << 24, 1 << 24)), "over the limit of 100000000");
        Rejects(Stream(16384, 16384, _ => { }), "over the limit of 100000000");

        // With the pixel limit raised, a canvas too large for one array of RGBA pixels is still a typed error.
        var unlimited = new DecoderOptions { MaxPixels = long.MaxValue };
        byte[] frame = WebpFiles.Chunk("VP8L", WebpFiles.FirstChunk(Valid()).Payload);
        Rejects(WebpFiles.Riff(WebpFiles.Vp8X(0x02, 30000, 30000), WebpFiles.Anim(), WebpFiles.Anmf(0, 0, 5, 4, frame)), "too many to hold in memory", unlimited);
        Rejects(WebpFiles.Riff(WebpFiles.Vp8X(0x10, 46341, 46341), WebpFiles.Chunk("ALPH", [0]), WebpFiles.Chunk("VP8 ", [0, 0, 0, 0])), "too many to hold in memory", unlimited);
    }

    [Fact]
    public void ABrokenLossyFrameIsRefusedBeforeItsAlphaPlaneIsDecoded()
    {
        // A 10000x10000 canvas with a lossless ALPH chunk over a VP8 frame that is not shown: refused from the frame's
        // header, before a 100 MB alpha plane is allocated or its stream read.
        byte[] alph = WebpFiles.FindChunk(Valid(), "VP8L") is { } stream ? [1, .. stream[5..]] : throw new InvalidOperationException();
        byte[] file = WebpFiles.Riff(WebpFiles.Vp8X(0x10, 10000, 10000), WebpFiles.Chunk("ALPH", alph), WebpFiles.Chunk("VP8 ", [0, 0, 0, 0]));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Rejects(file, "not shown");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the alpha plane was decoded before the frame was checked");
    }

    [Fact]
    public void Vp8LHeader()
    {
        byte[] file = Valid();
        file[20] = 0x2E;
        Rejects(file, "not the signature 0x2F");
        file = Valid();
        file[24] |= 0x20;
        Rejects(file, "VP8L version 1");
        Rejects(WebpFiles.Riff(WebpFiles.Chunk("VP8L", [0x2F, 0, 0])), "too short for its 5-byte header");
    }

    [Fact]
    public void ATransformMayAppearOnce()
    {
        Rejects(Stream(4, 4, w =>
        {
            w.Write(1, 1);
            w.Write(WebpConstants.SubtractGreenTransform, 2);
            w.Write(1, 1);
            w.Write(WebpConstants.SubtractGreenTransform, 2);
        }), "appears twice");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    [InlineData(15)]
    public void ColourCacheBitsOutOfRange(int bits)
    {
        Rejects(Stream(4, 4, w =>
        {
            w.Write(0, 1);
            w.Write(1, 1);
            w.Write((uint)bits, 4);
        }), $"colour cache bits {bits} is out of range");
    }

    [Fact]
    public void OverSubscribedAndIncompleteCodesAreRejected()
    {
        // Three symbols of length 1: over-subscribed.
        Rejects(Stream(4, 4, w =>
        {
            w.Write(0, 3); // no transform, no colour cache, no meta prefix codes
            NormalCode(w, 280, (0, 1), (1, 1), (2, 1));
        }), "prefix code 0 of group 0 is not a valid prefix code");
        // Lengths 1 and 2: incomplete.
        Rejects(Stream(4, 4, w =>
        {
            w.Write(0, 3); // no transform, no colour cache, no meta prefix codes
            NormalCode(w, 280, (0, 1), (7, 2));
        }), "not a valid prefix code");
        // All lengths zero: empty.
        Rejects(Stream(4, 4, w =>
        {
            w.Write(0, 3); // no transform, no colour cache, no meta prefix codes
            NormalCode(w, 280);
        }), "not a valid prefix code");
        // A code-length code with three 1-bit lengths.
        Rejects(Stream(4, 4, w =>
        {
            w.Write(0, 3); // no transform, no colour cache, no meta prefix codes
            w.Write(0, 1);
            w.Write(0, 4);
            foreach (uint l in new uint[] { 1, 1, 1, 0 }) w.Write(l, 3);
        }), "code-length code");
    }

    [Fact]
    public void CodeLengthRunsMayNotPassTheAlphabet()
    {
        Rejects(Stream(4, 4, w =>
        {
            w.Write(0, 3); // no transform, no colour cache, no meta prefix codes
            // Code-length code: only symbol 18 (a zero run of 11–138), a one-symbol code read with zero bits.
            w.Write(0, 1);
            w.Write(0, 4);
            foreach (uint l in new uint[] { 0, 1, 0, 0 }) w.Write(l, 3);
            w.Write(0, 1);
            for (int i = 0; i < 3; i++) w.Write(127, 7); // 3 × 138 zeros > 280
        }), "passes the end of the 280-symbol alphabet");
    }

    [Fact]
    public void MaxSymbolLargerThanTheAlphabet()
    {
        Rejects(Stream(4, 4, w =>
        {
            w.Write(0, 3); // no transform, no colour cache, no meta prefix codes
            OneSymbol(w, 0); // green
            w.Write(0, 1); // red: a normal code
            w.Write(0, 4);
            foreach (uint l in new uint[] { 0, 0, 1, 1 }) w.Write(l, 3);
            w.Write(1, 1);
            w.Write(3, 3);
            w.Write(255, 8); // 257 code lengths for the 256-symbol red alphabet
        }), "reads 257 code lengths; its alphabet has 256 symbols");
    }

    [Fact]
    public void BackwardReferenceBeforeTheFirstPixel()
    {
        Rejects(Stream(4, 4, w =>
        {
            w.Write(0, 3); // no transform, no colour cache, no meta prefix codes
            NormalCode(w, 280, (256, 1)); // green: only "length 1"
            OneSymbol(w, 0);
            OneSymbol(w, 0);
            OneSymbol(w, 0);
            OneSymbol(w, 0); // distance code 1: the pixel above
        }), "before the first pixel");
    }

    [Fact]
    public void HugeBackwardReferenceLength()
    {
        Rejects(Stream(2, 2, w =>
        {
            w.Write(0, 3); // no transform, no colour cache, no meta prefix codes
            NormalCode(w, 280, (0, 1), (256 + 23, 1)); // green: literal 0 ("0") or a length of 3073–4096 ("1")
            OneSymbol(w, 0);
            OneSymbol(w, 0);
            OneSymbol(w, 0);
            OneSymbol(w, 1); // distance code 2: the pixel to the left
            w.Write(0, 1); // literal
            w.Write(1, 1); // backward reference
            w.Write(1023, 10);
        }), "runs past the 4-pixel image");
    }

    [Fact]
    public void TruncatedStream()
    {
        byte[] payload = WebpFiles.FirstChunk(WebpFiles.Lossless(WebpLosslessTests.Picture(40, 30, 0, seed: 4), 40, 30)).Payload;
        for (int cut = 5; cut < payload.Length; cut += 97)
        {
            var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(WebpFiles.Riff(WebpFiles.Chunk("VP8L", payload[..cut]))));
            Assert.True(e.Reason.Contains("truncated file?", StringComparison.Ordinal), $"cut {cut} of {payload.Length}: {e.Reason} at {e.Offset}");
        }
    }

    [Fact]
    public void ManyPrefixCodeGroupsCostNoMemoryUntilRead()
    {
        // An entropy image naming group 65535 makes 65536 groups to read: the data ends long before, quickly.
        Rejects(Stream(4, 4, w =>
        {
            w.Write(0, 2); // no transform, no colour cache
            w.Write(1, 1); // meta prefix codes
            w.Write(0, 3); // prefix bits 2: a 1×1 entropy image
            w.Write(0, 1);
            OneSymbol(w, 255); // green: group low byte
            OneSymbol(w, 255); // red: group high byte
            OneSymbol(w, 0);
            OneSymbol(w, 0);
            OneSymbol(w, 0);
        }), "code");
    }

    [Fact]
    public void AlphChunkHeader()
    {
        // A real 5x4 key frame, so the VP8 frame decodes and the ALPH chunk is what fails.
        byte[] fakeVp8 = Vp8Writer.BuildFile(new Vp8Writer.Settings(5, 4, 0, 0, false, 0, false, 1))[20..];
        Rejects(Extended(WebpFiles.Chunk("ALPH", [2]), fakeVp8), "ALPH compression method 2");
        Rejects(Extended(WebpFiles.Chunk("ALPH", [0xC0]), fakeVp8), "reserved bits");
        Rejects(Extended(WebpFiles.Chunk("ALPH", [0x30]), fakeVp8), "pre-processing 3");
        Rejects(Extended(WebpFiles.Chunk("ALPH", [0, 1, 2, 3]), fakeVp8), "the raw ALPH data is 3 bytes");
        Rejects(Extended(WebpFiles.Chunk("ALPH", []), fakeVp8), "ALPH chunk is empty");
        Rejects(Extended(WebpFiles.Chunk("ALPH", [1, 0x2F]), fakeVp8), "truncated file?");
        // A VP8 image of another size than the canvas is refused, whatever the ALPH chunk holds.
        Rejects(Extended(WebpFiles.Chunk("ALPH", WebpFiles.RawAlpha(new byte[20], 5, 4, 1)), Vp8Writer.BuildFile(new Vp8Writer.Settings(6, 4, 0, 0, false, 0, false, 1))[20..]), "the VP8 image is 6x4");

        static byte[] Extended(byte[] alph, byte[] vp8) => WebpFiles.Riff(WebpFiles.Vp8X(0x10, 5, 4), alph, WebpFiles.Chunk("VP8 ", vp8));
    }

    [Fact]
    public void AnimationStructure()
    {
        byte[] frame = WebpFiles.Chunk("VP8L", WebpFiles.FirstChunk(Valid()).Payload);
        Rejects(WebpFiles.Riff(WebpFiles.Vp8X(0x02, 6, 4), WebpFiles.Anim(), WebpFiles.Anmf(2, 0, 5, 4, frame)), "does not fit the 6x4 canvas");
        Rejects(WebpFiles.Riff(WebpFiles.Vp8X(0x02, 6, 4), WebpFiles.Anim()), "no ANMF chunk");
        Rejects(WebpFiles.Riff(WebpFiles.Vp8X(0x02, 6, 4), WebpFiles.Chunk("ANMF", new byte[10])), "too short for its 16-byte header");
        Rejects(WebpFiles.Riff(WebpFiles.Vp8X(0x02, 6, 4), WebpFiles.Anmf(0, 0, 4, 4, frame)), "the VP8L image is 5x4; its ANMF frame is 4x4");
        Rejects(WebpFiles.Riff(WebpFiles.Vp8X(0x02, 6, 4), WebpFiles.Anmf(0, 0, 4, 4)), "has no \"VP8 \" or \"VP8L\" chunk");
    }

    [Fact]
    public void RandomStreamsNeverHangOrThrowUntyped()
    {
        var random = new Random(7);
        for (int i = 0; i < 3000; i++)
        {
            var body = new byte[random.Next(1, 80)];
            random.NextBytes(body);
            int width = 1 + random.Next(300), height = 1 + random.Next(300);
            byte[] payload = [0x2F, .. BitConverter.GetBytes((uint)(width - 1) | (uint)(height - 1) << 14 | 1u << 28), .. body];
            byte[] file = WebpFiles.Riff(WebpFiles.Chunk("VP8L", payload));
            try
            {
                ImageDecoder.Decode(file);
            }
            catch (InvalidImageException e)
            {
                Assert.InRange(e.Offset, 0, file.Length);
            }
        }
    }
}
