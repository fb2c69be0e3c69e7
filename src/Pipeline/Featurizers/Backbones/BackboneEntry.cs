using Pipeline.Imaging.Processing;

namespace Pipeline.Featurizers.Backbones;

/// <summary>
/// One named backbone of the <see cref="BackboneRegistry"/>: where to download it, the exact bytes to expect, and how to
/// feed it. The size and SHA-256 are checked on every download and every use of the cached file.
/// </summary>
public sealed record BackboneEntry
{
    /// <summary>The name users pass to <c>--backbone</c>, e.g. <c>mobilenetv2-12</c> (matched ignoring case).</summary>
    public required string Name { get; init; }

    /// <summary>Where the file downloads from.</summary>
    public required Uri Url { get; init; }

    /// <summary>The file's exact size in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>The file's SHA-256, 64 lowercase hex digits.</summary>
    public required string Sha256 { get; init; }

    /// <summary>The model format.</summary>
    public required BackboneFormat Format { get; init; }

    /// <summary>
    /// How to turn an image into the model's input: size (the size it was trained at), resize mode, layout, channel
    /// order, element type and normalization, in the one preprocessing contract of <see cref="Imaging.Processing"/>.
    /// </summary>
    public required ImagePreprocessing Preprocessing { get; init; }

    /// <summary>
    /// The tensor to take features from, or null to let the featurizer find the last spatial feature map before the
    /// classifier. TFLite converters join fused tensor names with ';': the hint is the first part.
    /// </summary>
    public string? TapHint { get; init; }

    /// <summary>The licence of the weights.</summary>
    public required string License { get; init; }

    /// <summary>Where the weights come from (project and model card).</summary>
    public required string Source { get; init; }

    /// <summary>ImageNet top-1 accuracy in percent as the source reports it, or null when it does not.</summary>
    public double? ImageNetTop1 { get; init; }

    /// <summary>Caveats worth reading before relying on the entry, or null.</summary>
    public string? Notes { get; init; }

    /// <summary>The file name the backbone is cached under: the last segment of <see cref="Url"/>.</summary>
    public string FileName => Path.GetFileName(Uri.UnescapeDataString(Url.AbsolutePath));
}
