namespace Pipeline.Graph.Ops.Resize;

/// <summary>How Resize interpolates.</summary>
internal enum ResizeMode
{
    /// <summary>The nearest input element (any element type).</summary>
    Nearest,
    /// <summary>N-linear interpolation (float32).</summary>
    Linear,
    /// <summary>N-cubic interpolation with the Keys kernel of parameter A (float32).</summary>
    Cubic,
}

/// <summary>How an output coordinate maps to an input coordinate (ONNX <c>coordinate_transformation_mode</c>).</summary>
internal enum CoordinateTransform
{
    /// <summary>(x + 0.5) / scale − 0.5.</summary>
    HalfPixel,
    /// <summary>Half pixel, re-centred when the output length was rounded (opset 19).</summary>
    HalfPixelSymmetric,
    /// <summary>Half pixel, but 0 for an output of length 1.</summary>
    PytorchHalfPixel,
    /// <summary>x · (in − 1) / (out − 1).</summary>
    AlignCorners,
    /// <summary>x / scale.</summary>
    Asymmetric,
    /// <summary>(x + 0.5) / scale (opsets 11–12).</summary>
    TfHalfPixelForNearest,
    /// <summary>The region of interest mapped onto the output, with an extrapolation value outside the input.</summary>
    TfCropAndResize,
}

/// <summary>How nearest mode rounds a fractional coordinate.</summary>
internal enum NearestRounding
{
    /// <summary>Round half down.</summary>
    RoundPreferFloor,
    /// <summary>Round half up.</summary>
    RoundPreferCeil,
    /// <summary>Always down.</summary>
    Floor,
    /// <summary>Always up.</summary>
    Ceil,
}

/// <summary>How <c>sizes</c> are honoured for the resized axes (opset 18).</summary>
internal enum AspectRatioPolicy
{
    /// <summary>Each axis gets exactly its size.</summary>
    Stretch,
    /// <summary>One scale for all axes, the largest that fits inside the sizes.</summary>
    NotLarger,
    /// <summary>One scale for all axes, the smallest that covers the sizes.</summary>
    NotSmaller,
}

/// <summary>Resize's attributes, with the spec's defaults applied by the importer.</summary>
internal sealed record ResizeOptions(
    ResizeMode Mode,
    CoordinateTransform Transform,
    NearestRounding Rounding,
    float CubicA,
    bool ExcludeOutside,
    float ExtrapolationValue,
    bool Antialias,
    long[]? Axes,
    AspectRatioPolicy Policy,
    int ScalesInput,
    int SizesInput,
    int RoiInput)
{
    /// <summary>Scales given as an attribute (Upsample-7), used when there is no scales input.</summary>
    public float[]? FixedScales { get; init; }
}
