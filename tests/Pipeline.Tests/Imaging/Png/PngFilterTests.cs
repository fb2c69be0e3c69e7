using System.Runtime.Intrinsics;
using Pipeline.Imaging.Png;

namespace Pipeline.Tests.Imaging.Png;

/// <summary>
/// The vector unfilters against the scalar specification, for every filter, every pixel size 1–8 and every row
/// length up to a few vector widths, calling each vector width directly so all run on this machine.
/// </summary>
public sealed class PngFilterTests
{
    private const int Pad = PngConstants.RowPadding;

    public static TheoryData<int, int> FilterAndPixelSize()
    {
        var data = new TheoryData<int, int>();
        for (int filter = 0; filter <= 4; filter++)
            for (int bpp = 1; bpp <= 8; bpp++) data.Add(filter, bpp);
        return data;
    }

    [Theory]
    [MemberData(nameof(FilterAndPixelSize))]
    public void DispatchedUnfilterMatchesTheSpecification(int filter, int bpp)
    {
        var random = new Random(filter * 31 + bpp);
        for (int pixels = 0; pixels <= 70; pixels++)
        {
            int length = pixels * bpp;
            (byte[] row, byte[] prior) = RandomRows(random, length);
            byte[] expected = row.ToArray();
            PngFilters.UnfilterScalar((byte)filter, expected, prior, length, bpp);
            PngFilters.Unfilter((byte)filter, row, prior, length, bpp);
            Assert.True(expected.AsSpan(0, length).SequenceEqual(row.AsSpan(0, length)), $"filter {filter}, bpp {bpp}, {pixels} pixels");
        }
    }

    [Fact]
    public void UpAtEachVectorWidthMatchesTheSpecification()
    {
        var random = new Random(7);
        for (int length = 0; length <= 200; length++)
        {
            (byte[] row, byte[] prior) = RandomRows(random, length);
            byte[] expected = row.ToArray();
            PngFilters.UpScalar(expected, prior, 0, length);
            if (Vector128.IsHardwareAccelerated) Check((r, p, n) => PngFilters.UpVector128(r, p, n), "128");
            if (Vector256.IsHardwareAccelerated) Check((r, p, n) => PngFilters.UpVector256(r, p, n), "256");
            if (Vector512.IsHardwareAccelerated) Check((r, p, n) => PngFilters.UpVector512(r, p, n), "512");

            void Check(Action<byte[], byte[], int> up, string width)
            {
                byte[] actual = row.ToArray();
                up(actual, prior, length);
                Assert.True(expected.AsSpan(0, length).SequenceEqual(actual.AsSpan(0, length)), $"Up {width}, length {length}");
            }
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void PerPixelVectorUnfiltersMatchTheSpecification(int bpp)
    {
        Assert.SkipUnless(Vector128.IsHardwareAccelerated, "Vector128 is not accelerated on this machine");
        var random = new Random(bpp);
        for (int pixels = 0; pixels <= 40; pixels++)
        {
            int length = pixels * bpp;
            (byte[] row, byte[] prior) = RandomRows(random, length);
            byte[] padding = row.AsSpan(length).ToArray();
            Check(PngConstants.FilterSub, r => PngFilters.SubVector128(r, length, bpp));
            Check(PngConstants.FilterAverage, r => PngFilters.AverageVector128(r, prior, length, bpp));
            Check(PngConstants.FilterPaeth, r => PngFilters.PaethVector128(r, prior, length, bpp));

            void Check(byte filter, Action<byte[]> vector)
            {
                byte[] expected = row.ToArray(), actual = row.ToArray();
                PngFilters.UnfilterScalar(filter, expected, prior, length, bpp);
                vector(actual);
                Assert.True(expected.AsSpan(0, length).SequenceEqual(actual.AsSpan(0, length)), $"filter {filter}, bpp {bpp}, {pixels} pixels");
                Assert.True(padding.AsSpan().SequenceEqual(actual.AsSpan(length)), $"filter {filter}, bpp {bpp}: the padding changed");
            }
        }
    }

    [Theory]
    [MemberData(nameof(FilterAndPixelSize))]
    public void EncoderFilterIsUndoneByTheDecoder(int filter, int bpp)
    {
        var random = new Random(100 + filter * 8 + bpp);
        for (int pixels = 0; pixels <= 33; pixels++)
        {
            int length = pixels * bpp;
            (byte[] original, byte[] prior) = RandomRows(random, length);
            byte[] filtered = new byte[length + Pad];
            PngEncoderCore.Filter((byte)filter, original.AsSpan(0, length), prior, filtered, bpp);
            PngFilters.Unfilter((byte)filter, filtered, prior, length, bpp);
            Assert.True(original.AsSpan(0, length).SequenceEqual(filtered.AsSpan(0, length)), $"filter {filter}, bpp {bpp}, {pixels} pixels");
        }
    }

    [Fact]
    public void PaethPredictorFollowsTheSpecificationsTieBreaks()
    {
        // Spec §9.4: p = a + b − c; nearest of a, b, c to p, ties in the order a, b, c.
        for (int a = 0; a < 256; a += 5)
            for (int b = 0; b < 256; b += 7)
                for (int c = 0; c < 256; c += 3)
                {
                    int p = a + b - c;
                    int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    int expected = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
                    Assert.Equal(expected, PngFilters.PaethPredictor(a, b, c));
                }
    }

    private static (byte[] Row, byte[] Prior) RandomRows(Random random, int length)
    {
        var row = new byte[length + Pad];
        var prior = new byte[length + Pad];
        random.NextBytes(row);
        random.NextBytes(prior);
        return (row, prior);
    }
}
