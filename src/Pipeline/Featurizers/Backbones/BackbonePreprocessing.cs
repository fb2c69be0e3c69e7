namespace Pipeline.Featurizers.Backbones;

/// <summary>The element type of a backbone's image input.</summary>
public enum BackboneInputType
{
    /// <summary>float32 values, computed from the pixels as <see cref="BackbonePreprocessing"/> says.</summary>
    Float32,

    /// <summary>Raw uint8 pixels; the model's own input quantization maps them to its range.</summary>
    UInt8,
}

/// <summary>The memory layout of a backbone's image input.</summary>
public enum TensorLayout
{
    /// <summary>Batch, channels, height, width (ONNX/PyTorch convention).</summary>
    Nchw,

    /// <summary>Batch, height, width, channels (TensorFlow/TFLite convention).</summary>
    Nhwc,
}

/// <summary>The order of the colour channels a backbone expects.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue.</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe models).</summary>
    Bgr,
}

/// <summary>
/// How a backbone wants its input image: <c>value[c] = (pixel[c] · Scale − Mean[c]) / Std[c]</c> for pixels 0..255
/// in <see cref="Channels"/> order, laid out as <see cref="Layout"/>. For <see cref="BackboneInputType.UInt8"/> inputs the
/// pixels are passed as they are and Scale, Mean and Std are 1, 0 and 1.
/// </summary>
public sealed record BackbonePreprocessing
{
    /// <summary>The input's element type.</summary>
    public required BackboneInputType InputType { get; init; }

    /// <summary>The input's layout.</summary>
    public required TensorLayout Layout { get; init; }

    /// <summary>The channel order.</summary>
    public ChannelOrder Channels { get; init; } = ChannelOrder.Rgb;

    /// <summary>The factor applied to 0..255 pixel values before the mean is subtracted.</summary>
    public float Scale { get; init; } = 1f;

    /// <summary>Per-channel means (in <see cref="Channels"/> order), in scaled units.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0f, 0f, 0f];

    /// <summary>Per-channel standard deviations (in <see cref="Channels"/> order), in scaled units.</summary>
    public IReadOnlyList<float> Std { get; init; } = [1f, 1f, 1f];

    /// <summary>Torchvision's ImageNet normalization: RGB scaled to [0, 1], mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225), NCHW float32.</summary>
    public static BackbonePreprocessing ImageNetNchw { get; } = new()
    {
        InputType = BackboneInputType.Float32,
        Layout = TensorLayout.Nchw,
        Scale = 1f / 255f,
        Mean = [0.485f, 0.456f, 0.406f],
        Std = [0.229f, 0.224f, 0.225f],
    };

    /// <summary>Raw uint8 RGB pixels in NHWC, as quantized TFLite models take them.</summary>
    public static BackbonePreprocessing UInt8Nhwc { get; } = new() { InputType = BackboneInputType.UInt8, Layout = TensorLayout.Nhwc };

    /// <summary>Equality by value, including the channel lists.</summary>
    public bool Equals(BackbonePreprocessing? other) =>
        other is not null && InputType == other.InputType && Layout == other.Layout && Channels == other.Channels
        && Scale.Equals(other.Scale) && Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std);

    /// <summary>A hash consistent with <see cref="Equals(BackbonePreprocessing?)"/>.</summary>
    public override int GetHashCode() => HashCode.Combine(InputType, Layout, Channels, Scale, Mean.Count > 0 ? Mean[0] : 0f, Std.Count > 0 ? Std[0] : 1f);
}
