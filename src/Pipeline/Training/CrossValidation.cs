using Pipeline.Training.Data;
using Pipeline.Training.Metrics;

namespace Pipeline.Training;

/// <summary>Stratified k-fold cross-validation of a head on precomputed features.</summary>
public static class CrossValidation
{
    /// <summary>
    /// Splits <paramref name="data"/> into <paramref name="folds"/> stratified folds (from <see cref="HeadOptions.Seed"/>),
    /// trains a head on each fold's training part and evaluates it on the fold's validation part.
    /// </summary>
    /// <param name="data">All rows.</param>
    /// <param name="options">The head's options (the same for every fold).</param>
    /// <param name="folds">The number of folds (2 to the number of rows).</param>
    /// <param name="context">Threads, progress and cancellation.</param>
    /// <param name="topK">The K of top-K accuracy.</param>
    public static CrossValidationSummary Run(FeatureSet data, HeadOptions options, int folds = 5, TrainingContext? context = null, int topK = MulticlassMetrics.DefaultTopK)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        DataSplit[] splits = StratifiedSplits.KFold(data.Labels.Span, data.ClassCount, folds, options.Seed);
        var metrics = new MulticlassMetrics[splits.Length];
        for (int f = 0; f < splits.Length; f++)
        {
            FeatureSet train = data.Subset(splits[f].Train), validation = data.Subset(splits[f].Validation);
            ClassifierHead head = ClassifierHead.Train(train, options, validation: null, context);
            metrics[f] = head.Evaluate(validation, topK);
        }
        return CrossValidationSummary.From(metrics);
    }
}
