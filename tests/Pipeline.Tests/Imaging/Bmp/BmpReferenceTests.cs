using System.Buffers.Binary;
using Pipeline.Imaging;
using Pipeline.Tests.Imaging.CodecTools;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Imaging.Bmp;

/// <summary>
/// Bitmaps written by ImageMagick in every layout it has (core, info and V5 headers; 1/4/8-bit palettes, RLE8; 16-bit
/// 565/555/4444/1555 and 32-bit bit fields; 24-bit; 32-bit with alpha), plus layouts made here from them (top-down,
/// masks after a 40-byte header, RLE4), decode exactly as <c>convert x.bmp -depth 8 rgba:-</c> does.
/// </summary>
public sealed class BmpReferenceTests
{
    private static readonly string[] ImageMagickVariants =
    [
        "bmp3-24", "v5-24", "core-24", "core-8", "bmp3-8", "bmp3-rle8", "bmp3-4", "bmp3-1",
        "v5-565", "v5-555", "v5-4444", "v5-1555", "v5-32a", "bmp3-32a",
    ];

    private static readonly string[] Derived =
    [
        "bmp3-24-topdown", "v5-24-topdown", "bmp3-8-topdown", "bmp3-4-topdown", "bmp3-1-topdown", "v5-565-topdown", "v5-32a-topdown",
        "v5-565-infomasks", "v5-32a-infomasks", "rle4", "rle8-delta",
    ];

    // Every variant of the synthetic picture; the tool-written ones of the photo; the sub-byte and odd layouts of a 7×5
    // picture (rows shorter than their padding).
    private static readonly string[] TinyVariants =
        ["bmp3-1", "bmp3-4", "core-24", "v5-565", "v5-32a", "rle4", "rle8-delta", "bmp3-1-topdown", "bmp3-4-topdown"];

