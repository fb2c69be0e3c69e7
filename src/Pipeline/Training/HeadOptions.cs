using System.Text.Json.Serialization;

namespace Pipeline.Training;

/// <summary>
/// Everything that decides what a head learns: its kind and architecture, the optimizer's settings and the seed.
/// The same options and data give a bit-identical head on the same machine, whatever the thread count (which is why
/// thread count, progress and cancellation live in <see cref="TrainingContext"/> instead). JSON-serializable with
/// camelCase names, so a model package can record the options it was trained with.
/// </summary>
public sealed record HeadOptions
{
    /// <summary>Logistic regression (default) or MLP.</summary>
    [JsonPropertyName("kind")] public HeadKind Kind { get; init; } = HeadKind.Logistic;

    /// <summary>The root of all randomness: initialization, shuffling, dropout and the early-stopping split.</summary>
    [JsonPropertyName("seed")] public int Seed { get; init; }

    /// <summary>
    /// Standardize each feature with the training set's mean and standard deviation (stored with the head).
    /// On by default for both kinds: it makes L2 and learning rates mean the same thing whatever the backbone's
    /// feature scale (raw, L2-normalized or GeM-pooled features differ by orders of magnitude) and speeds L-BFGS up.
    /// Features constant on the training set keep a scale of 1.
    /// </summary>
    [JsonPropertyName("standardize")] public bool Standardize { get; init; } = true;

    // ---- logistic regression (L-BFGS) ----

    /// <summary>Logistic: the L2 penalty λ in <c>mean weighted loss + λ/2 · ‖W‖²</c> (biases are not penalized).</summary>
    [JsonPropertyName("l2Regularization")] public double L2Regularization { get; init; } = 1e-3;

    /// <summary>Logistic: the maximum number of L-BFGS iterations.</summary>
    [JsonPropertyName("maxIterations")] public int MaxIterations { get; init; } = 1000;

    /// <summary>Logistic: the number of correction pairs L-BFGS keeps (m).</summary>
    [JsonPropertyName("historySize")] public int HistorySize { get; init; } = 10;

    /// <summary>Logistic: stop when the loss improved by less than this fraction per iteration over the last 5
    /// iterations, or when every gradient component is below 100× this value.</summary>
    [JsonPropertyName("tolerance")] public double Tolerance { get; init; } = 1e-7;

    // ---- MLP (AdamW) ----

    /// <summary>MLP: the sizes of the hidden layers, 0 to 2 of them (none makes a softmax regression trained with AdamW).</summary>
    [JsonPropertyName("hiddenSizes")] public int[] HiddenSizes { get; init; } = [256];

    /// <summary>MLP: the maximum number of passes over the training set.</summary>
    [JsonPropertyName("epochs")] public int Epochs { get; init; } = 100;

    /// <summary>MLP: samples per mini-batch (the last batch of an epoch may be smaller).</summary>
    [JsonPropertyName("batchSize")] public int BatchSize { get; init; } = 32;

    /// <summary>MLP: the base (peak) learning rate of AdamW.</summary>
    [JsonPropertyName("learningRate")] public double LearningRate { get; init; } = 1e-3;

    /// <summary>MLP: the rate the cosine schedule ends at.</summary>
    [JsonPropertyName("minLearningRate")] public double MinLearningRate { get; init; }

    /// <summary>MLP: the learning-rate schedule after warm-up.</summary>
    [JsonPropertyName("schedule")] public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Cosine;

    /// <summary>MLP: epochs of linear warm-up from near zero to the base rate (0: none).</summary>
    [JsonPropertyName("warmupEpochs")] public int WarmupEpochs { get; init; } = 2;

    /// <summary>MLP, step schedule: epochs between two decays.</summary>
    [JsonPropertyName("stepEpochs")] public int StepEpochs { get; init; } = 30;

    /// <summary>MLP, step schedule: the factor applied at each decay.</summary>
    [JsonPropertyName("stepGamma")] public double StepGamma { get; init; } = 0.1;

    /// <summary>MLP: the probability of zeroing a hidden unit during training (inverted dropout; off at prediction).</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; } = 0.2;

    /// <summary>MLP: AdamW's decoupled weight decay (applied to weights, not biases, scaled by the learning rate).</summary>
    [JsonPropertyName("weightDecay")] public double WeightDecay { get; init; } = 1e-2;

    /// <summary>MLP: epochs without a lower validation loss before training stops (the best epoch's weights are restored); 0 disables early stopping.</summary>
    [JsonPropertyName("patience")] public int Patience { get; init; } = 10;

