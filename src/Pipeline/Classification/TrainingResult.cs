using Pipeline.Datasets;
using Pipeline.Prediction;
using Pipeline.Training;
using Pipeline.Training.Metrics;

namespace Pipeline.Classification;

/// <summary>What <see cref="ImageClassificationTrainer.Fit"/> produced: the classifier, ready to predict and save, and how it did.</summary>
public sealed class TrainingResult : IDisposable
{
    internal TrainingResult(ImageClassifier classifier, MulticlassMetrics? metrics, int trainingImages, int validationImages,
        IReadOnlyList<ExcludedFile> excluded, TrainingSummary? head, FeaturizationReport featurization)
    {
        Classifier = classifier;
        ValidationMetrics = metrics;
        TrainingImages = trainingImages;
        ValidationImages = validationImages;
        Excluded = excluded;
        HeadSummary = head;
        Featurization = featurization;
    }

    /// <summary>The trained classifier (thread-safe; dispose it, or this result, when done).</summary>
    public ImageClassifier Classifier { get; }

    /// <summary>The metrics on the held-out validation images, or null when <see cref="TrainerOptions.ValidationFraction"/> is 0.</summary>
    public MulticlassMetrics? ValidationMetrics { get; }

    /// <summary>Images the head was trained on.</summary>
    public int TrainingImages { get; }

    /// <summary>Images held out for validation.</summary>
    public int ValidationImages { get; }

    /// <summary>Every file left out (by the dataset reader or because it failed to decode), with the reason.</summary>
    public IReadOnlyList<ExcludedFile> Excluded { get; }

    /// <summary>What happened while the head trained.</summary>
    public TrainingSummary? HeadSummary { get; }

    /// <summary>How featurizing went (cache hits, speed).</summary>
    public FeaturizationReport Featurization { get; }

    /// <summary>Saves the model atomically as a model.zip, unless <paramref name="cancellation"/> is triggered first (then nothing is replaced).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was triggered; nothing was replaced.</exception>
    public void Save(string path, CancellationToken cancellation = default) => Classifier.Save(path, cancellation);

    /// <summary>Disposes <see cref="Classifier"/>.</summary>
    public void Dispose() => Classifier.Dispose();
}
