using System.Text.Json.Serialization;

namespace Pipeline.Training;

/// <summary>
/// A head's architecture, as a model package's manifest records it next to the weights: enough to know what the
/// weights entry holds without reading it. <see cref="ClassifierHead.Deserialize"/> checks a weights entry against it.
/// Equality compares <see cref="HiddenSizes"/> element by element.
/// </summary>
public sealed record HeadSpec
{
    /// <summary>The current version of the weights entry's binary format (see <see cref="ClassifierHead.Serialize"/>).</summary>
    public const int CurrentWeightsFormatVersion = 1;

    /// <summary>Logistic regression or MLP.</summary>
    [JsonPropertyName("kind")] public HeadKind Kind { get; init; }

    /// <summary>The length d of the feature vectors the head takes.</summary>
    [JsonPropertyName("featureDimension")] public int FeatureDimension { get; init; }

    /// <summary>The number of classes k the head scores.</summary>
    [JsonPropertyName("classCount")] public int ClassCount { get; init; }

    /// <summary>The hidden layer sizes (empty for logistic regression).</summary>
    [JsonPropertyName("hiddenSizes")] public int[] HiddenSizes { get; init; } = [];

    /// <summary>The hidden layers' activation (always <c>relu</c> in this version).</summary>
    [JsonPropertyName("activation")] public string Activation { get; init; } = "relu";

    /// <summary>Whether inputs are standardized with a stored per-feature mean and scale before the first layer.</summary>
    [JsonPropertyName("standardized")] public bool Standardized { get; init; }

    /// <summary>The version of the weights entry's binary format.</summary>
    [JsonPropertyName("weightsFormatVersion")] public int WeightsFormatVersion { get; init; } = CurrentWeightsFormatVersion;

    /// <inheritdoc/>
    public bool Equals(HeadSpec? other) =>
        other is not null && Kind == other.Kind && FeatureDimension == other.FeatureDimension && ClassCount == other.ClassCount
        && HiddenSizes.AsSpan().SequenceEqual(other.HiddenSizes) && Activation == other.Activation
        && Standardized == other.Standardized && WeightsFormatVersion == other.WeightsFormatVersion;

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Kind); hash.Add(FeatureDimension); hash.Add(ClassCount); hash.Add(Activation); hash.Add(Standardized); hash.Add(WeightsFormatVersion);
        foreach (int h in HiddenSizes) hash.Add(h);
        return hash.ToHashCode();
    }
}
