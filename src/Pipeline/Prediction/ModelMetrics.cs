using System.Text.Json.Serialization;
using Pipeline.Training.Metrics;

namespace Pipeline.Prediction;

/// <summary>
/// The metrics a model.zip records under <c>metrics</c>: the validation metrics of the trained model (ML.NET's
/// definitions and names), how many images trained and validated it, and, for a retrained model, the previous model's
/// metrics on the same validation images (classes it did not know count as errors).
/// </summary>
public sealed record ModelMetrics
{
    /// <summary>The model's metrics on the held-out validation images, or null when none were held out.</summary>
    [JsonPropertyName("validation")] public MulticlassMetrics? Validation { get; init; }

    /// <summary>For a retrained model: the model it was retrained from, evaluated on the same validation images.</summary>
    [JsonPropertyName("previousModel")] public MulticlassMetrics? PreviousModel { get; init; }

    /// <summary>The number of images the head was trained on.</summary>
    [JsonPropertyName("trainingImages")] public int TrainingImages { get; init; }

    /// <summary>The number of validation images.</summary>
    [JsonPropertyName("validationImages")] public int ValidationImages { get; init; }
}
