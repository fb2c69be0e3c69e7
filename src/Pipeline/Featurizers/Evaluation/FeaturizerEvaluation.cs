using System.Diagnostics;
using Pipeline.Imaging;
using Pipeline.Training;
using Pipeline.Training.Data;
using Pipeline.Training.Metrics;

namespace Pipeline.Featurizers.Evaluation;

/// <summary>
/// The accuracy harness for featurizers: stratified k-fold cross-validation (Training's splits, from the head
/// options' seed) of a featurizer plus a head on a labelled image set. A fixed featurizer (a pretrained backbone)
/// featurizes every image once; a learned one (the filter bank) is retrained inside each fold on that fold's training
/// images only, so no validation image influences the features it is scored with.
/// </summary>
internal static class FeaturizerEvaluation
{
    /// <summary>Cross-validates a head on features computed once.</summary>
    public static CrossValidationSummary CrossValidate(float[] features, int dimension, int[] labels, int classCount, HeadOptions head, int folds)
        => CrossValidation.Run(new FeatureSet(features, dimension, labels, classCount), head, folds);

    /// <summary>
    /// Cross-validates a learned featurizer: in each fold, <paramref name="train"/> builds it from the fold's
    /// training images, every image of the fold is featurized with it, and the head trains and is scored.
    /// </summary>
    public static CrossValidationSummary CrossValidatePerFold(IReadOnlyList<Image> images, int[] labels, int classCount,
        Func<IReadOnlyList<Image>, IFeaturizer> train, HeadOptions head, int folds, TextWriter? log = null)
    {
        DataSplit[] splits = StratifiedSplits.KFold(labels, classCount, folds, head.Seed);
        var metrics = new MulticlassMetrics[splits.Length];
        for (int f = 0; f < splits.Length; f++)
        {
            var clock = Stopwatch.StartNew();
            Image[] trainImages = splits[f].Train.Select(i => images[i]).ToArray();
            Image[] validationImages = splits[f].Validation.Select(i => images[i]).ToArray();
            using IFeaturizer featurizer = train(trainImages);
            double learnSeconds = clock.Elapsed.TotalSeconds;
            var trainFeatures = new float[(long)trainImages.Length * featurizer.Dimension];
            var validationFeatures = new float[(long)validationImages.Length * featurizer.Dimension];
            featurizer.Featurize(trainImages, trainFeatures);
            featurizer.Featurize(validationImages, validationFeatures);
            double featurizeSeconds = clock.Elapsed.TotalSeconds - learnSeconds;
            var trainSet = new FeatureSet(trainFeatures, featurizer.Dimension, splits[f].Train.Select(i => labels[i]).ToArray(), classCount);
            var validationSet = new FeatureSet(validationFeatures, featurizer.Dimension, splits[f].Validation.Select(i => labels[i]).ToArray(), classCount);
            metrics[f] = ClassifierHead.Train(trainSet, head).Evaluate(validationSet);
            log?.WriteLine($"fold {f + 1}/{splits.Length}: microAccuracy {metrics[f].MicroAccuracy:F4} (learn {learnSeconds:F1} s, featurize {images.Count} images {featurizeSeconds:F1} s, head {clock.Elapsed.TotalSeconds - learnSeconds - featurizeSeconds:F1} s)");
        }
        return CrossValidationSummary.From(metrics);
    }
}
