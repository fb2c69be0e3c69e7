using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Training;

namespace Pipeline.Classification;

/// <summary>
/// What model.zip records under <c>trainingOptions</c>: the options that decided the model and a summary of the data.
/// Nothing here depends on the machine, the thread count or the folders used (a backbone given by path is recorded by
/// file name), so two runs with the same seed and data record the same bytes.
/// </summary>
internal sealed record TrainingRecord
{
    [JsonPropertyName("seed")] public int Seed { get; init; }

    [JsonPropertyName("backbone")] public string? Backbone { get; init; }

    [JsonPropertyName("validationFraction")] public double ValidationFraction { get; init; }

    /// <summary>
    /// How the validation images were chosen: <see cref="KeyedSplit"/> (a seeded hash of each image's relative path).
    /// Missing in models made before it: those split by shuffling, so their split cannot be made again.
    /// </summary>
    [JsonPropertyName("split")] public string Split { get; init; } = KeyedSplit;

    /// <summary>The <see cref="Split"/> of models whose validation images a retrain can choose again.</summary>
    public const string KeyedSplit = "relative-path-hash";

    /// <summary>How many training feature vectors per class the model keeps for retrains (missing in models made before them).</summary>
    [JsonPropertyName("exemplarsPerClass")] public int ExemplarsPerClass { get; init; }

    [JsonPropertyName("head")] public required HeadOptions Head { get; init; }

    [JsonPropertyName("classImages")] public required int[] ClassImages { get; init; }

    [JsonPropertyName("excludedFiles")] public int ExcludedFiles { get; init; }

    /// <summary>For a retrained model: the previous model's labels count and creation time.</summary>
    [JsonPropertyName("retrainedFrom")] public RetrainedFrom? Retrained { get; init; }

    public JsonElement ToJson() => JsonSerializer.SerializeToElement(this, Prediction.ModelLayout.Json);

    internal sealed record RetrainedFrom(
        [property: JsonPropertyName("labels")] int Labels,
        [property: JsonPropertyName("createdUtc")] string? CreatedUtc,
        [property: JsonPropertyName("headSha256")] string HeadSha256);
}
