using System.Text.Json.Serialization;

namespace Pipeline.Training.Data;

/// <summary>One split of a data set into training and validation rows (indices into the original set, ascending).</summary>
/// <param name="Train">The rows to train on.</param>
/// <param name="Validation">The rows to validate on.</param>
public sealed record DataSplit(
    [property: JsonPropertyName("train")] int[] Train,
    [property: JsonPropertyName("validation")] int[] Validation);