    /// <summary>
    /// MLP: when no validation set is given, the fraction of the training set held out (stratified, from the seed) for
    /// early stopping. When that would be fewer than 50 rows nothing is held out and every epoch runs on all rows: a
    /// loss measured on a handful of images stops training at noise.
    /// </summary>
    [JsonPropertyName("validationFraction")] public double ValidationFraction { get; init; } = 0.1;

    // ---- both ----

    /// <summary>
    /// Calibrate the probabilities by temperature scaling (on by default): the head is fitted again on each of 3 folds of
    /// the training rows, and one temperature, fitted to the held-out rows' logits, divides every logit of the final head.
    /// A head fitted to a few hundred images is overconfident (its log-loss can be worse than the class prior's); the
    /// temperature fixes that without changing any prediction's class. It costs 3 extra head fits and is skipped, with
    /// the reason in <see cref="TrainingSummary.Calibration"/>, when a class has fewer than 3 training rows.
    /// </summary>
    [JsonPropertyName("calibrate")] public bool Calibrate { get; init; } = true;

    /// <summary>How samples are weighted by class.</summary>
    [JsonPropertyName("classWeighting")] public ClassWeighting ClassWeighting { get; init; } = ClassWeighting.None;

    /// <summary>With <see cref="ClassWeighting.Explicit"/>: one non-negative weight per class.</summary>
    [JsonPropertyName("classWeights")] public float[]? ClassWeights { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        static void Require(bool ok, string name, object? value, string rule)
        {
            if (!ok) throw new ArgumentException($"HeadOptions.{name} = {value} is invalid: {rule}.", name);
        }
        Require(Enum.IsDefined(Kind), nameof(Kind), Kind, "logistic or mlp");
        Require(double.IsFinite(L2Regularization) && L2Regularization >= 0, nameof(L2Regularization), L2Regularization, "a finite value ≥ 0");
        Require(MaxIterations >= 1, nameof(MaxIterations), MaxIterations, "≥ 1");
        Require(HistorySize is >= 1 and <= 100, nameof(HistorySize), HistorySize, "between 1 and 100");
        Require(double.IsFinite(Tolerance) && Tolerance >= 0, nameof(Tolerance), Tolerance, "a finite value ≥ 0");
        Require(HiddenSizes is not null && HiddenSizes.Length <= 2, nameof(HiddenSizes), HiddenSizes is null ? "null" : $"[{string.Join(",", HiddenSizes)}]", "0 to 2 hidden layers");
        foreach (int h in HiddenSizes!) Require(h is >= 1 and <= 1 << 16, nameof(HiddenSizes), h, "every hidden size between 1 and 65536");
        Require(Epochs >= 1, nameof(Epochs), Epochs, "≥ 1");
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, "≥ 1");
        Require(double.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), LearningRate, "a finite value > 0");
        Require(double.IsFinite(MinLearningRate) && MinLearningRate >= 0 && MinLearningRate <= LearningRate, nameof(MinLearningRate), MinLearningRate, "between 0 and LearningRate");
        Require(Enum.IsDefined(Schedule), nameof(Schedule), Schedule, "constant, cosine or step");
        Require(WarmupEpochs >= 0, nameof(WarmupEpochs), WarmupEpochs, "≥ 0");
        Require(StepEpochs >= 1, nameof(StepEpochs), StepEpochs, "≥ 1");
        Require(double.IsFinite(StepGamma) && StepGamma > 0 && StepGamma <= 1, nameof(StepGamma), StepGamma, "in (0, 1]");
        Require(Dropout is >= 0 and < 1, nameof(Dropout), Dropout, "in [0, 1)");
        Require(double.IsFinite(WeightDecay) && WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "a finite value ≥ 0");
        Require(Patience >= 0, nameof(Patience), Patience, "≥ 0");
        Require(ValidationFraction is >= 0 and < 1, nameof(ValidationFraction), ValidationFraction, "in [0, 1)");
        Require(Enum.IsDefined(ClassWeighting), nameof(ClassWeighting), ClassWeighting, "none, balanced or explicit");
        Require(ClassWeighting != ClassWeighting.Explicit || ClassWeights is not null, nameof(ClassWeights), "null", "required when ClassWeighting is explicit");
        if (ClassWeights is not null)
            foreach (float w in ClassWeights) Require(float.IsFinite(w) && w >= 0, nameof(ClassWeights), w, "every weight finite and ≥ 0");
    }
}
