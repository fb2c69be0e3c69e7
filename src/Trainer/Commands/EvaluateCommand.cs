using System.CommandLine;
using Pipeline.Classification;
using Pipeline.Datasets;
using Pipeline.Prediction;

namespace Trainer.Commands;

/// <summary><c>evaluate</c>: a saved model measured on a labelled folder (ML.NET's multiclass metrics).</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var command = new Command("evaluate", "Measure a saved model on a folder per class (or a manifest), with ML.NET's metrics. Images of classes the model does not know "
            + "are counted per class; they count as errors in microAccuracy and top-K accuracy, and at -ln(1e-15) = 34.5 each in logLoss (and so logLossReduction), while macroAccuracy, perClassLogLoss and the confusion matrix "
            + "cover the model's classes only (as in ML.NET). Data with no class of the model is refused (exit 3).");
        var model = new Option<string>("--model") { Description = "The model.zip to evaluate.", Required = true }.NotBlank("a model.zip file");
        var data = new Option<string>("--data") { Description = "A folder with one subfolder per class, or a CSV/TSV manifest of path,label.", Required = true }.NotBlank("a folder with one subfolder per class, or a .csv/.tsv manifest");
        var threads = ThreadsOption.Create("Threads to use.");
        var cache = new Option<string?>("--cache") { Description = "The feature cache folder (default: the user's cache folder)." }.NotBlank("a folder, or leave --cache out for the default one (--no-cache: none)");
        var noCache = new Option<bool>("--no-cache") { Description = "Do not read or write the feature cache." };
        foreach (Option option in new Option[] { model, data, threads, cache, noCache }) command.Options.Add(option);
        CommandKit.SetAction(command, (writer, parse, cancellation) =>
        {
            var options = CacheFolderCheck.Apply(new TrainerOptions { Threads = ThreadsOption.Read(parse, threads, writer) }, parse.GetValue(cache), parse.GetValue(noCache), writer);
            options.Validate();
            string dataPath = InputFiles.RequireData(parse.GetValue(data)!);
            using ImageClassifier classifier = ImageClassifier.Load(InputFiles.RequireModelZip(parse.GetValue(model)!), new ImageClassifierOptions { Threads = options.Threads });
            ImageDataset dataset = ImageDataset.Load(dataPath);
            RequireAClassOfTheModel(dataPath, dataset, classifier.Labels);
            EvaluationResult result = TrainingProgressDisplay.Run(writer, progress =>
                new ImageClassificationTrainer(options with { Progress = progress }).Evaluate(classifier, dataset, cancellation));
            MetricsText.Exclusions(writer, result.Excluded);
            Dictionary<string, int> unknown = UnknownClassImages(dataset, result);
            int unknownImages = unknown.Values.Sum();
            if (result.UnknownClasses.Count > 0)
                writer.Text($"classes the model does not know: {string.Join(", ", unknown.Select(u => $"{u.Key} ({u.Value} image{(u.Value == 1 ? "" : "s")})"))}. "
                    + $"These {unknownImages} of the {result.Images} images count as errors in microAccuracy and top-K accuracy, and at -ln(1e-15) = 34.5 each in logLoss (and so logLossReduction); "
                    + "macroAccuracy, the per-class rows and the confusion matrix below cover the model's classes only (as in ML.NET).");
            writer.Text(result.Metrics.ToTable([.. classifier.Labels, .. result.UnknownClasses]));
            WriteRecord(writer, result, classifier.Labels, unknown, unknownImages);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Refuses (exit 3) data that shares no class with the model: every image would be an error of a class the model
    /// cannot answer, and the run "succeeded" with every metric 0, which reads as a broken model instead of wrong data.
    /// </summary>
    private static void RequireAClassOfTheModel(string dataPath, ImageDataset data, IReadOnlyList<string> labels)
    {
        if (data.Classes.Any(c => labels.Contains(c, StringComparer.Ordinal))) return;
        throw new InvalidDatasetException(dataPath,
            $"none of its classes ({MetricsText.Names(data.Classes)}) is a class of the model ({MetricsText.Names(labels)}), so there is nothing to measure: "
            + "every image would count as an error. Evaluate on images of the model's classes, named exactly as when it was trained (case included).");
    }

    /// <summary>
    /// How many evaluated images each class the model does not know has, in the order of
    /// <see cref="EvaluationResult.UnknownClasses"/>: they are in no per-class metric, so without this they appear nowhere.
    /// </summary>
    private static Dictionary<string, int> UnknownClassImages(ImageDataset data, EvaluationResult result)
    {
        var excluded = new HashSet<string>(result.Excluded.Select(e => e.Path), StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string name in result.UnknownClasses) counts[name] = 0;
        foreach (ImageSample sample in data.Samples)
            if (counts.TryGetValue(data.Classes[sample.Label], out int n) && !excluded.Contains(sample.Path))
                counts[data.Classes[sample.Label]] = n + 1;
        return counts;
    }

    private static void WriteRecord(CommandOutput writer, EvaluationResult result, IReadOnlyList<string> classes, Dictionary<string, int> unknown, int unknownImages)
    {
        var m = result.Metrics;
        writer.Write(MetricsText.Summary("evaluation", m), new
        {
            command = "evaluate",
            // The model's classes: the order of perClassLogLoss and of the confusion matrix's rows and columns.
            classes,
            images = result.Images,
            microAccuracy = m.MicroAccuracy,
            macroAccuracy = m.MacroAccuracy,
            logLoss = m.LogLoss,
            logLossReduction = m.LogLossReduction,
            topKAccuracy = m.TopKAccuracy,
            perClassLogLoss = m.PerClassLogLoss,
            confusionMatrix = m.ConfusionMatrix,
            metrics = m,
            unknownClasses = result.UnknownClasses,
            unknownClassImages = unknown,
            unknownImages,
            excludedCount = result.Excluded.Count,
            excluded = MetricsText.ExclusionRecords(result.Excluded),
            featurization = MetricsText.FeaturizationRecord(result.Featurization),
        });
    }
}
