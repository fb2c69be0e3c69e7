using System.Text.Json;
using Pipeline.Imaging.Processing;
using Pipeline.Persistence;
using Pipeline.Training;

namespace Pipeline.Prediction;

/// <summary>What a loaded model is: its labels, how it was built and trained, and how well it did.</summary>
public sealed record ModelInfo
{
    /// <summary>The class labels, in the order of <see cref="Prediction.Scores"/>.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>The model.zip format version the file was written in.</summary>
    public required int FormatVersion { get; init; }

    /// <summary>The version of the library that wrote the file.</summary>
    public required string LibraryVersion { get; init; }

    /// <summary>When the file was written (UTC); null for a model not loaded from a file.</summary>
    public DateTimeOffset? CreatedUtc { get; init; }

    /// <summary>The featurizer's kind: <c>filterBank</c> (the built-in one) or <c>backbone</c>.</summary>
    public required string FeaturizerKind { get; init; }

    /// <summary>The featurizer's spec, as stored in the manifest.</summary>
    public required JsonElement Featurizer { get; init; }

    /// <summary>The length of the feature vectors.</summary>
    public required int FeatureDimension { get; init; }

    /// <summary>How an image becomes the featurizer's input (what <c>preview</c> renders).</summary>
    public required ImagePreprocessing Preprocessing { get; init; }

    /// <summary>The classifier head's architecture.</summary>
    public required HeadSpec Head { get; init; }

    /// <summary>The pretrained backbone (embedded or referenced), or null for the built-in featurizer.</summary>
    public ModelBackbone? Backbone { get; init; }

    /// <summary>The recorded metrics, or null when the file has none.</summary>
    public ModelMetrics? Metrics { get; init; }

    /// <summary>The options the model was trained with, as stored (a JSON object), or null.</summary>
    public JsonElement? TrainingOptions { get; init; }
}
