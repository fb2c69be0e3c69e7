using Pipeline.Datasets;
using Pipeline.Training.Metrics;

namespace Pipeline.Classification;

/// <summary>What <see cref="ImageClassificationTrainer.Evaluate"/> measured.</summary>
/// <param name="Metrics">The metrics over every image (ML.NET's definitions and names).</param>
/// <param name="Images">Images evaluated (after exclusions).</param>
/// <param name="UnknownClasses">Classes of the data the model does not know (their images count as errors).</param>
/// <param name="Excluded">Every file left out, with the reason.</param>
/// <param name="Featurization">How featurizing went.</param>
public sealed record EvaluationResult(MulticlassMetrics Metrics, int Images, IReadOnlyList<string> UnknownClasses, IReadOnlyList<ExcludedFile> Excluded, FeaturizationReport Featurization);
