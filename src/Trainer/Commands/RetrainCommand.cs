using System.CommandLine;
using System.Diagnostics;
using Pipeline.Classification;
using Pipeline.Datasets;
using Pipeline.Prediction;

namespace Trainer.Commands;

/// <summary>
/// <c>retrain</c>, Model Builder style: warm-starts from a saved model on new data (new classes allowed), reusing its
/// featurizer and the feature cache, and reports the old and the new model on the same validation images.
/// </summary>
internal static class RetrainCommand
{
    public static Command Create()
    {
        var command = new Command("retrain", "Retrain a saved model on a folder per class (new classes allowed); compares old and new on the same validation split.");
        var model = new Option<string>("--model") { Description = "The model.zip to start from (never modified unless --out names it).", Required = true };
        var output = new Option<string>("--out") { Description = "The new model file (written atomically).", Required = true };
        var binder = new TrainingOptionsBinder();
        command.Options.Add(model);
        command.Options.Add(binder.Data);
        // A warm start keeps the old head's standardization, so --no-standardize would do nothing here.
        foreach (Option option in binder.HeadSettings.Where(o => o != binder.NoStandardize))
            command.Options.Add(option);
        foreach (Option option in new Option[] { binder.Seed, binder.Threads, binder.ValidationFraction, binder.Cache, binder.NoCache, binder.BackboneCache, output })
            command.Options.Add(option);
        CommandKit.SetAction(command, (writer, parse) =>
        {
            string target = OutputFiles.RequireModel(parse.GetValue(output)!, ("--data", parse.GetValue(binder.Data)));
            TrainerOptions options = binder.Build(parse, writer, headKindFromModel: true);
            using ImageClassifier old = ImageClassifier.Load(parse.GetValue(model)!, new ImageClassifierOptions { Threads = options.Threads, BackboneCacheFolder = options.BackboneCacheFolder });
            binder.RejectFlagsFor(parse, old.Head.Spec.Kind);
            ImageDataset data = ImageDataset.Load(parse.GetValue(binder.Data)!);
            var clock = Stopwatch.StartNew();
            using RetrainingResult result = TrainingProgressDisplay.Run(writer, progress =>
                new ImageClassificationTrainer(options with { Progress = progress }).Retrain(old, data));
            OutputFiles.Save(target, result.Save);
            MetricsText.Exclusions(writer, result.Excluded);
            if (result.NewClasses.Count > 0) writer.Text($"new classes: {string.Join(", ", result.NewClasses)}");
            MetricsText.Calibration(writer, result.HeadSummary);
            if (result.PreviousMetrics is { } before) writer.Text(MetricsText.Summary("old model on the validation images", before));
            if (result.ValidationMetrics is { } after) writer.Text(MetricsText.Summary("new model on the validation images", after));
            writer.Write($"saved {target} in {clock.Elapsed.TotalSeconds:0.0} s", new
            {
                command = "retrain",
                model = target,
                classes = result.Classifier.Labels,
                newClasses = result.NewClasses,
                trainingImages = result.TrainingImages,
                validationImages = result.ValidationImages,
                previous = result.PreviousMetrics is { } p ? new { microAccuracy = p.MicroAccuracy, macroAccuracy = p.MacroAccuracy, logLoss = p.LogLoss, logLossReduction = p.LogLossReduction } : null,
                microAccuracy = result.ValidationMetrics?.MicroAccuracy,
                macroAccuracy = result.ValidationMetrics?.MacroAccuracy,
                logLoss = result.ValidationMetrics?.LogLoss,
                logLossReduction = result.ValidationMetrics?.LogLossReduction,
                metrics = result.ValidationMetrics,
                previousMetrics = result.PreviousMetrics,
                head = result.HeadSummary,
                excludedCount = result.Excluded.Count,
                excluded = MetricsText.ExclusionRecords(result.Excluded),
                elapsedMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
