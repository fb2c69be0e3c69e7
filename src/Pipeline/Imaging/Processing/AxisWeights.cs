namespace Pipeline.Imaging.Processing;

/// <summary>
/// The precomputed, normalized weights of one resampling pass: for each content pixel of an <see cref="AxisMapping"/>,
/// the first source pixel it reads and one weight per tap. Built once per resize, read once per output row.
/// </summary>
internal sealed class AxisWeights
{
    private AxisWeights(int count, int stride, bool expanded)
    {
        Count = count;
        Stride = stride;
        Expanded = expanded;
        Start = new int[count];
        Taps = new int[count];
        Weights = new float[checked(count * stride)];
    }

    /// <summary>The number of content pixels.</summary>
    public int Count { get; }

    /// <summary>The first source pixel each content pixel reads.</summary>
    public int[] Start { get; }

    /// <summary>How many source pixels each content pixel reads (its weights beyond that are zero).</summary>
    public int[] Taps { get; }

    /// <summary>The weights, <see cref="Stride"/> floats per content pixel; they sum to 1 (up to float rounding).</summary>
    public float[] Weights { get; }

    /// <summary>Floats per content pixel in <see cref="Weights"/>.</summary>
    public int Stride { get; }

    /// <summary>
    /// When true, each weight is stored four times in a row and the taps are padded with zero weights to a multiple of
    /// four: the horizontal pass multiplies a whole 4-float pixel by one 4-float weight group, and a 512-bit vector holds
    /// four taps.
    /// </summary>
    public bool Expanded { get; }

    /// <summary>The lowest source pixel any content pixel reads.</summary>
    public int SourceLow { get; private set; }

    /// <summary>One past the highest source pixel any content pixel reads.</summary>
    public int SourceHigh { get; private set; }

    /// <summary>How many floats <see cref="Create"/> would allocate for <paramref name="mapping"/>: the table's size grows with the downscale factor.</summary>
    public static long TableFloats(in AxisMapping mapping, ResamplingFilter filter, bool expanded)
    {
        (_, int stride) = Sizes(mapping.Scale, filter, expanded);
        return (long)mapping.ContentCount * stride;
    }

    private static (int MaxTaps, int Stride) Sizes(double scale, ResamplingFilter filter, bool expanded)
    {
        double support = ResamplingKernel.Support(filter) * Math.Max(scale, 1.0);
        // The widest window: floor(c + s + 0.5) - floor(c - s + 0.5) <= 2s + 1, rounded up.
        int maxTaps = filter == ResamplingFilter.Nearest ? 1 : (int)Math.Ceiling(2 * support) + 1;
        return (maxTaps, expanded ? (maxTaps + 3) / 4 * 16 : maxTaps);
    }

    /// <summary>
    /// Computes the weights of <paramref name="mapping"/>'s content pixels over a source axis of
    /// <paramref name="sourceSize"/> pixels. When downscaling by f the kernel is stretched by f (antialiasing). Taps that
    /// fall outside the source are dropped and the rest renormalized, as PIL does; zero-weight taps at either end are trimmed.
    /// </summary>
    public static AxisWeights Create(int sourceSize, in AxisMapping mapping, ResamplingFilter filter, bool expanded)
    {
        double scale = mapping.Scale;
        double filterScale = Math.Max(scale, 1.0);
        double support = ResamplingKernel.Support(filter) * filterScale;
        (int maxTaps, int stride) = Sizes(scale, filter, expanded);
        var result = new AxisWeights(mapping.ContentCount, stride, expanded);
        Span<double> window = maxTaps <= 512 ? stackalloc double[maxTaps] : new double[maxTaps];
        int low = int.MaxValue, high = 0;
        for (int i = 0; i < mapping.ContentCount; i++)
        {
            double center = mapping.SourceStart + (i + 0.5) * scale;
            int first, taps;
            if (filter == ResamplingFilter.Nearest)
            {
                first = Math.Clamp((int)Math.Floor(center), 0, sourceSize - 1);
                taps = 1;
                window[0] = 1.0;
            }
            else
            {
                (first, taps) = Window(sourceSize, center, support, filter, filterScale, window);
            }
            result.Start[i] = first;
            result.Taps[i] = taps;
            low = Math.Min(low, first);
            high = Math.Max(high, first + taps);
            Span<float> weights = result.Weights.AsSpan(i * stride, stride);
            for (int k = 0; k < taps; k++)
            {
                if (expanded) weights.Slice(4 * k, 4).Fill((float)window[k]);
                else weights[k] = (float)window[k];
            }
        }
        result.SourceLow = low;
        result.SourceHigh = high;
        return result;
    }

    /// <summary>Fills <paramref name="window"/> with the normalized weights of the source pixels around <paramref name="center"/>.</summary>
    private static (int First, int Taps) Window(int sourceSize, double center, double support, ResamplingFilter filter, double filterScale, Span<double> window)
    {
        int first = Math.Max(0, (int)Math.Floor(center - support + 0.5));
        int end = Math.Min(sourceSize, (int)Math.Floor(center + support + 0.5));
        int taps = Math.Max(0, end - first);
        double sum = 0;
        for (int k = 0; k < taps; k++)
        {
            double w = ResamplingKernel.Evaluate(filter, (first + k + 0.5 - center) / filterScale);
            window[k] = w;
            sum += w;
        }
        // Trim zero weights at both ends: identity resizes then read exactly one tap.
        int skip = 0;
        while (skip < taps && window[skip] == 0) skip++;
        while (taps > skip && window[taps - 1] == 0) taps--;
        if (taps == skip || Math.Abs(sum) < 1e-12)
        {
            // Nothing of the kernel lands on the image (a degenerate window): take the nearest pixel.
            window[0] = 1.0;
            return (Math.Clamp((int)Math.Floor(center), 0, sourceSize - 1), 1);
        }
        for (int k = skip; k < taps; k++) window[k - skip] = window[k] / sum;
        return (first + skip, taps - skip);
    }
}
