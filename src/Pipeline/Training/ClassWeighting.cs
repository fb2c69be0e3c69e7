using System.Text.Json.Serialization;

namespace Pipeline.Training;

/// <summary>How training samples are weighted by their class, to counter class imbalance.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ClassWeighting>))]
public enum ClassWeighting
{
    /// <summary>Every sample weighs 1.</summary>
    [JsonStringEnumMemberName("none")] None,

    /// <summary>A sample of class c weighs <c>n / (k · n_c)</c>, where k counts the classes present in the training set
    /// (scikit-learn's "balanced"): every class then carries the same total weight, and the mean weight is 1.</summary>
    [JsonStringEnumMemberName("balanced")] Balanced,

    /// <summary>The weights given in <see cref="HeadOptions.ClassWeights"/>, one per class.</summary>
    [JsonStringEnumMemberName("explicit")] Explicit,
}
