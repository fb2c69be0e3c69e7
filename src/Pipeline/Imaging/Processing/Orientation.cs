namespace Pipeline.Imaging.Processing;

/// <summary>EXIF orientation (tag 0x0112): how to turn the stored pixels so the image shows upright.</summary>
internal static class Orientation
{
    /// <summary>
    /// Returns the upright image for EXIF <paramref name="orientation"/> 1–8 (1 and out-of-range values return
    /// <paramref name="image"/> itself): 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise,
    /// 7 transverse, 8 rotate 90 counter-clockwise.
    /// </summary>
    public static Image Apply(Image image, int orientation)
    {
        if (orientation is < 2 or > 8) return image;
        int w = image.Width, h = image.Height, bpp = image.BytesPerPixel;
        bool swaps = orientation >= 5;
        int ow = swaps ? h : w, oh = swaps ? w : h;
        var result = new Image(ow, oh, image.Format);
        byte[] src = image.Pixels, dst = result.Pixels;
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                // (sx, sy): the stored pixel that lands at (x, y) of the upright image.
                (int sx, int sy) = orientation switch
                {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x),
                };
                src.AsSpan((sy * w + sx) * bpp, bpp).CopyTo(dst.AsSpan((y * ow + x) * bpp, bpp));
            }
        }
        return result;
    }
}
