using Pipeline.Imaging;
using Pipeline.Imaging.Processing;

namespace Pipeline.Tests.Imaging.Processing;

/// <summary>EXIF orientations 1–8 against compositions of the three obvious primitives.</summary>
public sealed class OrientationTests
{
    // The primitives, written per pixel: mirror (left-right), flip (top-bottom) and transpose (x <-> y).
    private static Image Mirror(Image i) => Map(i, i.Width, i.Height, (x, y) => (i.Width - 1 - x, y));

    private static Image Flip(Image i) => Map(i, i.Width, i.Height, (x, y) => (x, i.Height - 1 - y));

    private static Image Transpose(Image i) => Map(i, i.Height, i.Width, (x, y) => (y, x));

    private static Image Map(Image source, int w, int h, Func<int, int, (int X, int Y)> from)
    {
        int bpp = source.BytesPerPixel;
        var result = new Image(w, h, source.Format);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                (int sx, int sy) = from(x, y);
                source.Pixels.AsSpan((sy * source.Width + sx) * bpp, bpp).CopyTo(result.Pixels.AsSpan((y * w + x) * bpp));
            }
        }
        return result;
    }

    /// <summary>EXIF's definitions: 6 is a clockwise quarter turn (transpose, then mirror), 8 counter-clockwise (transpose, then flip).</summary>
    private static Image Expected(Image i, int orientation) => orientation switch
    {
        2 => Mirror(i),
        3 => Flip(Mirror(i)),
        4 => Flip(i),
        5 => Transpose(i),
        6 => Mirror(Transpose(i)),
        7 => Flip(Mirror(Transpose(i))),
        8 => Flip(Transpose(i)),
        _ => i,
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void EachOrientationMatchesItsDefinition(int orientation)
    {
        foreach (PixelFormat format in (PixelFormat[])[PixelFormat.Rgb24, PixelFormat.Rgba32])
        {
            foreach ((int w, int h) in (ReadOnlySpan<(int, int)>)[(1, 1), (5, 3), (3, 5), (1, 7), (16, 9)])
            {
                Image image = NaiveReference.RandomImage(w, h, format, w * 10 + h);
                Image expected = Expected(image, orientation), actual = Orientation.Apply(image, orientation);
                bool swaps = orientation >= 5;
                Assert.Equal(swaps ? (h, w) : (w, h), (actual.Width, actual.Height));
                Assert.Equal(expected.Pixels, actual.Pixels);
            }
        }
    }

    [Fact]
    public void RotateClockwiseMovesTheTopLeftPixelToTheTopRight()
    {
        // A 2x1 image [A B] turned clockwise (orientation 6) is 1 wide, 2 high: A on top, B below.
        var image = new Image(2, 1, PixelFormat.Rgb24, [1, 1, 1, 2, 2, 2]);
        Image upright = Orientation.Apply(image, 6);
        Assert.Equal((1, 2), (upright.Width, upright.Height));
        Assert.Equal([1, 1, 1, 2, 2, 2], upright.Pixels);
        // Counter-clockwise (8): B on top.
        Assert.Equal([2, 2, 2, 1, 1, 1], Orientation.Apply(image, 8).Pixels);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(-3)]
    public void OutOfRangeValuesLeaveTheImageAlone(int orientation)
    {
        Image image = NaiveReference.RandomImage(4, 3, PixelFormat.Rgb24, 1);
        Assert.Same(image, Orientation.Apply(image, orientation));
    }
}