    public static TheoryData<string, string> Variants()
    {
        var data = new TheoryData<string, string>();
        foreach (string variant in ImageMagickVariants.Concat(Derived)) data.Add("noise", variant);
        foreach (string variant in ImageMagickVariants) data.Add("flower", variant);
        foreach (string variant in TinyVariants) data.Add("tiny", variant);
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void DecodesLikeImageMagick(string picture, string variant)
    {
        string dir = TestPictures.Scratch("bmp-" + picture);
        PnmImage source = TestPictures.Get(picture);
        (byte[] file, int header, int bpp, uint compression) = Write(source, variant, dir);
        Assert.True((header, bpp, compression) == Fields(file), $"{variant}: the file has header/bpp/compression {Fields(file)}, expected {(header, bpp, compression)}");
        string path = Path.Combine(dir, variant + ".bmp");
        File.WriteAllBytes(path, file);

        Image ours = ImageDecoder.Decode(file);
        // ImageMagick reports an end-of-bitmap before the last row as "unexpected end-of-file", yet writes the image.
        // It cannot read BI_ALPHABITFIELDS, so masks moved after a 40-byte header are checked against the V5 original.
        string referencePath = variant.EndsWith("-infomasks", StringComparison.Ordinal)
            ? Path.Combine(dir, variant[..^"-infomasks".Length] + "-im.bmp")
            : path;
        byte[] reference = ExternalTool.ImageMagickRgba8(referencePath, tolerateWarnings: variant == "rle8-delta");
        Assert.Equal((source.Width, source.Height), (ours.Width, ours.Height));
        // ImageMagick shifts 4- and 1-bit mask channels without replicating their bits: compare the stored bits only.
        int[] significant = variant.StartsWith("v5-4444", StringComparison.Ordinal) ? [4, 4, 4, 4]
            : variant.StartsWith("v5-1555", StringComparison.Ordinal) ? [5, 5, 5, 1] : [8, 8, 8, 8];
        AssertSameRgba(reference, ours, significant, variant);
    }

    [Theory]
    [InlineData("models/images/cat.bmp")]
    [InlineData("models/images/grace_hopper.bmp")]
    public void SharedBitmapsDecodeLikeImageMagick(string relative)
    {
        string path = SharedData.Require(relative);
        Image ours = ImageDecoder.Decode(path);
        Assert.Equal(PixelFormat.Rgb24, ours.Format);
        AssertSameRgba(ExternalTool.ImageMagickRgba8(path), ours, [8, 8, 8, 8], relative);
    }

    internal static void AssertSameRgba(byte[] reference, Image ours, int[] significantBits, string name)
    {
        int n = ours.Width * ours.Height, bpp = ours.BytesPerPixel;
        Assert.Equal(4 * n, reference.Length);
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 4; c++)
            {
                int mine = c < bpp ? ours.Pixels[i * bpp + c] : 255;
                int shift = 8 - significantBits[c];
                if (mine >> shift != reference[4 * i + c] >> shift)
                    Assert.Fail($"{name}: pixel ({i % ours.Width}, {i / ours.Width}) channel {c}: ours {mine}, ImageMagick {reference[4 * i + c]}");
            }
        }
    }

    private static (int Header, int Bpp, uint Compression) Fields(byte[] bmp)
    {
        int header = BinaryPrimitives.ReadInt32LittleEndian(bmp.AsSpan(14));
        return header == 12
            ? (12, BinaryPrimitives.ReadUInt16LittleEndian(bmp.AsSpan(24)), 0u)
            : (header, BinaryPrimitives.ReadUInt16LittleEndian(bmp.AsSpan(28)), BinaryPrimitives.ReadUInt32LittleEndian(bmp.AsSpan(30)));
    }

    // The file for a variant, and the header size, bits per pixel and compression it must have.
    private static (byte[] File, int Header, int Bpp, uint Compression) Write(PnmImage source, string variant, string dir)
    {
        if (variant.EndsWith("-topdown", StringComparison.Ordinal))
        {
            var (file, header, bpp, compression) = Write(source, variant[..^"-topdown".Length], dir);
            return (BmpFiles.TopDown(file), header, bpp, compression);
        }
        if (variant.EndsWith("-infomasks", StringComparison.Ordinal))
        {
            var (file, _, bpp, _) = Write(source, variant[..^"-infomasks".Length], dir);
            bool alpha = variant.Contains("32a", StringComparison.Ordinal);
            return (BmpFiles.InfoHeaderWithSeparateMasks(file, alpha), 40, bpp, alpha ? 6u : 3u);
        }
        if (variant is "rle4" or "rle8-delta") return Crafted(source, variant);

        string rgb = Path.Combine(dir, "source.ppm");
        string rgba = Path.Combine(dir, "source-alpha.pam");
        source.WritePnm(rgb);
        WithAlpha(source).WritePam(rgba, "RGB_ALPHA");
        string output = Path.Combine(dir, variant + "-im.bmp");
        (string[] args, int expectHeader, int expectBpp, uint expectCompression) = variant switch
        {
            "bmp3-24" => (new[] { rgb, "BMP3:" + output }, 40, 24, 0u),
            "v5-24" => ([rgb, "BMP:" + output], 124, 24, 0u),
            "core-24" => ([rgb, "BMP2:" + output], 12, 24, 0u),
            "core-8" => ([rgb, "-colors", "200", "BMP2:" + output], 12, 8, 0u),
            "bmp3-8" => ([rgb, "-colors", "200", "-compress", "None", "BMP3:" + output], 40, 8, 0u),
            "bmp3-rle8" => ([rgb, "-colors", "200", "BMP3:" + output], 40, 8, 1u),
            "bmp3-4" => ([rgb, "-colors", "16", "-compress", "None", "BMP3:" + output], 40, 4, 0u),
            "bmp3-1" => ([rgb, "-colors", "2", "-compress", "None", "BMP3:" + output], 40, 1, 0u),
            "v5-565" => ([rgb, "-define", "bmp:subtype=RGB565", "BMP:" + output], 124, 16, 3u),
            "v5-555" => ([rgb, "-define", "bmp:subtype=RGB555", "BMP:" + output], 124, 16, 3u),
            "v5-4444" => ([rgba, "-define", "bmp:subtype=ARGB4444", "BMP:" + output], 124, 16, 3u),
            "v5-1555" => ([rgba, "-define", "bmp:subtype=ARGB1555", "BMP:" + output], 124, 16, 3u),
            "v5-32a" => ([rgba, "BMP:" + output], 124, 32, 3u),
            "bmp3-32a" => ([rgba, "-define", "bmp3:alpha=true", "BMP3:" + output], 40, 32, 0u),
            _ => throw new ArgumentException(variant),
        };
        ExternalTool.ImageMagick(args);
        return (File.ReadAllBytes(output), expectHeader, expectBpp, expectCompression);
    }

    // Layouts ImageMagick does not write: RLE4 (from a 16-colour quantisation) and RLE8 with delta and end-of-line skips.
    private static (byte[], int, int, uint) Crafted(PnmImage source, string variant)
    {
        int w = source.Width, h = source.Height;
        bool four = variant == "rle4";
        int colours = four ? 16 : 40;
        var palette = new (byte, byte, byte)[colours];
        var random = new Random(colours);
        for (int i = 0; i < colours; i++) palette[i] = ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        var rows = new byte[h][];
        for (int row = 0; row < h; row++)
        {
            int y = h - 1 - row; // bottom row first
            rows[row] = new byte[w];
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 3;
                rows[row][x] = (byte)((source.Samples[i] / 4096 + (x / 5)) % colours);
            }
        }
        byte[] rle = BmpFiles.EncodeRle(rows, four);
        if (!four)
        {
            // Skip ahead: a delta from the start of row 1 two pixels right and one row up, then end-of-line codes.
            var skipping = new List<byte>();
            byte[] firstRow = BmpFiles.EncodeRle([rows[0]], four: false);
            skipping.AddRange(firstRow[..^2]); // row 0 without end-of-bitmap
            skipping.AddRange(new byte[] { 0, 2, (byte)Math.Min(2, w - 1), 1 }); // delta
            skipping.AddRange(new byte[] { 3, 7 });                              // three pixels of index 7
            skipping.AddRange(new byte[] { 0, 0 });                              // end of line
            skipping.AddRange(new byte[] { 0, 1 });                              // end of bitmap: the rest stays index 0
            rle = skipping.ToArray();
        }
        return (BmpFiles.Build(w, h, four ? 4 : 8, four ? 2u : 1u, rle, palette, colorsUsed: (uint)colours), 40, four ? 4 : 8, four ? 2u : 1u);
    }

    private static PnmImage WithAlpha(PnmImage source)
    {
        int n = source.Width * source.Height;
        var samples = new ushort[4 * n];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 3; c++) samples[4 * i + c] = source.Samples[3 * i + c];
            samples[4 * i + 3] = (ushort)(i % source.Width * 65535 / Math.Max(1, source.Width - 1));
        }
        return new PnmImage(source.Width, source.Height, 4, 65535, samples);
    }
}
