using Pipeline.Datasets;
using Pipeline.Training.Metrics;

namespace Pipeline.Classification;

/// <summary>What <see cref="ImageClassificationTrainer.CrossValidate"/> measured: each fold's metrics and their mean ± standard deviation.</summary>
/// <param name="Summary">The folds' metrics and statistics (ML.NET's names).</param>
/// <param name="Images">Images used (after exclusions).</param>
/// <param name="Excluded">Every file left out, with the reason.</param>
/// <param name="Featurization">How featurizing went, over all folds.</param>
public sealed record CrossValidationResult(CrossValidationSummary Summary, int Images, IReadOnlyList<ExcludedFile> Excluded, FeaturizationReport Featurization);
