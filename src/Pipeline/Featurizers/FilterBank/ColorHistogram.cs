namespace Pipeline.Featurizers.FilterBank;

/// <summary>
/// A joint hue × saturation × value histogram of a render, normalized to sum 1: a cheap global colour descriptor that
/// the learned filters (which see contrast-normalized patches) mostly lack. Hue is binned on the colour circle;
/// the bins come from 8-bit RGB by integer arithmetic only, so they are the same on every machine.
/// </summary>
internal static class ColorHistogram
{
    /// <summary>Writes the <c>hueBins × saturationBins × valueBins</c> histogram of the Rgb24 <paramref name="pixels"/> into <paramref name="output"/>.</summary>
    public static void Compute(ReadOnlySpan<byte> pixels, int hueBins, int saturationBins, int valueBins, Span<float> output)
    {
        int count = pixels.Length / 3;
        Span<int> counts = output.Length <= 4096 ? stackalloc int[output.Length] : new int[output.Length];
        counts.Clear();
        for (int i = 0; i < count; i++)
        {
            int r = pixels[3 * i], g = pixels[3 * i + 1], b = pixels[3 * i + 2];
            int max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), chroma = max - min;
            int hue = 0;
            if (chroma > 0)
            {
                // Hue in sixths of the circle, times chroma: integer arithmetic, then one division per pixel.
                int sixth = max == r ? (g - b + 6 * chroma) % (6 * chroma) : max == g ? b - r + 2 * chroma : r - g + 4 * chroma;
                hue = sixth * hueBins / (6 * chroma);
                if (hue >= hueBins) hue = hueBins - 1;
            }
            int saturation = max == 0 ? 0 : Math.Min(chroma * saturationBins / max, saturationBins - 1);
            int value = max * valueBins / 256;
            counts[(hue * saturationBins + saturation) * valueBins + value]++;
        }
        float inverse = 1f / count;
        for (int i = 0; i < output.Length; i++) output[i] = counts[i] * inverse;
    }
}
