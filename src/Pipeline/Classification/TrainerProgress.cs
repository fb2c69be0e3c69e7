namespace Pipeline.Classification;

/// <summary>The stages of a training run, in the order they happen.</summary>
public enum TrainerStage
{
    /// <summary>Downloading the pretrained backbone (units: bytes).</summary>
    DownloadingBackbone,

    /// <summary>Decoding the training images the built-in featurizer learns from (units: images).</summary>
    Decoding,

    /// <summary>Learning the built-in featurizer's filter bank (no units: one report when it starts, one when done).</summary>
    LearningFeaturizer,

    /// <summary>Reading, decoding and featurizing the images, or finding them in the feature cache (units: images).</summary>
    Featurizing,

    /// <summary>Training the classifier head (units: L-BFGS iterations or MLP epochs; training may stop before the total).</summary>
    TrainingHead,

    /// <summary>Cross-validation folds (units: folds).</summary>
    CrossValidating,
}

/// <summary>One progress report of an <see cref="ImageClassificationTrainer"/>.</summary>
/// <param name="Stage">What is running.</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in all (0 when unknown).</param>
/// <param name="Detail">A short note, e.g. the cache hits or the current loss; may be null.</param>
public readonly record struct TrainerProgress(TrainerStage Stage, long Done, long Total, string? Detail = null);
