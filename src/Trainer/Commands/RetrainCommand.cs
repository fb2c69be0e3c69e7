using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pipeline.Classification;
using Pipeline.Datasets;
using Pipeline.Prediction;
using Pipeline.Training;

namespace Trainer.Commands;

/// <summary>
/// <c>retrain</c>, Model Builder style: warm-starts from a saved model on new data (new classes allowed), reusing its
/// featurizer and the feature cache, and reports the old and the new model on the same validation images.
/// </summary>
internal static class RetrainCommand
{
    /// <summary>
    /// How far (absolute) the new model's microAccuracy on the shared validation images must fall below the old model's,
    /// by at least <see cref="MinImagesLost"/> images, before retrain warns, and refuses to replace --model without --force.
    /// </summary>
    internal const double AccuracyDropLimit = 0.05;

    /// <summary>
    /// How many fewer validation images the new model must get right before it is called worse. Why: on a small split
    /// one image is more than <see cref="AccuracyDropLimit"/> (1 of 16 is 0.0625), and one image changing sides is what a
    /// warm start, another seed or a new class does by chance to any image near the boundary: refusing a replace over it
    /// (11/16 -> 10/16) made retrain cry wolf. Two images is the smallest drop that is not a single coin flip. From 20
    /// validation images up, more than 0.05 already means at least 2 images, so larger splits are unaffected.
    /// </summary>
    internal const int MinImagesLost = 2;

    /// <summary>
    /// The new model is clearly worse: on the same validation images its microAccuracy is more than
    /// <see cref="AccuracyDropLimit"/> lower and it gets at least <see cref="MinImagesLost"/> fewer images right.
    /// <paramref name="lost"/>: how many fewer images it gets right (negative: more).
    /// </summary>
    internal static bool ClearlyWorse(Pipeline.Training.Metrics.MulticlassMetrics? before, Pipeline.Training.Metrics.MulticlassMetrics? after, out int lost)
    {
        lost = 0;
        if (before is null || after is null) return false;
        // Both were measured on the same images, so microAccuracy × count is each model's number of right answers. The
        // limit is compared in images too: 0.75 - 0.7 is 0.05000000000000004 in doubles, "more than 0.05" by rounding.
        int images = before.InstanceCount;
        lost = (int)Math.Round(before.MicroAccuracy * images) - (int)Math.Round(after.MicroAccuracy * images);
        return lost >= MinImagesLost && lost > AccuracyDropLimit * images + 1e-9;
    }

    /// <summary>
    /// The training settings the model was trained with (its manifest's <c>trainingOptions</c>) wherever the command line
    /// does not give them: the seed and validation fraction (so the old and the new model are compared on a validation
    /// part the old one was not trained on, see the keyed split), the exemplars, and every setting of the head (L2, class
    /// weighting, calibration, the mlp's epochs, learning rate, dropout, weight decay, patience, and the settings only C#
    /// can make). Without this, retrain quietly trained with train's defaults instead. Returns the settings taken, as the
    /// flags that would give them.
    /// </summary>
    private static (TrainerOptions Options, List<string> Inherited) AsTrained(ParseResult parse, TrainingOptionsBinder binder, ImageClassifier old, ImageDataset data, TrainerOptions options, CommandOutput writer)
    {
        var taken = new List<string>();
        if (old.Package.TrainingOptions is not { ValueKind: JsonValueKind.Object } record)
        {
            writer.Warning("the model records no training options (it was not made by train or retrain): every setting not given is train's default.");
            return (options with { ExemplarsPerClass = binder.ExemplarsOr(parse, null) }, taken);
        }
        if (!record.TryGetProperty("split", out var split) || split.ValueKind != JsonValueKind.String || split.GetString() != TrainingRecord.KeyedSplit)
            writer.Warning("the model was made before validation images were chosen by path: some of the validation images below may be images it was trained on, which flatters the old model's metrics.");
        if (!TrainingOptionsBinder.Given(parse, binder.Seed) && record.TryGetProperty("seed", out var seed) && seed.TryGetInt32(out int s))
        {
            options = options with { Seed = s };
            taken.Add($"--seed {s}");
        }
        if (!TrainingOptionsBinder.Given(parse, binder.ValidationFraction) && record.TryGetProperty("validationFraction", out var fraction)
            && fraction.TryGetDouble(out double f) && f is >= 0 and < 1)
        {
            options = options with { ValidationFraction = f };
            taken.Add($"--validation-fraction {Number(f)}");
        }
        int? exemplars = record.TryGetProperty("exemplarsPerClass", out var kept) && kept.TryGetInt32(out int k) && k is >= 0 and <= TrainerOptions.MaxExemplarsPerClass ? k : null;
        options = options with { ExemplarsPerClass = binder.ExemplarsOr(parse, exemplars) };
        if (!TrainingOptionsBinder.Given(parse, binder.Exemplars) && exemplars is { } e) taken.Add($"--exemplars {e}");

        if (RecordedHead(record, writer) is not { } recorded) return (options, taken);
        HeadOptions head = binder.BuildHead(parse, recorded);
        bool weightsDropped = false;
        if (head.ClassWeighting == ClassWeighting.Explicit)
        {
            // Explicit weights are one per class, in the model's class order: they mean nothing for a class the data adds.
            string[] added = [.. data.Classes.Except(old.Labels, StringComparer.Ordinal)];
            if (added.Length > 0 || head.ClassWeights?.Length != old.Labels.Count)
            {
                head = head with { ClassWeighting = ClassWeighting.None, ClassWeights = null };
                weightsDropped = true;
                writer.Warning($"the model was trained with explicit class weights, one for each of its {old.Labels.Count} classes; "
                    + (added.Length > 0 ? $"the data adds {string.Join(", ", added)}, which have none" : $"it records {recorded.ClassWeights?.Length ?? 0}")
                    + ", so this retrain weighs every image alike (--class-weights none). Give --class-weights balanced to weigh each class by its share of the images instead.");
            }
        }
        options = options with { Head = head };
        taken.AddRange(HeadSettingsTaken(parse, binder, head, old.Head.Spec.Kind, weightsDropped));
        return (options, taken);
    }

