using System.Text.Json.Serialization;

namespace Pipeline.Training;

/// <summary>The kind of classifier head trained on top of the feature vectors.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HeadKind>))]
public enum HeadKind
{
    /// <summary>Multinomial logistic regression (softmax of one affine map), trained full-batch with L-BFGS and L2 regularization.</summary>
    [JsonStringEnumMemberName("logistic")] Logistic,

    /// <summary>A small multilayer perceptron (0–2 ReLU hidden layers with dropout), trained with AdamW on mini-batches.</summary>
    [JsonStringEnumMemberName("mlp")] Mlp,
}
