using Pipeline.Imaging;
using Pipeline.Imaging.Webp;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>
/// Prefix code groups cannot buy memory out of proportion to the image: a 1024×1024 file whose 256×256 entropy image
/// names 65,536 groups, each used by one 4×4 block, decodes (or is refused) within 64 MiB of allocation, whether its
/// codes have one symbol (zero bits a pixel; they share one table a symbol) or two (their tables exceed the budget an
/// image of that size has, and the file is refused). Groups the entropy image never uses cost neither. Simple codes,
/// now built without their code lengths, keep their meaning (symbols past the alphabet, a symbol sent twice).
/// <para>
/// The allocation is counted on this thread; a table the shared array pool already held would not count, so the
/// decoder takes no large table from the pool.
/// </para>
/// </summary>
public sealed class Vp8LPrefixCodeMemoryTests
{
    private const long Bound = 64L << 20; // for a 1-megapixel image: 4 MiB of pixels, 4 MiB of ARGB, the rest tables

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void EveryBlockWithItsOwnGroupStaysWithinABoundForTheImage(int symbolsPerCode)
    {
        byte[] file = WebpFiles.ManyPrefixCodeGroups(1024, 1024, metaBits: 2, groupCount: 256 * 256, everyBlockItsOwnGroup: true, symbolsPerCode);
        long allocated = AllocatedWhileDecoding(file, expectPixels: true);
        Assert.True(allocated < Bound, $"decoding allocated {allocated >> 20} MiB; an image of 1024x1024 may cost {Bound >> 20} MiB");
    }

    [Fact]
    public void TwoSymbolCodesPastTheBudgetAreRefused()
    {
        // The prefix codes of the file above, alone: 65,536 groups of five two-symbol codes, 256 entries each.
        var writer = new WebpFiles.BitWriter();
        for (int i = 0; i < 65_536 * Vp8LPrefixCodes.CodesPerGroup; i++)
        {
            writer.Write(0b0_0_1_1, 4); // simple, two symbols, the first in one bit: 0
            writer.Write(1, 8);         // the second: 1
        }
        byte[] stream = writer.ToArray();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var refused = Assert.Throws<InvalidImageException>(() =>
        {
            var reader = new Vp8LBitReader(stream, 0, stream.Length);
            using var codes = Vp8LPrefixCodes.Read(ref reader, 65_536, default, 65_536, 0, 1024, 1024);
        });
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("more than an image of 1024x1024 can use", refused.Message, StringComparison.Ordinal);
        Assert.True(allocated < Bound, $"refusing allocated {allocated >> 20} MiB");

        // The first 4,096 groups (5 Mi entries) are too many for 1024x1024 too, but fit 2048x2048 (16 Mi entries may be
        // used); without a size there is no budget.
        Assert.Throws<InvalidImageException>(() =>
        {
            var reader = new Vp8LBitReader(stream, 0, stream.Length);
            using var codes = Vp8LPrefixCodes.Read(ref reader, 4096, default, 4096, 0, 1024, 1024);
        });
        foreach ((int width, int height) in new[] { (2048, 2048), (0, 0) })
        {
            var reader = new Vp8LBitReader(stream, 0, stream.Length);
            using var codes = Vp8LPrefixCodes.Read(ref reader, 4096, default, 4096, 0, width, height);
            Assert.False(reader.IsPastEnd);
        }
    }

    [Fact]
    public void OneSymbolCodesShareATablePerSymbol()
    {
        // Two groups whose ten codes are all the one symbol 7: one table, read with zero bits.
        var writer = new WebpFiles.BitWriter();
        for (int i = 0; i < 10; i++)
        {
            writer.Write(0b1_0_1, 3); // simple, one symbol, in eight bits
            writer.Write(7, 8);
        }
        byte[] stream = writer.ToArray();
        var reader = new Vp8LBitReader(stream, 0, stream.Length);
        using var codes = Vp8LPrefixCodes.Read(ref reader, 2, default, 2, 0);
        Vp8LPrefixCodes.Group first = codes.GroupAt(null, 0, 0, 0, 0);
        Assert.Equal([first.Green, first.Green, first.Green, first.Green], new[] { first.Red, first.Blue, first.Alpha, first.Distance });
        var bits = new Vp8LBitReader([0xFF], 0, 1);
        Assert.Equal(7, Vp8LHuffman.ReadSymbol(codes.Tables, first.Distance, ref bits));
        Assert.Equal(0xFFu, bits.ReadBits(8)); // zero bits consumed
    }

    [Theory]
    [InlineData(5, 200, 5, -1)]  // the second symbol is past the 40-symbol distance alphabet: a one-symbol code
    [InlineData(200, 5, 5, -1)]  // the first
    [InlineData(9, 9, 9, -1)]    // the same symbol twice: one symbol
    [InlineData(30, 2, 2, 30)]   // two symbols: the smaller is bit 0
    public void SimpleDistanceCodesKeepTheirMeaning(int first, int second, int zero, int one)
    {
        var writer = new WebpFiles.BitWriter();
        for (int c = 0; c < 4; c++) writer.Write(0b0_0_1, 4); // simple, one symbol, one bit: 0
        writer.Write(0b1_1_1, 3); // simple, two symbols, the first in eight bits
        writer.Write((uint)first, 8);
        writer.Write((uint)second, 8);
        byte[] stream = writer.ToArray();
        var reader = new Vp8LBitReader(stream, 0, stream.Length);
        using var codes = Vp8LPrefixCodes.Read(ref reader, 1, default, 1, 0);
        Vp8LPrefixCodes.Group group = codes.GroupAt(null, 0, 0, 0, 0);
        var bits = new Vp8LBitReader([0b10], 0, 1);
        Assert.Equal(zero, Vp8LHuffman.ReadSymbol(codes.Tables, group.Distance, ref bits));
        if (one >= 0) Assert.Equal(one, Vp8LHuffman.ReadSymbol(codes.Tables, group.Distance, ref bits));
        else Assert.Equal(0u, bits.ReadBits(1)); // no bit was read
    }

    [Fact]
    public void UnusedGroupsCostNoTables()
    {
        byte[] file = WebpFiles.ManyPrefixCodeGroups(16, 16, metaBits: 2, groupCount: 1 << 16, everyBlockItsOwnGroup: false, cacheBits: 11);
        long allocated = AllocatedWhileDecoding(file, expectPixels: true);
        Assert.True(allocated < 1L << 20, $"decoding a 16x16 image with 65,536 unused groups allocated {allocated} bytes");
    }

    // Decodes the file (or has it refused as invalid) and returns the bytes this thread allocated meanwhile.
    private static long AllocatedWhileDecoding(byte[] file, bool expectPixels)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Image? image = null;
        try
        {
            image = ImageDecoder.Decode(file);
        }
        catch (InvalidImageException)
        {
            // Refusing the file is as good as decoding it, as long as it is cheap.
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (image is not null && expectPixels) Assert.True(image.Pixels.AsSpan().IndexOfAnyExcept((byte)0) < 0, "every pixel is transparent black");
        return allocated;
    }
}
