using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Tensors;

namespace Pipeline.Imaging.Processing;

/// <summary>
/// Everything that turns a decoded image into a model's input tensor, as data: the single place preprocessing
/// happens. Featurizers, training and the predictor all call <see cref="Apply(Image, Span{float}, bool)"/>, and model.zip
/// stores the record as JSON (camelCase names, enums as strings: <see cref="ToJson"/>, <see cref="FromJson"/>).
/// </summary>
/// <remarks>
/// The steps, in order:
/// <list type="number">
/// <item>An Rgba32 image is composited over <see cref="Background"/> (straight alpha, exact integer rounding).</item>
/// <item>It is resampled to <see cref="Width"/> × <see cref="Height"/> per <see cref="Mode"/> and <see cref="Anchor"/>
/// with <see cref="Filter"/>; padding takes <see cref="PadColor"/>. The result is rounded to 8 bits, as PIL and
/// torchvision do before <c>ToTensor</c>.</item>
/// <item>With <see cref="Grayscale"/> (or <see cref="ChannelOrder.Gray"/>) the pixels become BT.601 luma.</item>
/// <item>Mirrored when asked (test-time augmentation).</item>
/// <item>The samples are written in <see cref="Layout"/> and <see cref="Channels"/> order, as floats normalized by
/// <see cref="Normalization"/> or, for <see cref="TensorElementType.UInt8"/>, as the bytes themselves.</item>
/// </list>
/// EXIF orientation is not a step here: the decoder applies it. All methods are thread-safe.
/// </remarks>
public sealed record ImagePreprocessing
{
    /// <summary>The largest width or height accepted.</summary>
    public const int MaxSide = 16384;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false, TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };

    /// <summary>The output width in pixels (default 224).</summary>
    [JsonPropertyName("width")]
    public int Width { get; init; } = 224;

    /// <summary>The output height in pixels (default 224).</summary>
    [JsonPropertyName("height")]
    public int Height { get; init; } = 224;

    /// <summary>How the image is fitted to width × height (default <see cref="ResizeMode.IsoCrop"/>, ML.NET's default).</summary>
    [JsonPropertyName("mode")]
    public ResizeMode Mode { get; init; } = ResizeMode.IsoCrop;

    /// <summary>Which part <see cref="ResizeMode.IsoCrop"/> keeps and where <see cref="ResizeMode.IsoPad"/> places the picture (default center).</summary>
    [JsonPropertyName("anchor")]
    public CropAnchor Anchor { get; init; } = CropAnchor.Center;

    /// <summary>
    /// For <see cref="ResizeMode.ShorterSideThenCenterCrop"/>: the size the shorter side is resized to before the crop.
    /// 0 (the default) means <c>round(max(width, height) / 0.875)</c>: 256 for a 224 crop, 342 for 299, as torchvision's
    /// reference recipes use.
    /// </summary>
    [JsonPropertyName("shorterSide")]
    public int ShorterSide { get; init; }

    /// <summary>The resampling filter (default antialiased <see cref="ResamplingFilter.Bilinear"/>, torchvision's default).</summary>
    [JsonPropertyName("filter")]
    public ResamplingFilter Filter { get; init; } = ResamplingFilter.Bilinear;

    /// <summary>The color of the padding (default black, as ML.NET's IsoPad and torchvision's CenterCrop pad).</summary>
    [JsonPropertyName("padColor")]
    public RgbColor PadColor { get; init; } = RgbColor.Black;

    /// <summary>The color transparent pixels are composited over (default white).</summary>
    [JsonPropertyName("background")]
    public RgbColor Background { get; init; } = RgbColor.White;

    /// <summary>Convert to BT.601 luma but keep three (equal) channels, for a color model fed gray images (default false).</summary>
    [JsonPropertyName("grayscale")]
    public bool Grayscale { get; init; }

    /// <summary>Planar (CHW, the default) or interleaved (HWC).</summary>
    [JsonPropertyName("layout")]
    public TensorLayout Layout { get; init; } = TensorLayout.Chw;

    /// <summary>RGB (default), BGR, or one gray channel.</summary>
    [JsonPropertyName("channels")]
    public ChannelOrder Channels { get; init; } = ChannelOrder.Rgb;

    /// <summary>Float32 (default, normalized) or UInt8 (the raw samples: <see cref="Normalization"/> is not applied).</summary>
    [JsonPropertyName("elementType")]
    public TensorElementType ElementType { get; init; } = TensorElementType.Float32;

    /// <summary>How float samples are normalized (default <see cref="PixelNormalization.ImageNet"/>).</summary>
    [JsonPropertyName("normalization")]
    public PixelNormalization Normalization { get; init; } = PixelNormalization.ImageNet;

    /// <summary>Channels per pixel in the tensor: 3, or 1 for <see cref="ChannelOrder.Gray"/>.</summary>
    [JsonIgnore]
    public int ChannelCount => PixelExtractor.Channels(Channels);

    /// <summary>Elements per image: width × height × channels.</summary>
    [JsonIgnore]
    public int ElementCount => checked(Width * Height * ChannelCount);

    /// <summary>The shorter side <see cref="ResizeMode.ShorterSideThenCenterCrop"/> resizes to, with the default resolved.</summary>
    [JsonIgnore]
    public int EffectiveShorterSide => ShorterSide > 0 ? ShorterSide : (int)Math.Round(Math.Max(Width, Height) / 0.875, MidpointRounding.AwayFromZero);

    /// <summary>The tensor shape of a batch: [batch, C, H, W] or [batch, H, W, C].</summary>
    public int[] Shape(int batch = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        return Layout == TensorLayout.Chw ? [batch, ChannelCount, Height, Width] : [batch, Height, Width, ChannelCount];
    }

    /// <summary>Checks every field; called by every method that uses the spec.</summary>
    /// <exception cref="ArgumentException">Naming the first invalid field and its value.</exception>
    public void Validate()
    {
        if (Width is < 1 or > MaxSide) throw new ArgumentException($"width must be 1..{MaxSide}, not {Width}.");
        if (Height is < 1 or > MaxSide) throw new ArgumentException($"height must be 1..{MaxSide}, not {Height}.");
        if (ShorterSide is < 0 or > MaxSide) throw new ArgumentException($"shorterSide must be 0 (automatic) or 1..{MaxSide}, not {ShorterSide}.");
        if (!Enum.IsDefined(Mode)) throw new ArgumentException($"mode {(int)Mode} is not a resize mode.");
        if (!Enum.IsDefined(Anchor)) throw new ArgumentException($"anchor {(int)Anchor} is not an anchor.");
        if (!Enum.IsDefined(Filter)) throw new ArgumentException($"filter {(int)Filter} is not a filter.");
        if (!Enum.IsDefined(Layout)) throw new ArgumentException($"layout {(int)Layout} is not a layout.");
        if (!Enum.IsDefined(Channels)) throw new ArgumentException($"channels {(int)Channels} is not a channel order.");
        if (!Enum.IsDefined(ElementType)) throw new ArgumentException($"elementType {(int)ElementType} is not an element type.");
        if (Normalization is null) throw new ArgumentException("normalization is missing.");
        for (int c = 0; c < 3; c++)
        {
            if (!float.IsFinite(Normalization.Offset[c]) || !float.IsFinite(Normalization.Scale[c]))
                throw new ArgumentException($"normalization offset and scale must be finite (channel {c}: {Normalization.Offset[c]}, {Normalization.Scale[c]}).");
        }
    }

    /// <summary>
    /// Writes <paramref name="image"/>'s float tensor (without the batch dimension) into <paramref name="destination"/>,
    /// which must hold exactly <see cref="ElementCount"/> floats: a slice of a batch buffer assembles a batch with no copy.
    /// </summary>
    /// <param name="image">The decoded (and already oriented) image, Rgb24 or Rgba32, any size.</param>
    /// <param name="destination">Exactly <see cref="ElementCount"/> floats.</param>
    /// <param name="mirror">Flip left–right after resizing (test-time augmentation).</param>
    /// <exception cref="InvalidOperationException">When <see cref="ElementType"/> is not Float32.</exception>
    public void Apply(Image image, Span<float> destination, bool mirror = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        Validate();
        if (ElementType != TensorElementType.Float32) throw new InvalidOperationException($"This preprocessing produces {ElementType}; pass a Span<byte>.");
        CheckDestination(destination.Length);
        byte[] rendered = ArrayPool<byte>.Shared.Rent(Width * Height * 3);
        try
        {
            Span<byte> pixels = rendered.AsSpan(0, Width * Height * 3);
            RenderInto(image, pixels, mirror, grayscale: Grayscale && Channels != ChannelOrder.Gray);
            PixelExtractor.ToSingle(pixels, Width * Height, Layout, Channels, Normalization, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rendered);
        }
    }

    /// <summary>Writes <paramref name="image"/>'s uint8 tensor into <paramref name="destination"/> (exactly <see cref="ElementCount"/> bytes).</summary>
    /// <exception cref="InvalidOperationException">When <see cref="ElementType"/> is not UInt8.</exception>
    public void Apply(Image image, Span<byte> destination, bool mirror = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        Validate();
        if (ElementType != TensorElementType.UInt8) throw new InvalidOperationException($"This preprocessing produces {ElementType}; pass a Span<float>.");
        CheckDestination(destination.Length);
        bool direct = Layout == TensorLayout.Hwc && Channels == ChannelOrder.Rgb;
        byte[]? rendered = direct ? null : ArrayPool<byte>.Shared.Rent(Width * Height * 3);
        try
        {
            Span<byte> pixels = direct ? destination : rendered.AsSpan(0, Width * Height * 3);
            RenderInto(image, pixels, mirror, grayscale: Grayscale && Channels != ChannelOrder.Gray);
            if (!direct) PixelExtractor.ToBytes(pixels, Width * Height, Layout, Channels, destination);
        }
        finally
        {
            if (rendered is not null) ArrayPool<byte>.Shared.Return(rendered);
        }
    }

    /// <summary>One image as a tensor with a batch dimension of 1 (Float32 or UInt8 per <see cref="ElementType"/>).</summary>
    public Tensor ToTensor(Image image, bool mirror = false) => ToTensor([image], mirror);

    /// <summary>A batch: the images' tensors stacked along a first dimension of <c>images.Count</c>.</summary>
    public Tensor ToTensor(IReadOnlyList<Image> images, bool mirror = false)
    {
        ArgumentNullException.ThrowIfNull(images);
        Validate();
        int n = ElementCount;
        if (ElementType == TensorElementType.UInt8)
        {
            var data = new byte[checked(n * images.Count)];
            for (int i = 0; i < images.Count; i++) Apply(images[i], data.AsSpan(i * n, n), mirror);
            return Tensor.Create(data, Shape(images.Count));
        }
        else
        {
            var data = new float[checked(n * images.Count)];
            for (int i = 0; i < images.Count; i++) Apply(images[i], data.AsSpan(i * n, n), mirror);
            return Tensor.Create(data, Shape(images.Count));
        }
    }

    /// <summary>
    /// The Rgb24 <see cref="Width"/> × <see cref="Height"/> picture the model sees, before pixel extraction: composited,
    /// resized, cropped or padded, gray when the spec is gray, mirrored when asked. The trainer's <c>preview</c> writes it.
    /// </summary>
    public Image Render(Image image, bool mirror = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        Validate();
        var result = new Image(Width, Height, PixelFormat.Rgb24);
        RenderInto(image, result.Pixels, mirror, grayscale: Grayscale || Channels == ChannelOrder.Gray);
        return result;
    }

    /// <summary>
    /// <paramref name="options"/> (or the defaults) with <see cref="DecoderOptions.MinWidth"/> and
    /// <see cref="DecoderOptions.MinHeight"/> set to the smallest decoded size this spec can use without upscaling, so a
    /// JPEG decoder may decode at 1/2, 1/4 or 1/8 scale. Fill and IsoCrop need both sides at least width × height;
    /// shorter-side-then-crop needs both sides at least the shorter side; IsoPad needs the fitted picture's size, which
    /// depends on the aspect ratio: pass the (oriented) source size when known, else width × height is assumed (safe).
    /// </summary>
    public DecoderOptions DecoderHint(DecoderOptions? options = null, int sourceWidth = 0, int sourceHeight = 0)
    {
        Validate();
        options ??= DecoderOptions.Default;
        (int minWidth, int minHeight) = Mode switch
        {
            ResizeMode.ShorterSideThenCenterCrop => (EffectiveShorterSide, EffectiveShorterSide),
            ResizeMode.IsoPad when sourceWidth > 0 && sourceHeight > 0 => FittedSize(sourceWidth, sourceHeight),
            _ => (Width, Height),
        };
        return options with { MinWidth = minWidth, MinHeight = minHeight };
    }

    /// <summary>The spec as compact JSON (camelCase names, enums as strings, colors as "#RRGGBB").</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a spec written by <see cref="ToJson"/>; missing fields take their defaults.</summary>
    /// <exception cref="JsonException">When the JSON is malformed or a field is invalid.</exception>
    public static ImagePreprocessing FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        ImagePreprocessing spec = JsonSerializer.Deserialize<ImagePreprocessing>(json, JsonOptions) ?? throw new JsonException("The preprocessing spec is null.");
        try
        {
            spec.Validate();
        }
        catch (ArgumentException e)
        {
            throw new JsonException($"Invalid preprocessing spec: {e.Message}", e);
        }
        return spec;
    }

    /// <summary>The content size IsoPad gives a source of this size (the output size minus the padding).</summary>
    private (int Width, int Height) FittedSize(int sourceWidth, int sourceHeight)
    {
        ResizePlan plan = ResizePlan.Create(ResizeMode.IsoPad, CropAnchor.Center, sourceWidth, sourceHeight, Width, Height, 1);
        return (plan.X.ContentCount, plan.Y.ContentCount);
    }

    private void CheckDestination(int length)
    {
        if (length != ElementCount)
            throw new ArgumentException($"The destination must hold exactly {ElementCount} elements ({string.Join("x", Shape()[1..])}), not {length}.", "destination");
    }

    /// <summary>Composites, resamples, grays and mirrors <paramref name="image"/> into Rgb24 <paramref name="output"/> (Width × Height × 3 bytes).</summary>
    private void RenderInto(Image image, Span<byte> output, bool mirror, bool grayscale)
    {
        byte[]? composited = null;
        try
        {
            ReadOnlySpan<byte> source = image.Pixels;
            if (image.Format == PixelFormat.Rgba32)
            {
                int bytes = checked(image.Width * image.Height * 3);
                composited = ArrayPool<byte>.Shared.Rent(bytes);
                ColorConversion.CompositeOver(image.Pixels, Background, composited.AsSpan(0, bytes));
                source = composited.AsSpan(0, bytes);
            }
            ResizePlan plan = ResizePlan.Create(Mode, Anchor, image.Width, image.Height, Width, Height, EffectiveShorterSide);
            Resampler.Resample(source, image.Width, image.Height, 3, output, plan, Filter, PadColor);
        }
        finally
        {
            if (composited is not null) ArrayPool<byte>.Shared.Return(composited);
        }
        if (grayscale) ColorConversion.GrayscaleInPlace(output);
        if (mirror) Geometry.FlipHorizontalInPlace(output, Width, Height, 3);
    }
}
