using System.Text.Json.Serialization;
using Pipeline.Featurizers.Pooling;
using Pipeline.Imaging.Processing;

namespace Pipeline.Featurizers.Backbones;

/// <summary>Where L2 normalization is applied to pooled backbone features.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<L2Normalization>))]
public enum L2Normalization
{
    /// <summary>No normalization (default).</summary>
    None,

    /// <summary>Each tap's pooled vector is scaled to unit length before the taps are concatenated (taps of different scales then weigh alike).</summary>
    PerTap,

    /// <summary>The concatenated vector is scaled to unit length.</summary>
    Final,

    /// <summary>Per tap, then the concatenation again.</summary>
    Both,
}

/// <summary>The memory layout of a backbone's feature maps.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FeatureMapLayout>))]
public enum FeatureMapLayout
{
    /// <summary>From the model format: channels first for ONNX, channels last for TFLite.</summary>
    Auto,

    /// <summary>N × C × H × W.</summary>
    Nchw,

    /// <summary>N × H × W × C.</summary>
    Nhwc,
}

/// <summary>
/// A pretrained backbone cut at one or more taps, each feature map pooled, the results concatenated (in tap order) and
/// optionally L2-normalized. Empty <see cref="Taps"/> and null <see cref="Preprocessing"/> mean "find them" (the last
/// spatial feature map before the classifier; the preprocessing the model declares or its registry entry gives); a
/// built featurizer's <see cref="IFeaturizer.Spec"/> has them resolved, so a stored spec rebuilds exactly.
/// </summary>
public sealed record BackboneSpec : FeaturizerSpec
{
    private readonly string[] _taps = [];

    /// <summary>The names of the values to pool (empty: auto-detected). A TFLite tensor may be named by the first part of its ';'-joined name.</summary>
    public IReadOnlyList<string> Taps { get => _taps; init => _taps = [.. value]; }

    /// <summary>
    /// The pooling, as <see cref="PoolingSpec.Parse"/> reads it. The default, <c>gem</c> (p = 3), measured at or above
    /// <c>gap</c> in every head and feature setting on flowers-small (README).
    /// </summary>
    public string Pooling { get; init; } = DefaultPooling;

    /// <summary>The default <see cref="Pooling"/>, also the trainer's.</summary>
    internal const string DefaultPooling = "gem";

    /// <summary>Where to L2-normalize (default none).</summary>
    public L2Normalization Normalization { get; init; } = L2Normalization.None;

    /// <summary>Average each image's features with those of its mirror image (horizontal-flip test-time augmentation; twice the backbone work).</summary>
    public bool MirrorAverage { get; init; }

    /// <summary>The feature maps' layout (default from the model format).</summary>
    public FeatureMapLayout Layout { get; init; } = FeatureMapLayout.Auto;

    /// <summary>How images become the backbone's input; null: from the model (TFLite input quantization) or the registry entry.</summary>
    public ImagePreprocessing? Preprocessing { get; init; }

    /// <inheritdoc/>
    protected override int CurrentVersion => 1;

    /// <summary>The parsed pooling.</summary>
    [JsonIgnore]
    public PoolingSpec PoolingSpec => Featurizers.Pooling.PoolingSpec.Parse(Pooling);

    /// <inheritdoc/>
    public override void Validate()
    {
        foreach (string tap in _taps)
            if (string.IsNullOrEmpty(tap)) throw new ArgumentException("backbone.taps: a tap name is empty.", nameof(Taps));
        if (_taps.Length > 16) throw new ArgumentException($"backbone.taps: at most 16 taps, not {_taps.Length}.", nameof(Taps));
        try
        {
            Featurizers.Pooling.PoolingSpec.Parse(Pooling ?? string.Empty);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"backbone.pooling: {e.Message}", nameof(Pooling), e);
        }
        if (!Enum.IsDefined(Normalization)) throw new ArgumentException($"backbone.normalization {(int)Normalization} is unknown.", nameof(Normalization));
        if (!Enum.IsDefined(Layout)) throw new ArgumentException($"backbone.layout {(int)Layout} is unknown.", nameof(Layout));
        Preprocessing?.Validate();
    }

    /// <summary>Equality by value, including the tap list.</summary>
    public bool Equals(BackboneSpec? other) => other is not null && ToJson() == other.ToJson();

    /// <summary>A hash consistent with <see cref="Equals(BackboneSpec?)"/>.</summary>
    public override int GetHashCode() => ToJson().GetHashCode(StringComparison.Ordinal);
}
