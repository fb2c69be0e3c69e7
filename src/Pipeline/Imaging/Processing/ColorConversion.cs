namespace Pipeline.Imaging.Processing;

/// <summary>Per-pixel color operations: BT.601 grayscale and compositing alpha over a background.</summary>
internal static class ColorConversion
{
    /// <summary>
    /// The image in grayscale, as Rgb24 with three equal channels: ITU-R BT.601 luma
    /// <c>(19595·R + 38470·G + 7471·B + 32768) >> 16</c> (0.299, 0.587, 0.114 in 16-bit fixed point, rounded half up),
    /// the same integers libjpeg's RGB→gray and PIL's <c>convert("L")</c> use. An Rgba32 image is composited over
    /// <paramref name="background"/> first.
    /// </summary>
    public static Image ToGrayscale(Image image, RgbColor background)
    {
        Image rgb = image.Format == PixelFormat.Rgba32 ? CompositeOver(image, background) : image;
        var result = new Image(rgb.Width, rgb.Height, PixelFormat.Rgb24, (byte[])rgb.Pixels.Clone());
        GrayscaleInPlace(result.Pixels);
        return result;
    }

    /// <summary>Replaces every Rgb24 pixel of <paramref name="rgb"/> by its BT.601 luma, in all three channels.</summary>
    public static void GrayscaleInPlace(Span<byte> rgb)
    {
        for (int i = 0; i + 2 < rgb.Length; i += 3)
        {
            byte y = PixelExtractor.Luma(rgb[i], rgb[i + 1], rgb[i + 2]);
            rgb[i] = y;
            rgb[i + 1] = y;
            rgb[i + 2] = y;
        }
    }

    /// <summary>
    /// An Rgba32 image composited over an opaque <paramref name="background"/>, as Rgb24 (an Rgb24 image is returned as is).
    /// Straight alpha: <c>out = round((c·a + bg·(255 − a)) / 255)</c>, computed exactly in integers.
    /// </summary>
    public static Image CompositeOver(Image image, RgbColor background)
    {
        if (image.Format == PixelFormat.Rgb24) return image;
        var result = new Image(image.Width, image.Height, PixelFormat.Rgb24);
        CompositeOver(image.Pixels, background, result.Pixels);
        return result;
    }

    /// <summary>Composites Rgba32 <paramref name="rgba"/> over <paramref name="background"/> into Rgb24 <paramref name="rgb"/>.</summary>
    public static void CompositeOver(ReadOnlySpan<byte> rgba, RgbColor background, Span<byte> rgb)
    {
        if (rgba.Length % 4 != 0 || rgb.Length != rgba.Length / 4 * 3) throw new ArgumentException("Expected Rgba32 pixels in and as many Rgb24 pixels out.");
        int br = background.R, bg = background.G, bb = background.B;
        for (int s = 0, d = 0; s < rgba.Length; s += 4, d += 3)
        {
            int a = rgba[s + 3], ia = 255 - a;
            // x / 255 for x in [0, 65025] never lands on a half, so (x + 127) / 255 is the exact rounding.
            rgb[d] = (byte)((rgba[s] * a + br * ia + 127) / 255);
            rgb[d + 1] = (byte)((rgba[s + 1] * a + bg * ia + 127) / 255);
            rgb[d + 2] = (byte)((rgba[s + 2] * a + bb * ia + 127) / 255);
        }
    }
}
