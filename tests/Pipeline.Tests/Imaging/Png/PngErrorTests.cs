using System.Buffers.Binary;
using System.IO.Compression;
using Pipeline.Imaging;
using Pipeline.Imaging.Png;

namespace Pipeline.Tests.Imaging.Png;

/// <summary>Every way a PNG can be broken that the decoder must reject: one typed exception with an offset and a reason.</summary>
public sealed class PngErrorTests
{
    private static readonly byte[] Valid = PngEncoder.Encode(PngEncoderTests.Picture(20, 10, PixelFormat.Rgb24));

    [Fact]
    public void BadCrcOnACriticalChunk()
    {
        byte[] png = Valid.ToArray();
        png[8 + 8 + 13] ^= 1; // IHDR's CRC
        InvalidImageException e = Rejects(png, "CRC");
        Assert.Equal(8 + 8 + 13, e.Offset);
    }

    [Fact]
    public void BadCrcOnAnAncillaryChunkOnlyDropsIt()
    {
        var chunks = PngChunks.Parse(Valid);
        chunks.Insert(1, ("tEXt", "Comment\0hello"u8.ToArray()));
        byte[] png = PngChunks.Build(chunks);
        png[8 + 25 + 8 + 13] ^= 0xFF; // the tEXt chunk's CRC
        Assert.Equal(ImageDecoder.Decode(Valid).Pixels, ImageDecoder.Decode(png).Pixels);
    }

    [Fact]
    public void CorruptImageDataIsCaughtByTheCrc()
    {
        byte[] png = Valid.ToArray();
        int idat = FindChunk(png, "IDAT");
        png[idat + 8 + 5] ^= 0x40;
        Rejects(png, "IDAT chunk CRC");
    }

    [Theory]
    [InlineData(20)]
    [InlineData(40)]
    [InlineData(60)]
    public void TruncatedFile(int keep)
    {
        Rejects(Valid.AsSpan(0, keep).ToArray(), "truncated");
    }

    [Fact]
    public void MissingIend()
    {
        Rejects(Valid.AsSpan(0, Valid.Length - 12).ToArray(), "before IEND");
    }

