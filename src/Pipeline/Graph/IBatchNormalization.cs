namespace Pipeline.Graph;

/// <summary>
/// A BatchNormalization operator (ONNX inputs X, scale, B, input_mean, input_var), as the compiler sees it when
/// folding it into the convolution before it: y = (x − mean) / √(var + ε) · scale + B per channel.
/// </summary>
internal interface IBatchNormalization
{
    /// <summary>ε, added to the variance.</summary>
    float Epsilon { get; }

    /// <summary>True in training mode (statistics computed from the batch): such a node is never folded.</summary>
    bool TrainingMode { get; }
}
