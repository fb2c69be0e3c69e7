using Pipeline.Tensors.Parallelism;
using Pipeline.Training.Data;
using Pipeline.Training.Heads;
using Pipeline.Training.Metrics;
using Pipeline.Training.Numerics;

namespace Pipeline.Training;

/// <summary>
/// A classifier head: turns a feature vector (an embedding) into class probabilities. Train one with
/// <see cref="Train"/>, retrain it with new data and classes with <see cref="Retrain"/>, and store it as a
/// <see cref="Spec"/> (JSON) plus the bytes of <see cref="Serialize"/>. A head is immutable: prediction is thread-safe
/// and allocation-free.
/// </summary>
public sealed class ClassifierHead
{
    private readonly HeadModel _model;

    private ClassifierHead(HeadModel model, TrainingSummary? summary)
    {
        _model = model;
        Spec = model.Spec();
        Summary = summary;
    }

    /// <summary>The architecture, for a model package's manifest.</summary>
    public HeadSpec Spec { get; }

    /// <summary>The length of the feature vectors this head takes.</summary>
    public int FeatureDimension => _model.Layout.InputSize;

    /// <summary>The number of classes this head scores.</summary>
    public int ClassCount => _model.Layout.OutputSize;

    /// <summary>What happened during training; null for a head that was deserialized.</summary>
    public TrainingSummary? Summary { get; }

    internal HeadModel Model => _model;

    /// <summary>Trains a new head on <paramref name="train"/>.</summary>
    /// <param name="train">The training rows.</param>
    /// <param name="options">What to learn and how; validated first.</param>
    /// <param name="validation">Validation rows: the MLP stops early on their loss (without them it holds out
    /// <see cref="HeadOptions.ValidationFraction"/> of <paramref name="train"/>); logistic regression only reports their loss.</param>
    /// <param name="context">Threads, progress, cancellation and class names for messages; they never change the head's weights.</param>
    /// <exception cref="ArgumentException">Invalid options, or data that does not fit them.</exception>
    public static ClassifierHead Train(FeatureSet train, HeadOptions options, FeatureSet? validation = null, TrainingContext? context = null)
        => TrainCore(train, options, validation, context, previous: null);

