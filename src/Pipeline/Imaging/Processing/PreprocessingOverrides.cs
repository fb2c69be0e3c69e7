namespace Pipeline.Imaging.Processing;

/// <summary>
/// Changes to a backbone's preprocessing, made over the one it would otherwise get (the model's own uint8 input
/// mapping, its registry entry's, else ImageNet's): for a network trained with another resize, pixel scaling or
/// channel order. A null field keeps the resolved value. Width, height, layout and element type always come from the
/// model's input.
/// </summary>
public sealed record PreprocessingOverrides
{
    /// <summary>How the image is fitted to the input size.</summary>
    public ResizeMode? Mode { get; init; }

    /// <summary>Which part a crop keeps, or where a padded picture sits.</summary>
    public CropAnchor? Anchor { get; init; }

    /// <summary>For <see cref="ResizeMode.ShorterSideThenCenterCrop"/>: the shorter side before the crop (0: automatic).</summary>
    public int? ShorterSide { get; init; }

    /// <summary>The resampling filter.</summary>
    public ResamplingFilter? Filter { get; init; }

    /// <summary>RGB or BGR (a one-channel input is always gray).</summary>
    public ChannelOrder? Channels { get; init; }

    /// <summary>
    /// The per-channel mean, in units of the full pixel range (0.485, 0.456, 0.406 for ImageNet): a float sample is
    /// (pixel / 255 − mean) / std. Float inputs only.
    /// </summary>
    public ChannelValues? Mean { get; init; }

    /// <summary>The per-channel standard deviation, in the same units (0.229, 0.224, 0.225 for ImageNet); positive. Float inputs only.</summary>
    public ChannelValues? Std { get; init; }

    /// <summary>True when nothing is overridden.</summary>
    public bool IsEmpty => this == Empty;

    private static readonly PreprocessingOverrides Empty = new();

    /// <summary><paramref name="preprocessing"/> with the set fields replaced; a missing mean or std keeps its resolved value.</summary>
    /// <exception cref="ArgumentException">A mean or std for a uint8 input, gray as the channel order, or a field out of range.</exception>
    public ImagePreprocessing ApplyTo(ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        if (Channels == ChannelOrder.Gray)
            throw new ArgumentException("The channel order can be RGB or BGR; a one-channel input is gray by itself.");
        PixelNormalization normalization = preprocessing.Normalization;
        if (Mean is not null || Std is not null)
        {
            if (preprocessing.ElementType == TensorElementType.UInt8)
                throw new ArgumentException("This backbone takes raw uint8 samples and maps them itself (its input quantization), so a mean and std do not apply to it.");
            ChannelValues mean = Mean ?? default;
            if (!float.IsFinite(mean.R) || !float.IsFinite(mean.G) || !float.IsFinite(mean.B))
                throw new ArgumentException($"Every mean must be finite, not ({mean.R}, {mean.G}, {mean.B}).");
            // Only what is given changes: the other half keeps its exact resolved offset or scale.
            PixelNormalization given = PixelNormalization.FromMeanStd(mean, Std ?? new ChannelValues(1, 1, 1));
            normalization = new PixelNormalization
            {
                Offset = Mean is null ? normalization.Offset : given.Offset,
                Scale = Std is null ? normalization.Scale : given.Scale,
            };
        }
        ImagePreprocessing result = preprocessing with
        {
            Mode = Mode ?? preprocessing.Mode,
            Anchor = Anchor ?? preprocessing.Anchor,
            ShorterSide = ShorterSide ?? preprocessing.ShorterSide,
            Filter = Filter ?? preprocessing.Filter,
            Channels = Channels ?? preprocessing.Channels,
            Normalization = normalization,
        };
        result.Validate();
        // A setting the resolved resize never reads would sit in model.zip doing nothing: say so instead.
        if (ShorterSide is not null && result.Mode != ResizeMode.ShorterSideThenCenterCrop)
            throw new ArgumentException($"A shorter side applies to the {ResizeMode.ShorterSideThenCenterCrop} resize only, and this one is {result.Mode}.");
        if (Anchor is not null && result.Mode is not (ResizeMode.IsoCrop or ResizeMode.IsoPad))
            throw new ArgumentException($"An anchor applies to the {ResizeMode.IsoCrop} and {ResizeMode.IsoPad} resizes only, and this one is {result.Mode}.");
        return result;
    }
}
