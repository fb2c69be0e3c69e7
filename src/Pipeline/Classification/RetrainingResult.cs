using Pipeline.Datasets;
using Pipeline.Prediction;
using Pipeline.Training;
using Pipeline.Training.Metrics;

namespace Pipeline.Classification;

/// <summary>What <see cref="ImageClassificationTrainer.Retrain"/> produced: the new classifier and old-versus-new metrics on the same validation images.</summary>
public sealed class RetrainingResult : IDisposable
{
    internal RetrainingResult(ImageClassifier classifier, MulticlassMetrics? previous, MulticlassMetrics? metrics, IReadOnlyList<string> newClasses,
        IReadOnlyList<string> missingClasses, IReadOnlyList<string> rehearsedClasses, int trainingImages, int validationImages, IReadOnlyList<ExcludedFile> excluded, TrainingSummary? head, FeaturizationReport featurization)
    {
        Classifier = classifier;
        PreviousMetrics = previous;
        ValidationMetrics = metrics;
        NewClasses = newClasses;
        MissingClasses = missingClasses;
        RehearsedClasses = rehearsedClasses;
        TrainingImages = trainingImages;
        ValidationImages = validationImages;
        Excluded = excluded;
        HeadSummary = head;
        Featurization = featurization;
    }

    /// <summary>The retrained classifier (dispose it, or this result, when done).</summary>
    public ImageClassifier Classifier { get; }

    /// <summary>The previous model on the new validation images (images of classes it did not know count as errors); null without validation images.</summary>
    public MulticlassMetrics? PreviousMetrics { get; }

    /// <summary>The retrained model on the same validation images; null without validation images.</summary>
    public MulticlassMetrics? ValidationMetrics { get; }

    /// <summary>Classes the data added to the model's labels (appended after the old ones).</summary>
    public IReadOnlyList<string> NewClasses { get; }

    /// <summary>
    /// The model's classes the data has no image of: the retrained head keeps them, but learned nothing new about them
    /// and they are not in the validation images, so the metrics say nothing about them.
    /// </summary>
    public IReadOnlyList<string> MissingClasses { get; }

    /// <summary>
    /// The model's classes without a training image (missing from the data, or none of their images in the training
    /// part could be used) that the head was trained on all the same, from the feature vectors the previous model kept
    /// of them (<see cref="TrainerOptions.ExemplarsPerClass"/>), so the other classes did not take their place. Such a
    /// class not listed here (the model kept no vectors) keeps only its old weights.
    /// </summary>
    public IReadOnlyList<string> RehearsedClasses { get; }

    /// <summary>Images the head was trained on (not counting the stored vectors of <see cref="RehearsedClasses"/>).</summary>
    public int TrainingImages { get; }

    /// <summary>Images held out for validation.</summary>
    public int ValidationImages { get; }

    /// <summary>Every file left out, with the reason.</summary>
    public IReadOnlyList<ExcludedFile> Excluded { get; }

    /// <summary>What happened while the head trained (its calibration included).</summary>
    public TrainingSummary? HeadSummary { get; }

    /// <summary>How featurizing went (a retrain reuses the feature cache of the original training).</summary>
    public FeaturizationReport Featurization { get; }

    /// <summary>Saves the model atomically as a model.zip, unless <paramref name="cancellation"/> is triggered first (then nothing is replaced).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was triggered; nothing was replaced.</exception>
    public void Save(string path, CancellationToken cancellation = default) => Classifier.Save(path, cancellation);

    /// <summary>Disposes <see cref="Classifier"/>.</summary>
    public void Dispose() => Classifier.Dispose();
}