    /// <summary>
    /// The head options the model was trained with, or null (with a warning) when its record has none that are valid: a
    /// newer model's unknown settings are ignored, an impossible value is not passed off as one the user gave.
    /// </summary>
    private static HeadOptions? RecordedHead(JsonElement record, CommandOutput writer)
    {
        if (!record.TryGetProperty("head", out var json) || json.ValueKind != JsonValueKind.Object)
        {
            writer.Warning("the model records no head settings: every head setting not given is train's default.");
            return null;
        }
        try
        {
            HeadOptions head = json.Deserialize<HeadOptions>(Lenient) ?? throw new JsonException("null");
            head.Validate();
            return head;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or NotSupportedException)
        {
            writer.Warning($"the model's recorded head settings cannot be used ({CommandKit.WithoutParameterNote(ex as ArgumentException ?? new ArgumentException(ex.Message))}): every head setting not given is train's default.");
            return null;
        }
    }

    private static readonly JsonSerializerOptions Lenient = new(ModelLayout.Json) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    /// <summary>
    /// The inherited head settings that apply to the model's head kind, as the flags that give them; then the settings
    /// only C# can make (batch size, schedule, ...) where they differ from their defaults (at their defaults they are
    /// what any retrain would use, and listing a dozen of them would bury the ones a user can change).
    /// </summary>
    private static IEnumerable<string> HeadSettingsTaken(ParseResult parse, TrainingOptionsBinder binder, HeadOptions head, HeadKind kind, bool weightsDropped)
    {
        bool Taken(Option option) => !TrainingOptionsBinder.Given(parse, option);
        var flags = new List<string>();
        if (kind == HeadKind.Logistic)
        {
            if (Taken(binder.L2)) flags.Add($"--l2 {Number(head.L2Regularization)}");
        }
        else
        {
            if (Taken(binder.Epochs)) flags.Add($"--epochs {head.Epochs}");
            if (Taken(binder.LearningRate)) flags.Add($"--learning-rate {Number(head.LearningRate)}");
            if (Taken(binder.Dropout)) flags.Add($"--dropout {Number(head.Dropout)}");
            if (Taken(binder.WeightDecay)) flags.Add($"--weight-decay {Number(head.WeightDecay)}");
            if (Taken(binder.Patience)) flags.Add($"--patience {head.Patience}");
        }
        if (Taken(binder.ClassWeights) && !weightsDropped)
            flags.Add(head.ClassWeighting switch
            {
                ClassWeighting.Balanced => "--class-weights balanced",
                ClassWeighting.Explicit => $"class weights {string.Join(",", head.ClassWeights!.Select(w => w.ToString(CultureInfo.InvariantCulture)))} (explicit, set from C#)",
                _ => "--class-weights none",
            });
        if (Taken(binder.NoCalibration)) flags.Add(head.Calibrate ? "calibration on" : "--no-calibration");

        var defaults = new HeadOptions();
        var fromCode = new List<string>();
        void Differs<T>(string name, T value, T standard)
        {
            if (!EqualityComparer<T>.Default.Equals(value, standard)) fromCode.Add($"{name} {(value is double d ? Number(d) : value?.ToString()?.ToLowerInvariant())}");
        }
        if (kind == HeadKind.Logistic)
        {
            Differs("maxIterations", head.MaxIterations, defaults.MaxIterations);
            Differs("historySize", head.HistorySize, defaults.HistorySize);
            Differs("tolerance", head.Tolerance, defaults.Tolerance);
        }
        else
        {
            Differs("batchSize", head.BatchSize, defaults.BatchSize);
            Differs("minLearningRate", head.MinLearningRate, defaults.MinLearningRate);
            Differs("schedule", head.Schedule, defaults.Schedule);
            Differs("warmupEpochs", head.WarmupEpochs, defaults.WarmupEpochs);
            Differs("stepEpochs", head.StepEpochs, defaults.StepEpochs);
            Differs("stepGamma", head.StepGamma, defaults.StepGamma);
            Differs("early-stopping validationFraction", head.ValidationFraction, defaults.ValidationFraction);
        }
        if (fromCode.Count > 0) flags.Add($"set from C#: {string.Join(", ", fromCode)}");
        return flags;
    }

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);

    public static Command Create()
    {
        var command = new Command("retrain", "Retrain a saved model on a folder per class (new classes allowed); compares old and new on the same validation split. "
            + "Every training setting not given (seed, validation fraction, exemplars, the head's settings) is the one the model was trained with.");
        var model = new Option<string>("--model") { Description = "The model.zip to start from (never modified unless --out names it).", Required = true }.NotBlank("a model.zip file");
        var output = new Option<string>("--out") { Description = "The new model file (written atomically). It may be --model itself, unless the new model is clearly worse (see --force).", Required = true }.NotBlank("the file to write, such as model.zip");
        var force = new Option<bool>("--force") { Description = string.Create(CultureInfo.InvariantCulture, $"Replace --model with the new model even when it is clearly worse: its microAccuracy on the same validation images more than {AccuracyDropLimit} below the old one's, and at least {MinImagesLost} images fewer right (one image either way is noise).") };
        var binder = new TrainingOptionsBinder();
        binder.DefaultToTheModel();
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
            TrainerOptions options = binder.Build(parse, writer, headKindFromModel: true);
            using ImageClassifier old = ImageClassifier.Load(source, new ImageClassifierOptions { Threads = options.Threads, BackboneCacheFolder = options.BackboneCacheFolder });
            binder.RejectFlagsFor(parse, old.Head.Spec.Kind, fromModel: true);
            ImageDataset data = ImageDataset.Load(InputFiles.RequireData(parse.GetValue(binder.Data)!));
            (options, List<string> inherited) = AsTrained(parse, binder, old, data, options, writer);
            var clock = Stopwatch.StartNew();
            using RetrainingResult result = TrainingProgressDisplay.Run(writer, progress =>
                new ImageClassificationTrainer(options with { Progress = progress }).Retrain(old, data, cancellation));
            MetricsText.Exclusions(writer, result.Excluded);
            if (inherited.Count > 0) writer.Text($"as the model was trained: {string.Join(", ", inherited)}");
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
            bool worse = ClearlyWorse(result.PreviousMetrics, result.ValidationMetrics, out int lost);
            if (worse)
            {
                writer.Warning(string.Create(CultureInfo.InvariantCulture,
                    $"THE NEW MODEL IS WORSE: microAccuracy {result.PreviousMetrics!.MicroAccuracy:0.0000} -> {result.ValidationMetrics!.MicroAccuracy:0.0000} on the same {result.ValidationMetrics.InstanceCount} validation images ({lost} fewer right: more than {AccuracyDropLimit} lower, and at least {MinImagesLost} images)."));
                if (OutputFiles.SameFile(target, source) && !parse.GetValue(force))
                    return writer.Error(ExitCodes.CheckFailed,
                        $"--out {parse.GetValue(output)}: is --model, and the new model is worse; the old model was left untouched. Write to another --out to keep both, or add --force to replace it anyway.",
                        target, "the retrained model is worse than the model it would replace");
            }
            else if (lost > 0)
            {
                writer.Text(string.Create(CultureInfo.InvariantCulture,
                    $"the new model gets {lost} of the {result.ValidationMetrics!.InstanceCount} validation images fewer right than the old one: not called worse, which takes more than {AccuracyDropLimit} lower and at least {MinImagesLost} images fewer right (one image either way is noise)."));
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
                validationImagesLost = result.PreviousMetrics is null ? (int?)null : lost,
                inherited,
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