    [Fact]
    public void ChunkLengthPastTheEnd()
    {
        byte[] png = Valid.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(FindChunk(png, "IDAT")), 0x7FFFFFF0);
        InvalidImageException e = Rejects(png, "runs past the end");
        Assert.Equal(FindChunk(png, "IDAT"), e.Offset);
    }

    [Fact]
    public void OversizedDimensionsAreRejectedFromTheHeaderBeforeAnyAllocation()
    {
        // 20000 × 20000 claimed, with a few bytes of data: nothing large may be allocated.
        byte[] png = PngChunks.Image(PngChunks.Header(20000, 20000, 8, 6), new byte[100]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        InvalidImageException e = Rejects(png, "limit", new DecoderOptions { MaxPixels = 1_000_000 });
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
        Assert.Equal(8, e.Offset);
        // Within MaxPixels but far more than the IDAT data could inflate to: still rejected before allocating.
        before = GC.GetAllocatedBytesForCurrentThread();
        Rejects(png, "cannot inflate", new DecoderOptions { MaxPixels = long.MaxValue });
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
    }

    [Fact]
    public void ZlibBombInflatesNoMoreThanTheImageNeeds()
    {
        // A 1×1 image whose IDAT inflates to 200 MB of zeros: decoding stops after the 4 bytes it needs.
        var bomb = new MemoryStream();
        using (var z = new ZLibStream(bomb, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 200; i++) z.Write(zeros);
        }
        byte[] png = PngChunks.Build([("IHDR", PngChunks.Header(1, 1, 8, 2)), ("IDAT", bomb.ToArray()), ("IEND", [])]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Image image = ImageDecoder.Decode(png);
        Assert.Equal([0, 0, 0], image.Pixels);
        Assert.True(watch.ElapsedMilliseconds < 2000, $"took {watch.ElapsedMilliseconds} ms");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 * bomb.Length + 1_000_000);
    }

    [Fact]
    public void ShortImageData()
    {
        byte[] raw = new byte[10 * (20 * 3 + 1) - 30];
        Rejects(PngChunks.Image(PngChunks.Header(20, 10, 8, 2), raw), "ends early");
    }

    [Fact]
    public void CorruptZlibStream()
    {
        byte[] idat = PngChunks.Zlib(new byte[10 * 61]);
        idat[0] = 0x78; idat[1] = 0x00; // FCHECK wrong: header no longer a multiple of 31
        Rejects(PngChunks.Build([("IHDR", PngChunks.Header(20, 10, 8, 2)), ("IDAT", idat), ("IEND", [])]), "zlib");
    }

    [Fact]
    public void BadFilterType()
    {
        var raw = new byte[3 * (4 * 3 + 1)];
        raw[4 * 3 + 1] = 5; // row 1's filter byte
        Rejects(PngChunks.Image(PngChunks.Header(4, 3, 8, 2), raw), "filter type 5");
    }

    [Fact]
    public void PaletteIndexOutOfRange()
    {
        byte[] raw = [0, 0, 1, 2, 0, 0, 1, 0, 3, 0]; // a 4×2, 8-bit indexed image using index 3 of a 3-entry palette
        InvalidImageException e = Rejects(PngChunks.Image(PngChunks.Header(4, 2, 8, 3), raw, palette: new byte[9]), "palette index");
        Assert.Contains("(2, 1)", e.Reason);
    }

    [Fact]
    public void IndexedImageWithoutPalette()
    {
        Rejects(PngChunks.Image(PngChunks.Header(4, 2, 8, 3), new byte[10]), "PLTE");
    }

    [Fact]
    public void UnknownCriticalChunk()
    {
        var chunks = PngChunks.Parse(Valid);
        chunks.Insert(1, ("ABCD", [1, 2, 3]));
        Rejects(PngChunks.Build(chunks), "unknown critical chunk ABCD");
    }

    [Fact]
    public void UnknownAncillaryChunksAreSkipped()
    {
        var chunks = PngChunks.Parse(Valid);
        chunks.Insert(1, ("abCD", [1, 2, 3]));
        chunks.Insert(chunks.Count - 1, ("zzZZ", new byte[1000]));
        Assert.Equal(ImageDecoder.Decode(Valid).Pixels, ImageDecoder.Decode(PngChunks.Build(chunks)).Pixels);
    }

    [Fact]
    public void ChunksOutOfOrder()
    {
        var chunks = PngChunks.Parse(Valid);
        Rejects(PngChunks.Build(chunks.Skip(1).Prepend(("tEXt", "a\0b"u8.ToArray())).Prepend(chunks[0]).Reverse().ToList()), "IHDR");
        byte[] data = chunks[1].Data;
        var split = new List<(string, byte[])> { chunks[0], ("IDAT", data[..10]), ("tEXt", "a\0b"u8.ToArray()), ("IDAT", data[10..]), ("IEND", []) };
        Rejects(PngChunks.Build(split), "not consecutive");
    }

    [Fact]
    public void MultipleIdatChunksAreJoined()
    {
        var chunks = PngChunks.Parse(Valid);
        byte[] data = chunks[1].Data;
        var split = new List<(string, byte[])> { chunks[0] };
        for (int i = 0; i < data.Length; i += 7) split.Add(("IDAT", data[i..Math.Min(data.Length, i + 7)]));
        split.Add(("IDAT", []));
        split.Add(("IEND", []));
        Assert.Equal(ImageDecoder.Decode(Valid).Pixels, ImageDecoder.Decode(PngChunks.Build(split)).Pixels);
    }

    [Theory]
    [InlineData(0, 8, 0, "invalid")]
    [InlineData(1, 3, 0, "bit depth 3")]
    [InlineData(1, 16, 3, "bit depth 16")]
    [InlineData(1, 8, 5, "colour type 5")]
    [InlineData(1, 4, 2, "bit depth 4")]
    public void InvalidHeaderFields(int width, int depth, int colorType, string reason)
    {
        Rejects(PngChunks.Image(PngChunks.Header(width, 1, depth, colorType), new byte[16]), reason);
    }

    [Fact]
    public void HeaderMethodsAndInterlaceValidated()
    {
        byte[] header = PngChunks.Header(1, 1, 8, 2);
        header[12] = 2;
        Rejects(PngChunks.Image(header, new byte[4]), "interlace method 2");
        header = PngChunks.Header(1, 1, 8, 2);
        header[10] = 1;
        Rejects(PngChunks.Image(header, new byte[4]), "compression method 1");
    }

    [Fact]
    public void DamagedSignature()
    {
        byte[] png = Valid.ToArray();
        png[3] = (byte)'X';
        InvalidImageException e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(png));
        Assert.Equal(ImageFormat.Unknown, e.Format); // no longer recognisable as PNG at all
        Rejects(png, "signature", direct: true);
    }

    private static InvalidImageException Rejects(byte[] png, string reason, DecoderOptions? options = null, bool direct = false)
    {
        InvalidImageException e = Assert.Throws<InvalidImageException>(
            () => direct ? PngDecoder.Decode(png, options ?? DecoderOptions.Default) : ImageDecoder.Decode(png, options));
        Assert.Equal(ImageFormat.Png, e.Format);
        Assert.True(e.Offset >= 0 && e.Offset <= png.Length, $"offset {e.Offset}");
        Assert.Contains(reason, e.Reason, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    private static int FindChunk(byte[] png, string type)
    {
        for (int pos = 8; pos + 8 <= png.Length;)
        {
            if (png.AsSpan(pos + 4, 4).SequenceEqual(System.Text.Encoding.ASCII.GetBytes(type))) return pos;
            pos += 12 + (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
        }
        throw new InvalidOperationException(type);
    }
}