    /// <summary>
    /// Warm-starts a new head from this one on new data, Model Builder style. The data's labels must keep this head's
    /// class indices; classes beyond <see cref="ClassCount"/> are new and are added (use
    /// <see cref="FeatureSet.WithClassCount"/> when the new data lacks the new classes' highest indices). The
    /// architecture (kind, hidden sizes, standardization) comes from this head; the standardization statistics are
    /// refitted on <paramref name="train"/> and the first layer re-expressed exactly, so training starts from this
    /// head's function. Old classes keep their behaviour as far as the new data agrees with it.
    /// </summary>
    /// <exception cref="ArgumentException">A different kind or hidden sizes in <paramref name="options"/>, a different
    /// feature dimension, or fewer classes than this head has.</exception>
    public ClassifierHead Retrain(FeatureSet train, HeadOptions options, FeatureSet? validation = null, TrainingContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Kind != Spec.Kind)
            throw new ArgumentException($"This head is {Spec.Kind} but the options ask for {options.Kind}; a warm start keeps the kind.", nameof(options));
        if (Spec.Kind == HeadKind.Mlp && !options.HiddenSizes.AsSpan().SequenceEqual(Spec.HiddenSizes))
            throw new ArgumentException($"This head's hidden sizes are [{string.Join(",", Spec.HiddenSizes)}] but the options ask for [{string.Join(",", options.HiddenSizes)}].", nameof(options));
        if (train.Dimension != FeatureDimension)
            throw new ArgumentException($"This head takes {FeatureDimension} features but the data has {train.Dimension}.", nameof(train));
        if (train.ClassCount < ClassCount)
            throw new ArgumentException($"This head has {ClassCount} classes but the data declares only {train.ClassCount}; classes cannot be removed by retraining.", nameof(train));
        return TrainCore(train, options, validation, context, _model);
    }

    private static ClassifierHead TrainCore(FeatureSet train, HeadOptions options, FeatureSet? validation, TrainingContext? context, HeadModel? previous)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        if (validation is not null && (validation.Dimension != train.Dimension || validation.ClassCount != train.ClassCount))
            throw new ArgumentException($"The validation set ({validation.Dimension} features, {validation.ClassCount} classes) does not match the training set ({train.Dimension}, {train.ClassCount}).", nameof(validation));
        context ??= TrainingContext.Default;
        ThreadLimits.Validate(context.MaxThreads, "TrainingContext.MaxThreads");
        int threads = ThreadLimits.Resolve(context.MaxThreads);
        using var pool = new WorkerPool(threads);
        FrozenParameters? frozen = previous is null ? null : FrozenParameters.For(previous, train);
        (HeadModel model, TrainingSummary summary) = Fit(train, validation, options, previous, frozen, pool, context);
        if (frozen is not null) summary = summary with { KeptClasses = [.. frozen.Classes] };
        if (!options.Calibrate) return new ClassifierHead(model, summary);
        float[] classWeights = ClassWeights.Resolve(options, train);
        if (TemperatureScaling.Unsupported(train, classWeights, context.ClassNames) is { } reason)
            return new ClassifierHead(model, summary with { Calibration = $"skipped: {reason}" });
        float[] logits = HeldOutLogits(train, options, previous, pool, context);
        if (FeatureSet.FirstNonFinite(logits) >= 0)
            return new ClassifierHead(model, summary with { Calibration = "skipped: the held-out logits are not all finite" });
        double beta = TemperatureScaling.FitInverseTemperature(logits, train.Labels.Span, ClassWeights.PerRow(classWeights, train), train.ClassCount);
        // At the upper bound, every held-out row was right with room to spare and sharper was always better: sharpened
        // 100-fold, the first mistake on a new image would cost a log-loss near 35. The head is left as it is.
        if (beta >= TemperatureScaling.MaxInverseTemperature)
            return new ClassifierHead(model, summary with { Calibration = "skipped: every held-out row is separated, so no finite temperature fits them" });
        // Every class alike, kept ones too: scaling only some would change which class wins.
        return new ClassifierHead(TemperatureScaling.Scale(model, beta), summary with
        {
            Calibration = $"temperature scaling ({TemperatureScaling.Folds}-fold)",
            Temperature = 1 / beta,
        });
    }

    private static (HeadModel, TrainingSummary) Fit(FeatureSet train, FeatureSet? validation, HeadOptions options, HeadModel? previous, FrozenParameters? frozen,
        WorkerPool pool, TrainingContext context)
        => options.Kind == HeadKind.Logistic
            ? LogisticTrainer.Train(train, validation, options, previous, frozen, pool, context, VectorWidths.Best)
            : MlpTrainer.Train(train, validation, options, previous, frozen, pool, context, VectorWidths.Best);

    /// <summary>
    /// Fits the head again on each fold's other rows (no progress reports) and returns, for every row, the logits of
    /// the fold fit that did not see it. Every fold fit starts from scratch, even when retraining: the old head has
    /// usually seen the rows a fold holds out, so a warm start from it would make their logits look too good and the
    /// temperature too low. The MLP folds hold out their own early-stopping rows, as a fit without a validation set does.
    /// </summary>
    private static float[] HeldOutLogits(FeatureSet train, HeadOptions options, HeadModel? previous, WorkerPool pool, TrainingContext context)
    {
        int k = train.ClassCount;
        var logits = new float[(long)train.Count * k];
        TrainingContext quiet = context with { Progress = null };
        HeadOptions foldOptions = previous is null ? options : options with { Standardize = previous.Standardized };
        foreach (DataSplit split in StratifiedSplits.KFold(train.Labels.Span, k, TemperatureScaling.Folds, options.Seed))
        {
            (HeadModel fold, _) = Fit(train.Subset(split.Train), null, foldOptions, previous: null, frozen: null, pool, quiet);
            FeatureSet held = train.Subset(split.Validation);
            var heldLogits = new float[(long)held.Count * k];
            fold.Forward(held.Features.Span, held.Count, heldLogits, probabilities: false, pool, VectorWidths.Best);
            for (int i = 0; i < split.Validation.Length; i++)
                heldLogits.AsSpan(i * k, k).CopyTo(logits.AsSpan(split.Validation[i] * k, k));
        }
        return logits;
    }

    /// <summary>Writes the class probabilities of one feature vector into <paramref name="probabilities"/> (length ≥ <see cref="ClassCount"/>).</summary>
    public void PredictProbabilities(ReadOnlySpan<float> features, Span<float> probabilities)
        => PredictProbabilities(features, 1, probabilities);

    /// <summary>Writes the class probabilities of <paramref name="count"/> feature vectors (row-major) into
    /// <paramref name="probabilities"/> (<paramref name="count"/> × <see cref="ClassCount"/>, row-major).</summary>
    public void PredictProbabilities(ReadOnlySpan<float> features, int count, Span<float> probabilities)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (features.Length != (long)count * FeatureDimension)
            throw new ArgumentException($"Expected {count} × {FeatureDimension} features, got {features.Length}.", nameof(features));
        if (probabilities.Length < (long)count * ClassCount)
            throw new ArgumentException($"The destination holds {probabilities.Length} floats; {count} × {ClassCount} are needed.", nameof(probabilities));
        if (count == 0) return;
        _model.Forward(features, count, probabilities, probabilities: true, pool: null, VectorWidths.Best);
    }

    /// <summary>The most probable class of one feature vector (the lowest index on a tie).</summary>
    public int PredictClass(ReadOnlySpan<float> features)
    {
        Span<float> probabilities = ClassCount <= 256 ? stackalloc float[ClassCount] : new float[ClassCount];
        PredictProbabilities(features, probabilities);
        int best = 0;
        for (int c = 1; c < probabilities.Length; c++) if (probabilities[c] > probabilities[best]) best = c;
        return best;
    }

    /// <summary>Scores <paramref name="data"/> and computes ML.NET's multiclass metrics; its labels may include classes
    /// this head does not know (indices ≥ <see cref="ClassCount"/>), which count as errors, as in ML.NET.</summary>
    public MulticlassMetrics Evaluate(FeatureSet data, int topK = MulticlassMetrics.DefaultTopK)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Dimension != FeatureDimension)
            throw new ArgumentException($"This head takes {FeatureDimension} features but the data has {data.Dimension}.", nameof(data));
        var probabilities = new float[(long)data.Count * ClassCount];
        PredictProbabilities(data.Features.Span, data.Count, probabilities);
        return MulticlassMetrics.Evaluate(probabilities, data.Labels.Span, ClassCount, topK);
    }

    /// <summary>The head's weights as bytes (the format is documented on the internal HeadFormat class: magic, version,
    /// sizes, standardization, parameters, SHA-256). Deterministic: the same head always gives the same bytes.</summary>
    public byte[] Serialize() => HeadFormat.Write(_model);

    /// <summary>Reads a head written by <see cref="Serialize"/>, checking it against <paramref name="expected"/> when given.</summary>
    /// <exception cref="InvalidDataException">Corrupt, truncated or foreign bytes, a newer format version, or a mismatch
    /// with <paramref name="expected"/>; the message names the field and gives a hint.</exception>
    public static ClassifierHead Deserialize(ReadOnlySpan<byte> weights, HeadSpec? expected = null)
    {
        HeadModel model = HeadFormat.Read(weights);
        var head = new ClassifierHead(model, summary: null);
        if (expected is not null && !expected.Equals(head.Spec))
            throw new InvalidDataException($"Head weights describe {Describe(head.Spec)} but the manifest says {Describe(expected)}; the package is inconsistent.");
        return head;
    }

    private static string Describe(HeadSpec spec)
        => $"{spec.Kind} d={spec.FeatureDimension} k={spec.ClassCount} hidden=[{string.Join(",", spec.HiddenSizes)}] activation={spec.Activation} standardized={spec.Standardized} v{spec.WeightsFormatVersion}";
}
