namespace Pipeline.Imaging.Processing;

/// <summary>Pixel-exact geometric helpers: crop, pad and horizontal flip (for test-time augmentation).</summary>
internal static class Geometry
{
    /// <summary>The <paramref name="width"/> × <paramref name="height"/> window whose top-left pixel is (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When the window is empty or leaves the image.</exception>
    public static Image Crop(Image image, int x, int y, int width, int height)
    {
        if (x < 0 || y < 0 || width <= 0 || height <= 0 || x > image.Width - width || y > image.Height - height)
            throw new ArgumentOutOfRangeException(nameof(width), $"Window {width}x{height} at ({x}, {y}) is not inside a {image.Width}x{image.Height} image.");
        int bpp = image.BytesPerPixel;
        var result = new Image(width, height, image.Format);
        for (int row = 0; row < height; row++)
            image.Pixels.AsSpan(((y + row) * image.Width + x) * bpp, width * bpp).CopyTo(result.Row(row));
        return result;
    }

    /// <summary>The image with borders of the given widths in <paramref name="color"/> (alpha 255 for Rgba32).</summary>
    public static Image Pad(Image image, int left, int top, int right, int bottom, RgbColor color)
    {
        if (left < 0 || top < 0 || right < 0 || bottom < 0) throw new ArgumentOutOfRangeException(nameof(left), "Borders cannot be negative.");
        int bpp = image.BytesPerPixel;
        var result = new Image(checked(image.Width + left + right), checked(image.Height + top + bottom), image.Format);
        ReadOnlySpan<byte> pixel = [color.R, color.G, color.B, 255];
        Span<byte> all = result.Pixels;
        for (int i = 0; i < all.Length; i += bpp) pixel[..bpp].CopyTo(all[i..]);
        for (int row = 0; row < image.Height; row++)
            image.Row(row).CopyTo(result.Row(top + row)[(left * bpp)..]);
        return result;
    }

    /// <summary>The mirror image (left and right swapped).</summary>
    public static Image FlipHorizontal(Image image)
    {
        var result = new Image(image.Width, image.Height, image.Format, (byte[])image.Pixels.Clone());
        FlipHorizontalInPlace(result.Pixels, image.Width, image.Height, image.BytesPerPixel);
        return result;
    }

    /// <summary>Mirrors a tightly packed <paramref name="width"/> × <paramref name="height"/> image in place.</summary>
    public static void FlipHorizontalInPlace(Span<byte> pixels, int width, int height, int bytesPerPixel)
    {
        int stride = width * bytesPerPixel;
        Span<byte> swap = stackalloc byte[4];
        for (int y = 0; y < height; y++)
        {
            Span<byte> row = pixels.Slice(y * stride, stride);
            for (int l = 0, r = width - 1; l < r; l++, r--)
            {
                Span<byte> a = row.Slice(l * bytesPerPixel, bytesPerPixel), b = row.Slice(r * bytesPerPixel, bytesPerPixel);
                a.CopyTo(swap);
                b.CopyTo(a);
                swap[..bytesPerPixel].CopyTo(b);
            }
        }
    }
}
