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
        var command = new Command("evaluate", "Measure a saved model on a folder per class (or a manifest); images of classes the model does not know count as errors.");
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
            EvaluationResult result = TrainingProgressDisplay.Run(writer, progress =>
                new ImageClassificationTrainer(options with { Progress = progress }).Evaluate(classifier, dataset, cancellation));
            MetricsText.Exclusions(writer, result.Excluded);
            if (result.UnknownClasses.Count > 0) writer.Text($"classes the model does not know (counted as errors): {string.Join(", ", result.UnknownClasses)}");
            writer.Text(result.Metrics.ToTable([.. classifier.Labels, .. result.UnknownClasses]));
            WriteRecord(writer, result);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteRecord(CommandOutput writer, EvaluationResult result)
    {
        var m = result.Metrics;
        writer.Write(MetricsText.Summary("evaluation", m), new
        {
            command = "evaluate",
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
            excludedCount = result.Excluded.Count,
            excluded = MetricsText.ExclusionRecords(result.Excluded),
            featurization = MetricsText.FeaturizationRecord(result.Featurization),
        });
    }
}
