using Pipeline.Imaging;
using Pipeline.Imaging.Jpeg;
using Pipeline.Tests.Infrastructure;
using static Pipeline.Tests.Imaging.Jpeg.JpegTestTools;

namespace Pipeline.Tests.Imaging.Jpeg;

/// <summary>
/// Unsupported features, truncation, limits and structural damage: each is one typed
/// <see cref="InvalidImageException"/> with a byte offset and a reason that says what was wrong.
/// </summary>
public sealed class JpegErrorTests
{
    private static byte[] Baseline(string sampling = "2x2")
    {
        SharedData.RequireTool("cjpeg", "libjpeg-turbo-progs");
        return Cjpeg(Synthetic(64, 48, 11), "-sample", sampling);
    }

    private static byte[] Progressive()
    {
        SharedData.RequireTool("cjpeg", "libjpeg-turbo-progs");
        return Cjpeg(Synthetic(64, 48, 12), "-progressive");
    }

    private static InvalidImageException Rejects(byte[] data, DecoderOptions? options = null)
    {
        var e = Assert.Throws<InvalidImageException>(() => JpegDecoder.Decode(data, options ?? DecoderOptions.Default));
        Assert.Equal(ImageFormat.Jpeg, e.Format);
        Assert.InRange(e.Offset, 0, data.Length);
        return e;
    }

    /// <summary>Offset of the first marker <paramref name="code"/> (FF code) before the first scan's data, or -1.</summary>
    private static int TryFindMarker(byte[] jpeg, byte code)
    {
        int pos = 2;
        while (pos + 4 <= jpeg.Length)
        {
            Assert.Equal(0xFF, jpeg[pos]);
            if (jpeg[pos + 1] == code) return pos;
            if (jpeg[pos + 1] == 0xDA) return -1;
            pos += 2 + ((jpeg[pos + 2] << 8) | jpeg[pos + 3]);
        }
        return -1;
    }

    private static int FindMarker(byte[] jpeg, byte code)
    {
        int at = TryFindMarker(jpeg, code);
        return at >= 0 ? at : throw new InvalidOperationException($"no marker FF{code:X2}");
    }

    [Fact]
    public void ArithmeticCodingIsUnsupported()
    {
        byte[] data;
        if (SharedData.FindOnPath("jpegtran") is not null)
        {
            data = Run("jpegtran", ["-arithmetic"], Baseline());
        }
        else
        {
            data = Baseline();
            data[FindMarker(data, 0xC0) + 1] = 0xC9; // SOF9: extended sequential, arithmetic
        }
        InvalidImageException e = Rejects(data);
        Assert.Contains("unsupported: arithmetic coding", e.Reason);
    }

    [Theory]
    [InlineData(0xC3, "lossless")]
    [InlineData(0xC5, "hierarchical")]
    [InlineData(0xCA, "arithmetic")]
    [InlineData(0xCF, "arithmetic")]
    public void OtherFrameTypesAreUnsupported(byte sof, string what)
    {
        byte[] data = Baseline();
        int at = FindMarker(data, 0xC0);
        data[at + 1] = sof;
        InvalidImageException e = Rejects(data);
        Assert.Contains("unsupported", e.Reason);
        Assert.Contains(what, e.Reason);
        Assert.Equal(at, e.Offset);
    }

    [Fact]
    public void TwelveBitPrecisionIsUnsupported()
    {
        byte[] data = Baseline();
        data[FindMarker(data, 0xC0) + 4] = 12;
        Assert.Contains("unsupported: 12-bit precision", Rejects(data).Reason);
    }

