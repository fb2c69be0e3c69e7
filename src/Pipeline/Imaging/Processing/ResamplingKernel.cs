namespace Pipeline.Imaging.Processing;

/// <summary>
/// The continuous filters behind <see cref="ResamplingFilter"/>, evaluated in double precision. They are the
/// definition both the fast resampler and the tests' naive reference are built from.
/// </summary>
internal static class ResamplingKernel
{
    /// <summary>The kernel's radius at scale 1: 0.5 (nearest, a box), 1 (triangle) or 2 (cubic).</summary>
    public static double Support(ResamplingFilter filter) => filter switch
    {
        ResamplingFilter.Nearest => 0.5,
        ResamplingFilter.Bilinear => 1.0,
        ResamplingFilter.Bicubic => 2.0,
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown filter."),
    };

    /// <summary>The kernel's value at distance <paramref name="x"/> (in units of the stretched kernel).</summary>
    public static double Evaluate(ResamplingFilter filter, double x)
    {
        x = Math.Abs(x);
        switch (filter)
        {
            case ResamplingFilter.Nearest:
                return x < 0.5 ? 1.0 : 0.0;
            case ResamplingFilter.Bilinear:
                return x < 1.0 ? 1.0 - x : 0.0;
            case ResamplingFilter.Bicubic:
                // Keys' cubic convolution kernel with a = -0.5 (PIL, torchvision antialias=True).
                const double a = -0.5;
                if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
                if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
                return 0.0;
            default:
                throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown filter.");
        }
    }
}
