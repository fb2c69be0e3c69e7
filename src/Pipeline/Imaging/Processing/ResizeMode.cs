using System.Text.Json.Serialization;

namespace Pipeline.Imaging.Processing;

/// <summary>How an image is brought to the model's width × height (ML.NET's three modes plus torchvision's).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ResizeMode>))]
public enum ResizeMode
{
    /// <summary>Stretch to exactly width × height, ignoring the aspect ratio (ML.NET <c>Fill</c>).</summary>
    Fill,

    /// <summary>
    /// Keep the aspect ratio and fit inside width × height; the uncovered border takes the pad color
    /// (ML.NET <c>IsoPad</c>). The anchor says where the picture sits (ML.NET always centers: <see cref="CropAnchor.Center"/>).
    /// </summary>
    IsoPad,

    /// <summary>
    /// Keep the aspect ratio and cover width × height; the overflow along one axis is cut off (ML.NET <c>IsoCrop</c>,
    /// its default). The anchor says which part is kept. The crop is exact in source coordinates (not snapped to whole
    /// pixels), so the output never has ML.NET's one-pixel rounding seams.
    /// </summary>
    IsoCrop,

    /// <summary>
    /// torchvision's <c>Resize(s)</c> then <c>CenterCrop((height, width))</c>: the shorter side becomes
    /// <see cref="ImagePreprocessing.ShorterSide"/> and the longer side <c>int(s × long / short)</c> (truncated, as torchvision
    /// does); the crop offset is <c>round((resized − crop) / 2)</c> with Python's half-to-even rounding. A crop larger than
    /// the resized image pads with the pad color, as torchvision pads with zeros. The anchor is not used.
    /// </summary>
    ShorterSideThenCenterCrop,
}

/// <summary>
/// Where <see cref="ResizeMode.IsoCrop"/> keeps its window and <see cref="ResizeMode.IsoPad"/> places the picture
/// (ML.NET's <c>Anchor</c> plus the corners). Only the axis that is actually cropped or padded moves: <see cref="Top"/>
/// on an image that is cropped left and right behaves as <see cref="Center"/>, exactly as in ML.NET.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<CropAnchor>))]
public enum CropAnchor
{
    /// <summary>Centered on both axes (ML.NET's default).</summary>
    Center,

    /// <summary>Keep the top (a vertical crop cuts the bottom away; padding goes below).</summary>
    Top,

    /// <summary>Keep the bottom.</summary>
    Bottom,

    /// <summary>Keep the left side.</summary>
    Left,

    /// <summary>Keep the right side.</summary>
    Right,

    /// <summary>Keep the top on a vertical crop, the left on a horizontal one.</summary>
    TopLeft,

    /// <summary>Keep the top on a vertical crop, the right on a horizontal one.</summary>
    TopRight,

    /// <summary>Keep the bottom on a vertical crop, the left on a horizontal one.</summary>
    BottomLeft,

    /// <summary>Keep the bottom on a vertical crop, the right on a horizontal one.</summary>
    BottomRight,
}

/// <summary>
/// The resampling filter. <see cref="Bilinear"/> and <see cref="Bicubic"/> are antialiased like PIL and torchvision's
/// <c>antialias=True</c>: when downscaling by a factor f, the kernel is stretched by f, so every source pixel contributes.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ResamplingFilter>))]
public enum ResamplingFilter
{
    /// <summary>The source pixel under each output pixel's center (no antialiasing).</summary>
    Nearest,

    /// <summary>The triangle (tent) kernel, support 1 (PIL <c>BILINEAR</c>, ImageMagick <c>Triangle</c>).</summary>
    Bilinear,

    /// <summary>Keys' cubic convolution with a = −0.5, support 2 (PIL <c>BICUBIC</c>).</summary>
    Bicubic,
}

/// <summary>How the channels of each pixel are laid out in the output tensor.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TensorLayout>))]
public enum TensorLayout
{
    /// <summary>Planar: channel, then row, then column (PyTorch and ONNX models: N×C×H×W).</summary>
    Chw,

    /// <summary>Interleaved: row, then column, then channel (TensorFlow and TFLite models: N×H×W×C).</summary>
    Hwc,
}

/// <summary>Which channels the output tensor holds, in order.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ChannelOrder>))]
public enum ChannelOrder
{
    /// <summary>Red, green, blue.</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe-style models).</summary>
    Bgr,

    /// <summary>One channel: ITU-R BT.601 luma, rounded to 8 bits as libjpeg and PIL's mode "L" do.</summary>
    Gray,
}

/// <summary>The element type of the extracted tensor.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TensorElementType>))]
public enum TensorElementType
{
    /// <summary>32-bit floats, normalized by <see cref="ImagePreprocessing.Normalization"/>.</summary>
    Float32,

    /// <summary>The 0–255 samples themselves (quantized models such as the uint8 TFLite MobileNet); no normalization.</summary>
    UInt8,
}
