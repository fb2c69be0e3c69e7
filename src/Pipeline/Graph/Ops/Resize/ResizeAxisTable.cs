namespace Pipeline.Graph.Ops.Resize;

/// <summary>
/// The 1-D resampling of one axis, precomputed: for each output index a fixed number of taps (input index, weight),
/// or the extrapolation value when it falls outside the region (tf_crop_and_resize). Resize is separable, so an N-D
/// resize applies one table per resized axis. The coefficients follow the ONNX reference implementation exactly:
/// a coordinate that lands on an input element uses the ratio 1 against the element before it, neighbours beyond
/// the edge repeat the edge, and antialiasing stretches the filter by 1/scale when downsampling.
/// </summary>
internal sealed class ResizeAxisTable
{
    private ResizeAxisTable(int inputLength, int outputLength, int taps, int[] indices, float[] weights, bool[] outside)
    {
        InputLength = inputLength;
        OutputLength = outputLength;
        Taps = taps;
        Indices = indices;
        Weights = weights;
        Outside = outside;
    }

    /// <summary>The input length of the axis.</summary>
    public int InputLength { get; }

    /// <summary>The output length of the axis.</summary>
    public int OutputLength { get; }

    /// <summary>Taps per output index.</summary>
    public int Taps { get; }

    /// <summary>Input index of tap t of output j at [j · Taps + t], clamped to the input.</summary>
    public int[] Indices { get; }

    /// <summary>Weight of tap t of output j at [j · Taps + t].</summary>
    public float[] Weights { get; }

    /// <summary>Per output index: true when it takes the extrapolation value.</summary>
    public bool[] Outside { get; }

    /// <summary>True when the table maps every output index to the same input index with weight 1.</summary>
    public bool IsIdentity
    {
        get
        {
            if (InputLength != OutputLength) return false;
            for (int j = 0; j < OutputLength; j++)
            {
                if (Outside[j]) return false;
                for (int t = 0; t < Taps; t++)
                {
                    float w = Weights[j * Taps + t];
                    if (w != 0 && (w != 1 || Indices[j * Taps + t] != j)) return false;
                }
            }
            return true;
        }
    }

    /// <summary>
    /// Builds the table of one axis. <paramref name="scale"/> is the axis's scale as the reference uses it (the given
    /// scale, or output/input for sizes); <paramref name="roiStart"/>/<paramref name="roiEnd"/> matter only for
    /// tf_crop_and_resize.
    /// </summary>
    public static ResizeAxisTable Create(ResizeOptions options, int inputLength, int outputLength, double scale, double roiStart, double roiEnd)
    {
        double outputWidth = scale * inputLength; // the reference's (fractional) output length
        double filterScale = options.Antialias && options.Mode != ResizeMode.Nearest ? Math.Min(scale, 1) : 1;
        int start = options.Mode switch
        {
            ResizeMode.Nearest => 0,
            ResizeMode.Linear => (int)Math.Floor(-1 / filterScale) + 1,
            _ => (int)Math.Floor(-2 / filterScale) + 1,
        };
        int taps = options.Mode == ResizeMode.Nearest ? 1 : 2 - 2 * start;
        var indices = new int[outputLength * taps];
        var weights = new float[outputLength * taps];
        var outside = new bool[outputLength];
        Span<double> w = stackalloc double[taps];
        for (int j = 0; j < outputLength; j++)
        {
            double x = Original(options, j, inputLength, outputLength, outputWidth, scale, roiStart, roiEnd);
            if (options.Transform == CoordinateTransform.TfCropAndResize && (x < 0 || x > inputLength - 1))
            {
                outside[j] = true;
                continue;
            }
            double floor = Math.Floor(x);
            // A coordinate on an element counts as ratio 1 from the element before it (the reference's convention).
            long baseIndex = x == floor ? (long)floor - 1 : (long)floor;
            double ratio = x == floor ? 1 : x - floor;
            if (options.Mode == ResizeMode.Nearest)
            {
                long pick = ratio == 1 ? baseIndex + 1 : options.Rounding switch
                {
                    NearestRounding.RoundPreferFloor => ratio <= 0.5 ? baseIndex : baseIndex + 1,
                    NearestRounding.RoundPreferCeil => ratio < 0.5 ? baseIndex : baseIndex + 1,
                    NearestRounding.Floor => baseIndex,
                    _ => baseIndex + 1,
                };
                indices[j] = Clamp(pick, inputLength);
                weights[j] = 1;
                continue;
            }
            double sum = 0;
            for (int t = 0; t < taps; t++)
            {
                double distance = Math.Abs((start + t - ratio) * filterScale);
                w[t] = options.Mode == ResizeMode.Linear ? Math.Max(0, 1 - distance) : Keys(distance, options.CubicA);
                sum += w[t];
            }
            if (filterScale != 1) for (int t = 0; t < taps; t++) w[t] /= sum;
            if (options.ExcludeOutside)
            {
                sum = 0;
                for (int t = 0; t < taps; t++)
                {
                    long index = baseIndex + start + t;
                    if (index < 0 || index >= inputLength) w[t] = 0;
                    sum += w[t];
                }
                for (int t = 0; t < taps; t++) w[t] = sum == 0 ? 0 : w[t] / sum;
            }
            for (int t = 0; t < taps; t++)
            {
                indices[j * taps + t] = Clamp(baseIndex + start + t, inputLength);
                weights[j * taps + t] = (float)w[t];
            }
        }
        return new ResizeAxisTable(inputLength, outputLength, taps, indices, weights, outside);
    }

    private static int Clamp(long index, int length) => (int)Math.Clamp(index, 0, length - 1);

    /// <summary>The Keys cubic convolution kernel at distance |x| with parameter A.</summary>
    private static double Keys(double x, double a)
    {
        if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        return 0;
    }

    /// <summary>The input coordinate of output index <paramref name="j"/>.</summary>
    private static double Original(ResizeOptions options, int j, int inputLength, int outputLength, double outputWidth, double scale, double roiStart, double roiEnd)
    {
        switch (options.Transform)
        {
            case CoordinateTransform.AlignCorners:
                return outputWidth == 1 ? 0 : j * (inputLength - 1) / (outputWidth - 1);
            case CoordinateTransform.Asymmetric:
                return j / scale;
            case CoordinateTransform.PytorchHalfPixel:
                return outputLength > 1 ? (j + 0.5) / scale - 0.5 : 0;
            case CoordinateTransform.TfHalfPixelForNearest:
                return (j + 0.5) / scale;
            case CoordinateTransform.HalfPixelSymmetric:
            {
                double adjustment = outputLength / outputWidth;
                double center = inputLength / 2.0;
                double offset = center * (1 - adjustment);
                return offset + (j + 0.5) / scale - 0.5;
            }
            case CoordinateTransform.TfCropAndResize:
                return outputLength > 1
                    ? roiStart * (inputLength - 1) + j * (roiEnd - roiStart) * (inputLength - 1) / (outputLength - 1)
                    : 0.5 * (roiStart + roiEnd) * (inputLength - 1);
            default:
                return (j + 0.5) / scale - 0.5;
        }
    }
}
