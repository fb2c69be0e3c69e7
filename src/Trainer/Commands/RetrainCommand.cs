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
    /// <summary>
    /// How far (absolute) the new model's microAccuracy on the shared validation images may fall below the old model's
    /// before retrain warns, and refuses to replace --model without --force. Smaller drops are within the noise of a
    /// few dozen validation images (one image of 40 is 0.025).
    /// </summary>
    internal const double AccuracyDropLimit = 0.05;

    /// <summary>
    /// The seed and validation fraction the model was trained with, where the command line does not give them: the old
    /// and the new model are then compared on a validation part the old one was not trained on (see the keyed split).
    /// </summary>
    private static (TrainerOptions Options, string? Note) SplitFromModel(ParseResult parse, TrainingOptionsBinder binder, ImageClassifier old, TrainerOptions options, CommandOutput writer)
    {
        if (old.Package.TrainingOptions is not { ValueKind: System.Text.Json.JsonValueKind.Object } record) return (options, null);
        if (!record.TryGetProperty("split", out var split) || split.ValueKind != System.Text.Json.JsonValueKind.String || split.GetString() != TrainingRecord.KeyedSplit)
        {
            writer.Warning("the model was made before validation images were chosen by path: some of the validation images below may be images it was trained on, which flatters the old model's metrics.");
            return (options, null);
        }
        var taken = new List<string>();
        if (parse.GetResult(binder.Seed) is not { Implicit: false } && record.TryGetProperty("seed", out var seed) && seed.TryGetInt32(out int s))
        {
            options = options with { Seed = s };
            taken.Add($"--seed {s}");
        }
        if (parse.GetResult(binder.Exemplars) is not { Implicit: false } && record.TryGetProperty("exemplarsPerClass", out var kept)
            && kept.TryGetInt32(out int k) && k is >= 0 and <= TrainerOptions.MaxExemplarsPerClass && k != options.ExemplarsPerClass)
        {
            options = options with { ExemplarsPerClass = k };
            taken.Add($"--exemplars {k}");
        }
        if (parse.GetResult(binder.ValidationFraction) is not { Implicit: false } && record.TryGetProperty("validationFraction", out var fraction)
            && fraction.TryGetDouble(out double f) && f is >= 0 and < 1)
        {
            options = options with { ValidationFraction = f };
            taken.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--validation-fraction {f}"));
        }
        return (options, taken.Count > 0 ? $"as the model was trained: {string.Join(", ", taken)}" : null);
    }

    public static Command Create()
    {
        var command = new Command("retrain", "Retrain a saved model on a folder per class (new classes allowed); compares old and new on the same validation split.");
        var model = new Option<string>("--model") { Description = "The model.zip to start from (never modified unless --out names it).", Required = true }.NotBlank("a model.zip file");
        var output = new Option<string>("--out") { Description = "The new model file (written atomically). It may be --model itself, unless the new model is clearly worse (see --force).", Required = true }.NotBlank("the file to write, such as model.zip");
        var force = new Option<bool>("--force") { Description = $"Replace --model with the new model even when its microAccuracy is more than {AccuracyDropLimit} below the old one's on the same validation images." };
        var binder = new TrainingOptionsBinder();
        command.Options.Add(model);
        command.Options.Add(binder.Data);
        foreach (Option option in binder.HeadSettings.Except(binder.ArchitectureOptions))
            command.Options.Add(option);
        foreach (Option option in new Option[] { binder.Seed, binder.Threads, binder.ValidationFraction, binder.Cache, binder.NoCache, binder.BackboneCache, binder.Exemplars, output, force })
            command.Options.Add(option);
        foreach (Option option in binder.ArchitectureOptions)
            command.Options.Add(Refused(option));
        CommandKit.SetAction(command, (writer, parse, cancellation) =>
        {
            string source = InputFiles.RequireModelZip(parse.GetValue(model)!);
            string target = OutputFiles.RequireModel(parse.GetValue(output)!, ("--data", parse.GetValue(binder.Data)));
            TrainerOptions options = binder.Build(parse, writer, headKindFromModel: true) with { ExemplarsPerClass = parse.GetValue(binder.Exemplars) };
            using ImageClassifier old = ImageClassifier.Load(source, new ImageClassifierOptions { Threads = options.Threads, BackboneCacheFolder = options.BackboneCacheFolder });
            binder.RejectFlagsFor(parse, old.Head.Spec.Kind, fromModel: true);
            (options, string? splitNote) = SplitFromModel(parse, binder, old, options, writer);
            ImageDataset data = ImageDataset.Load(InputFiles.RequireData(parse.GetValue(binder.Data)!));
            var clock = Stopwatch.StartNew();
            using RetrainingResult result = TrainingProgressDisplay.Run(writer, progress =>
                new ImageClassificationTrainer(options with { Progress = progress }).Retrain(old, data, cancellation));
            MetricsText.Exclusions(writer, result.Excluded);
            if (splitNote is not null) writer.Text(splitNote);
            if (result.NewClasses.Count > 0) writer.Text($"new classes: {string.Join(", ", result.NewClasses)}");
            string[] unrehearsed = [.. result.MissingClasses.Except(result.RehearsedClasses, StringComparer.Ordinal)];
            string[] missingRehearsed = [.. result.MissingClasses.Intersect(result.RehearsedClasses, StringComparer.Ordinal)];
            string[] unusable = [.. result.RehearsedClasses.Except(result.MissingClasses, StringComparer.Ordinal)];
            if (missingRehearsed.Length > 0)
                writer.Warning($"the data has no images of {string.Join(", ", missingRehearsed)}: the head was trained on the feature vectors the old model kept of them (--exemplars), so the other classes were not retrained blind to them, but nothing new was learned about them and the metrics below do not cover them.");
            if (unusable.Length > 0)
                writer.Warning($"no training image of {string.Join(", ", unusable)} could be used (see the excluded files): the head was trained on the feature vectors the old model kept of them instead.");
            if (unrehearsed.Length > 0)
                writer.Warning($"the data has no images of {string.Join(", ", unrehearsed)}, and the old model kept no feature vectors of them: the new model keeps these classes with their old weights, but the metrics below do not cover them, and the other classes were retrained without seeing them, so they may take some of their images. Retrain on all the images (old and new) for a reliable model.");
            MetricsText.Calibration(writer, result.HeadSummary);
            if (result.PreviousMetrics is { } before) writer.Text(MetricsText.Summary("old model on the validation images", before));
            if (result.ValidationMetrics is { } after) writer.Text(MetricsText.Summary("new model on the validation images", after));
            bool worse = result.PreviousMetrics?.MicroAccuracy - result.ValidationMetrics?.MicroAccuracy > AccuracyDropLimit;
            if (worse)
            {
                writer.Warning(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"THE NEW MODEL IS WORSE: microAccuracy {result.PreviousMetrics!.MicroAccuracy:0.0000} -> {result.ValidationMetrics!.MicroAccuracy:0.0000} on the same validation images (more than {AccuracyDropLimit} lower)."));
                if (OutputFiles.SameFile(target, source) && !parse.GetValue(force))
                    return writer.Error(ExitCodes.CheckFailed,
                        $"--out {parse.GetValue(output)}: is --model, and the new model is worse; the old model was left untouched. Write to another --out to keep both, or add --force to replace it anyway.",
                        target, "the retrained model is worse than the model it would replace");
            }
            OutputFiles.Save(target, path => result.Save(path, cancellation));
            writer.Write($"saved {target} in {clock.Elapsed.TotalSeconds:0.0} s", new
            {
                command = "retrain",
                model = target,
                classes = result.Classifier.Labels,
                newClasses = result.NewClasses,
                missingClasses = result.MissingClasses,
                rehearsedClasses = result.RehearsedClasses,
                worseThanPrevious = worse,
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
                featurization = MetricsText.FeaturizationRecord(result.Featurization),
                elapsedMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// <paramref name="option"/>, hidden from --help and refused while parsing (exit 2) with the reason. Left undeclared,
    /// it was "Unrecognized command or argument", once for the flag and once more for its value.
    /// </summary>
    private static Option Refused(Option option)
    {
        option.Hidden = true;
        option.Validators.Add(result =>
        {
            if (!result.Implicit)
                result.AddError($"{option.Name} does not apply to retrain, which keeps the model's featurizer and head architecture (backbone, tap, pooling, preprocessing, head kind, hidden sizes, standardization); to change them, train a new model with train --data <images> {option.Name} ... --out <new.zip>.");
        });
        return option;
    }
}