    [Fact]
    public void MaxPixelsIsCheckedFromTheHeaderBeforeAllocating()
    {
        byte[] data = Baseline();
        Assert.Contains("MaxPixels", Rejects(data, new DecoderOptions { MaxPixels = 64 * 48 - 1 }).Reason);
        JpegDecoder.Decode(data, new DecoderOptions { MaxPixels = 64 * 48 }); // exactly at the limit is fine

        // A header claiming 65000x65000 is refused without allocating anything close to its size.
        int sof = FindMarker(data, 0xC0);
        data[sof + 5] = data[sof + 7] = 0xFD;
        data[sof + 6] = data[sof + 8] = 0xE8;
        Rejects(data); // default limit: 100 MP
        long before = GC.GetAllocatedBytesForCurrentThread();
        InvalidImageException e = Rejects(data, new DecoderOptions { MaxPixels = long.MaxValue });
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated before refusing");
        Assert.Contains("truncated", e.Reason); // 2 KB cannot hold 4 gigapixels of blocks
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncationAtAnyOffsetIsTypedOrPartial(bool progressive)
    {
        byte[] data = progressive ? Progressive() : Baseline();
        Image full = JpegDecoder.Decode(data, DecoderOptions.Default);
        int firstScan = FindMarker(data, 0xDA);
        int firstScanData = firstScan + 2 + ((data[firstScan + 2] << 8) | data[firstScan + 3]);
        for (int length = 0; length < data.Length; length += length < 700 ? 1 : 7)
        {
            byte[] cut = data[..length];
            Image? strict = null;
            try
            {
                strict = JpegDecoder.Decode(cut, DecoderOptions.Default);
            }
            catch (InvalidImageException e)
            {
                Assert.Equal(ImageFormat.Jpeg, e.Format);
                Assert.InRange(e.Offset, 0, length);
            }
            // Only the EOI marker (or padding bits before it) may be missing from a file that still decodes.
            if (strict is not null) Assert.Equal(full.Pixels, strict.Pixels);

            if (length < firstScanData) continue; // the first scan has not started: nothing to show
            Image partial = JpegDecoder.Decode(cut, new DecoderOptions { AllowPartial = true });
            Assert.Equal((full.Width, full.Height), (partial.Width, partial.Height));
        }
    }

    [Fact]
    public void PartialDecodeKeepsTheDecodedRowsAndFillsTheRestGrey()
    {
        byte[] data = Baseline("1x1");
        Image full = JpegDecoder.Decode(data, DecoderOptions.Default);
        byte[] cut = data[..(FindMarker(data, 0xDA) + (data.Length - FindMarker(data, 0xDA)) / 2)];
        Assert.Contains("truncated", Rejects(cut).Reason);
        Image partial = JpegDecoder.Decode(cut, new DecoderOptions { AllowPartial = true });
        int stride = full.Width * 3;
        // 4:4:4, no upsampling: the first MCU row is exact, the last row is mid grey.
        Assert.Equal(full.Pixels.AsSpan(0, 8 * stride).ToArray(), partial.Pixels.AsSpan(0, 8 * stride).ToArray());
        Assert.All(partial.Pixels.AsSpan((full.Height - 1) * stride).ToArray(), b => Assert.Equal(128, b));
    }

    [Fact]
    public void MissingHuffmanTablesFallBackToTheStandardOnes()
    {
        // cjpeg without -optimize writes exactly the T.81 K.3 tables; Motion-JPEG frames leave them out.
        byte[] data = Baseline();
        Image expected = JpegDecoder.Decode(data, DecoderOptions.Default);
        byte[] stripped = data;
        for (int at = TryFindMarker(stripped, 0xC4); at >= 0; at = TryFindMarker(stripped, 0xC4))
        {
            int length = (stripped[at + 2] << 8) | stripped[at + 3];
            stripped = [.. stripped.AsSpan(0, at), .. stripped.AsSpan(at + 2 + length)];
        }
        Assert.True(stripped.Length < data.Length);
        Assert.Equal(expected.Pixels, JpegDecoder.Decode(stripped, DecoderOptions.Default).Pixels);
    }

    [Fact]
    public void StrayBytesBetweenSegmentsAreSkipped()
    {
        byte[] data = Baseline();
        Image expected = JpegDecoder.Decode(data, DecoderOptions.Default);
        int dqt = FindMarker(data, 0xDB);
        byte[] noisy = [.. data.AsSpan(0, dqt), 0x12, 0x00, 0xFF, 0x00, 0xFF, 0xFF, .. data.AsSpan(dqt)];
        Assert.Equal(expected.Pixels, JpegDecoder.Decode(noisy, DecoderOptions.Default).Pixels);
    }

    public static TheoryData<string, string> Damage => new()
    {
        { "no SOI", "SOI" },
        { "SOS before SOF", "before the frame header" },
        { "second SOF", "second frame header" },
        { "unknown marker", "unknown marker 0xFF02" },
        { "zero width", "width 0" },
        { "zero height", "DNL" },
        { "two components", "2 color components" },
        { "sampling 0", "sampling factors" },
        { "fractional sampling", "integral fraction" },
        { "DQT table index 5", "DQT defines table 5" },
        { "DHT too many codes", "declares" },
        { "DHT all-ones code", "more codes of length" },
        { "undefined quantization table", "no DQT defined" },
        { "scan names missing component", "does not have" },
        { "bad progression", "progressive scan parameters" },
        { "segment length 1", "bad length" },
        { "segment past the end", "truncated" },
        { "empty after SOI", "truncated" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void StructuralDamageIsReported(string damage, string expected)
    {
        byte[] data = damage == "bad progression" ? Progressive() : Baseline();
        int sof = FindMarker(data, damage == "bad progression" ? (byte)0xC2 : (byte)0xC0);
        int sos = FindMarker(data, 0xDA);
        switch (damage)
        {
            case "no SOI": data[1] = 0xD9; break;
            case "SOS before SOF": data = [.. data.AsSpan(0, 2), .. data.AsSpan(sos)]; break;
            case "second SOF": data = [.. data.AsSpan(0, sos), .. data.AsSpan(sof, 2 + ((data[sof + 2] << 8) | data[sof + 3])), .. data.AsSpan(sos)]; break;
            case "unknown marker": data = [.. data.AsSpan(0, sos), 0xFF, 0x02, .. data.AsSpan(sos)]; break;
            case "zero width": data[sof + 7] = data[sof + 8] = 0; break;
            case "zero height": data[sof + 5] = data[sof + 6] = 0; break;
            case "two components": data[sof + 9] = 2; data[sof + 3] = 8 + 6; break; // the third spec becomes stray bytes
            case "sampling 0": data[sof + 11] = 0x01; break;
            case "fractional sampling": data[sof + 11] = 0x32; data[sof + 14] = 0x21; break;
            case "DQT table index 5": data[FindMarker(data, 0xDB) + 4] = 0x05; break;
            case "DHT too many codes": data[FindMarker(data, 0xC4) + 5] = 0xFF; break;
            case "DHT all-ones code":
            {
                // The first table (DC, counts 0,1,5,...) gets two 1-bit codes and keeps 12 symbols: 0 and 1 use up length 1.
                int dht = FindMarker(data, 0xC4);
                (data[dht + 5], data[dht + 6], data[dht + 7]) = (2, 0, 4);
                break;
            }
            case "undefined quantization table": data[sof + 12] = 3; break;
            case "scan names missing component": data[sos + 5] = 9; break;
            case "bad progression": data[sos + 2 + ((data[sos + 2] << 8) | data[sos + 3]) - 2] = 0x05; break; // Se = 5 with Ss = 0
            case "segment length 1": data[FindMarker(data, 0xDB) + 2] = 0; data[FindMarker(data, 0xDB) + 3] = 1; break;
            case "segment past the end": data = data[..(FindMarker(data, 0xDB) + 20)]; break;
            case "empty after SOI": data = data[..2]; break;
        }
        InvalidImageException e = Rejects(data);
        Assert.Contains(expected, e.Reason);
    }

    [Fact]
    public void CorruptEntropyDataIsReportedOrPartial()
    {
        byte[] data = Baseline();
        int sos = FindMarker(data, 0xDA);
        int scanData = sos + 2 + ((data[sos + 2] << 8) | data[sos + 3]);
        // An EOI in the middle of the scan data: the scan ends early.
        byte[] early = [.. data.AsSpan(0, scanData + 40), 0xFF, 0xD9];
        Assert.Contains("truncated", Rejects(early).Reason);
        Image partial = JpegDecoder.Decode(early, new DecoderOptions { AllowPartial = true });
        Assert.Equal((64, 48), (partial.Width, partial.Height));
    }

    [Fact]
    public void TooManyScansAreRefused()
    {
        // Repeat the first scan (DC first: it decodes the same whatever came before) until there are too many.
        byte[] data = Progressive();
        int first = FindMarker(data, 0xDA);
        int end = first + 2 + ((data[first + 2] << 8) | data[first + 3]);
        while (!(data[end] == 0xFF && data[end + 1] != 0 && data[end + 1] is < 0xD0 or > 0xD7)) end++;
        byte[] scan = data[first..end];
        var file = new List<byte>(data[..end]);
        for (int i = 0; i < JpegConstants.MaxScans; i++) file.AddRange(scan);
        file.AddRange(data[end..]);
        byte[] many = file.ToArray();

        Assert.Contains($"more than {JpegConstants.MaxScans} scans", Rejects(many).Reason);
        Image partial = JpegDecoder.Decode(many, new DecoderOptions { AllowPartial = true });
        Assert.Equal((64, 48), (partial.Width, partial.Height));
    }

    [Fact]
    public void ScanWorkBeyondTheBudgetIsRefused()
    {
        // 2048x2048 gray: 65,536 blocks, which end-of-band runs cover in 14 bytes per scan. The budget is 64 passes
        // plus 2^20 visits = 80 passes here: the DC scan and 79 refinement scans fit, one more does not.
        const int width = 2048, height = 2048;
        byte[] fits = HostileProgressiveJpeg.Build(width, height, withDcScan: true, acScans: 79, refine: true);
        Image image = JpegDecoder.Decode(fits, DecoderOptions.Default);
        Assert.Equal((width, height), (image.Width, image.Height));

        byte[] over = HostileProgressiveJpeg.Build(width, height, withDcScan: true, acScans: 80, refine: true);
        Assert.True(over.Length < 10_000, $"{over.Length} bytes");
        InvalidImageException e = Rejects(over);
        Assert.Contains("scan 81 brings the scans' work to 5308416 block visits, over the budget of 5242880", e.Reason);
        Image partial = JpegDecoder.Decode(over, new DecoderOptions { AllowPartial = true });
        Assert.Equal((width, height), (partial.Width, partial.Height));
    }

    [Fact]
    public void PartialDecodesMayLeaveOnlyABoundedPartGrey()
    {
        var partialOptions = new DecoderOptions { AllowPartial = true };

        // A header claiming 10000x10000 (1,562,500 blocks) followed by one byte of scan data (the builder writes ⌈blocks/8⌉): refused before allocating.
        byte[] header = HostileProgressiveJpeg.Build(10000, 10000, withDcScan: true, acScans: 0, refine: false);
        byte[] empty = header[..(header.Length - 2 - 1_562_500 / 8)];
        long before = GC.GetAllocatedBytesForCurrentThread();
        InvalidImageException e = Rejects(empty, partialOptions);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated before refusing");
        Assert.Contains("even a partial decode may leave at most 16384 blocks beyond what the data holds grey", e.Reason);

        // 2048x2048 has 65,536 blocks: the DC scan's data must hold (65,536 - 16,384) / 8 = 6,144 bytes of them.
        byte[] file = HostileProgressiveJpeg.Build(2048, 2048, withDcScan: true, acScans: 0, refine: false);
        int scanData = file.Length - 2 - 65_536 / 8;
        Image partial = JpegDecoder.Decode(file[..(scanData + 6_144)], partialOptions);
        Assert.Equal((2048, 2048), (partial.Width, partial.Height));
        Assert.Contains("would leave 16392", Rejects(file[..(scanData + 6_143)], partialOptions).Reason);
    }

    [Fact]
    public void TheFacadeNamesTheFile()
    {
        byte[] data = Baseline()[..300];
        string path = Path.Combine(Path.GetTempPath(), $"truncated-{Guid.NewGuid():N}.jpg");
        File.WriteAllBytes(path, data);
        try
        {
            var e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(path));
            Assert.Equal(path, e.File);
            Assert.Equal(ImageFormat.Jpeg, e.Format);
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
