using System.CommandLine;
using System.Diagnostics;
using Pipeline.Classification;
using Pipeline.Datasets;

namespace Trainer.Commands;

/// <summary><c>cv</c>: k-fold stratified cross-validation with the same options as <c>train</c>; reports mean ± std.</summary>
internal static class CrossValidateCommand
{
    public static Command Create()
    {
        var command = new Command("cv", "Cross-validate the training options on a folder per class: k stratified folds from the seed, metrics as mean ± std.");
        var binder = new TrainingOptionsBinder();
        binder.AddTo(command);
        // train's --validation-fraction holds a part of each class out of training to measure the one model; cv has no
        // such part (each fold holds out 1/k of every class, and every image is measured once), so the option changed
        // nothing here while --help offered it. Refused by name rather than left unknown: a script written for train
        // gets the reason. (Nor is it the mlp's early-stopping holdout, which the head takes out of each training part, in cv as in train.)
        binder.ValidationFraction.Hidden = true;
        binder.ValidationFraction.Validators.Clear();
        binder.ValidationFraction.Validators.Add(result =>
        {
            if (!result.Implicit)
                result.AddError("--validation-fraction does not apply to cv: there is no separate validation part, each of the --folds k folds holds out 1/k of every class in turn, so every image is measured once; use --folds to choose how much is held out at a time, or train --validation-fraction to measure one model on a held-out part.");
        });
        var folds = new Option<int>("--folds") { Description = "Number of folds (at least 2, at most the number of images).", DefaultValueFactory = _ => 5 }.Within(2, int.MaxValue);
        command.Options.Add(folds);
        CommandKit.SetAction(command, (writer, parse, cancellation) =>
        {
            int k = parse.GetValue(folds);
            TrainerOptions options = binder.Build(parse, writer);
            ImageDataset data = ImageDataset.Load(InputFiles.RequireData(parse.GetValue(binder.Data)!));
            if (k > data.Count) throw new ArgumentException($"--folds {k}: more folds than the {data.Count} images; use 2 to {data.Count}.");
            var clock = Stopwatch.StartNew();
            CrossValidationResult result = TrainingProgressDisplay.Run(writer, progress =>
                new ImageClassificationTrainer(options with { Progress = progress }).CrossValidate(data, k, cancellation));
            MetricsText.Exclusions(writer, result.Excluded);
            var s = result.Summary;
            for (int i = 0; i < s.Folds.Length; i++) writer.Text(MetricsText.Summary($"fold {i + 1}/{s.Folds.Length}", s.Folds[i]));
            writer.Write($"{k}-fold cross-validation on {result.Images} images: microAccuracy {s.MicroAccuracy}, macroAccuracy {s.MacroAccuracy}, logLoss {s.LogLoss} ({clock.Elapsed.TotalSeconds:0.0} s)",
                new
                {
                    command = "cv",
                    folds = k,
                    // The order of perClassLogLoss and the confusion matrix rows and columns in each fold's metrics.
                    classes = data.Classes,
                    images = result.Images,
                    microAccuracy = s.MicroAccuracy,
                    macroAccuracy = s.MacroAccuracy,
                    logLoss = s.LogLoss,
                    summary = s,
                    excludedCount = result.Excluded.Count,
                    excluded = MetricsText.ExclusionRecords(result.Excluded),
                    featurization = MetricsText.FeaturizationRecord(result.Featurization),
                    elapsedMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
                });
            return ExitCodes.Ok;
        });
        return command;
    }
}
