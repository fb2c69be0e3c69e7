using System.Text.Json.Serialization;

namespace Pipeline.Training;

/// <summary>
/// What happened during training. It holds no timings, so it is as reproducible as the head itself and may be stored
/// in a model package.
/// Non-finite losses are written to JSON as the strings "NaN" and "Infinity".
/// </summary>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record TrainingSummary
{
    /// <summary>L-BFGS iterations or MLP epochs run.</summary>
    [JsonPropertyName("iterations")] public int Iterations { get; init; }

    /// <summary>Logistic: objective evaluations (each one full pass over the data); MLP: mini-batch steps.</summary>
    [JsonPropertyName("evaluations")] public int Evaluations { get; init; }

    /// <summary>Why training stopped: <c>converged</c>, <c>gradientTolerance</c>, <c>maxIterations</c>, <c>lineSearchFailed</c>
    /// (the loss cannot decrease further at float precision), <c>earlyStopping</c> or <c>epochs</c>.</summary>
    [JsonPropertyName("stopReason")] public string StopReason { get; init; } = "";

    /// <summary>The training objective at the end (the restored epoch's for the MLP).</summary>
    [JsonPropertyName("finalLoss")] public double FinalLoss { get; init; }

    /// <summary>MLP: the epoch (1-based) whose weights were kept; logistic: the last iteration.</summary>
    [JsonPropertyName("bestIteration")] public int BestIteration { get; init; }

    /// <summary>The validation loss of the kept weights, when there was a validation set.</summary>
    [JsonPropertyName("validationLoss")] public double? ValidationLoss { get; init; }

    /// <summary>The training loss after each iteration or epoch.</summary>
    [JsonPropertyName("lossHistory")] public double[] LossHistory { get; init; } = [];

    /// <summary>The validation loss after each epoch (MLP with a validation set), else empty.</summary>
    [JsonPropertyName("validationLossHistory")] public double[] ValidationLossHistory { get; init; } = [];

    /// <summary>
    /// How the probabilities were calibrated: <c>off</c>, <c>temperature scaling (3-fold)</c>, or <c>skipped: </c> and
    /// the reason (<see cref="HeadOptions.Calibrate"/>).
    /// </summary>
    [JsonPropertyName("calibration")] public string Calibration { get; init; } = "off";

    /// <summary>
    /// The temperature every logit of the head is divided by (below 1 sharpens, above 1 softens), or null when not
    /// calibrated. The losses above are those of the fit, before the temperature.
    /// </summary>
    [JsonPropertyName("temperature")] public double? Temperature { get; init; }

    /// <summary>
    /// Classes of the retrained head with no training row, whose output weights were kept as they were (see
    /// <see cref="ClassifierHead.Retrain"/>); empty for a new head.
    /// </summary>
    [JsonPropertyName("keptClasses")] public int[] KeptClasses { get; init; } = [];
}
