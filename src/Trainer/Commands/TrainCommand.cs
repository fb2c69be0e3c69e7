using System.CommandLine;
using System.Diagnostics;
using Pipeline.Classification;
using Pipeline.Datasets;

namespace Trainer.Commands;

/// <summary><c>train</c>: a folder of images (or a manifest) in, model.zip out, with validation metrics.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var command = new Command("train", "Train a classifier on a folder per class (or a CSV/TSV manifest) and save model.zip.");
        var binder = new TrainingOptionsBinder();
        binder.AddTo(command);
        var output = new Option<string>("--out") { Description = "The model file to write (atomically: an existing file is replaced only once the new one is complete). An existing file that is not a model.zip, or is one of the inputs, is refused.", DefaultValueFactory = _ => "model.zip" }.NotBlank("the file to write, such as model.zip");
        command.Options.Add(output);
        command.Options.Add(binder.Exemplars);
        CommandKit.SetAction(command, (writer, parse, cancellation) =>
        {
            string target = OutputFiles.RequireModel(parse.GetValue(output)!, ("--data", parse.GetValue(binder.Data)), ("--backbone", parse.GetValue(binder.Backbone)));
            TrainerOptions options = binder.Build(parse, writer) with { ExemplarsPerClass = parse.GetValue(binder.Exemplars) };
            ImageDataset data = ImageDataset.Load(InputFiles.RequireData(parse.GetValue(binder.Data)!));
            var clock = Stopwatch.StartNew();
            using TrainingResult result = TrainingProgressDisplay.Run(writer, progress =>
                new ImageClassificationTrainer(options with { Progress = progress }).Fit(data, cancellation));
            OutputFiles.Save(target, path => result.Save(path, cancellation));
            clock.Stop();
            long modelBytes = new FileInfo(target).Length;

            MetricsText.Exclusions(writer, result.Excluded);
            writer.Text($"trained on {result.TrainingImages} images of {result.Classifier.Labels.Count} classes ({string.Join(", ", result.Classifier.Labels)}), validated on {result.ValidationImages}");
            MetricsText.Calibration(writer, result.HeadSummary);
            if (result.ValidationMetrics is { } m) writer.Text(MetricsText.Summary("validation", m));
            writer.Write($"saved {target} ({modelBytes / 1024.0:0.#} KiB) in {clock.Elapsed.TotalSeconds:0.0} s",
                new
                {
                    command = "train",
                    model = target,
                    classes = result.Classifier.Labels,
                    trainingImages = result.TrainingImages,
                    validationImages = result.ValidationImages,
                    microAccuracy = result.ValidationMetrics?.MicroAccuracy,
                    macroAccuracy = result.ValidationMetrics?.MacroAccuracy,
                    logLoss = result.ValidationMetrics?.LogLoss,
                    logLossReduction = result.ValidationMetrics?.LogLossReduction,
                    metrics = result.ValidationMetrics,
                    excludedCount = result.Excluded.Count,
                    excluded = MetricsText.ExclusionRecords(result.Excluded),
                    featurization = MetricsText.FeaturizationRecord(result.Featurization),
                    head = result.HeadSummary,
                    modelBytes,
                    elapsedMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
                });
            return ExitCodes.Ok;
        });
        return command;
    }
}
