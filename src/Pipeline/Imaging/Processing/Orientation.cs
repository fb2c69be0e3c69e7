namespace Pipeline.Imaging.Processing;

/// <summary>EXIF orientation (tag 0x0112): how to turn the stored pixels so the image shows upright.</summary>
internal static class Orientation
{
    /// <summary>
    /// Returns the upright image for EXIF <paramref name="orientation"/> 1–8 (1 and out-of-range values return
    /// <paramref name="image"/> itself): 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise,
    /// 7 transverse, 8 rotate 90 counter-clockwise. 5–8 swap width and height.
    /// </summary>
    public static Image Apply(Image image, int orientation)
    {
        if (orientation is < 2 or > 8) return image;
        int w = image.Width, h = image.Height, bpp = image.BytesPerPixel;
        bool swaps = orientation >= 5;
        int ow = swaps ? h : w, oh = swaps ? w : h;
        var result = new Image(ow, oh, image.Format);
        // The stored pixel that lands at upright (x, y) is (sx, sy) = (x0 + x·xx + y·xy, y0 + x·yx + y·yy).
        (int x0, int y0, int xx, int xy, int yx, int yy) = orientation switch
        {
            2 => (w - 1, 0, -1, 0, 0, 1),
            3 => (w - 1, h - 1, -1, 0, 0, -1),
            4 => (0, h - 1, 1, 0, 0, -1),
            5 => (0, 0, 0, 1, 1, 0),
            6 => (0, h - 1, 0, 1, -1, 0),
            7 => (w - 1, h - 1, 0, -1, -1, 0),
            _ => (w - 1, 0, 0, -1, 1, 0),
        };
        // Walk the source with constant byte steps: one per upright column, one per upright row.
        int stepX = (yx * w + xx) * bpp, stepY = (yy * w + xy) * bpp;
        ReadOnlySpan<byte> src = image.Pixels;
        Span<byte> dst = result.Pixels;
        int rowStart = (y0 * w + x0) * bpp, d = 0;
        for (int y = 0; y < oh; y++, rowStart += stepY)
        {
            int s = rowStart;
            if (bpp == 3)
            {
                for (int x = 0; x < ow; x++, s += stepX, d += 3)
                {
                    dst[d] = src[s];
                    dst[d + 1] = src[s + 1];
                    dst[d + 2] = src[s + 2];
                }
            }
            else
            {
                for (int x = 0; x < ow; x++, s += stepX, d += 4) src.Slice(s, 4).CopyTo(dst.Slice(d, 4));
            }
        }
        return result;
    }
}
