using System.CommandLine;
using Pipeline.Classification;
using Pipeline.Featurizers.Backbones;
using Pipeline.Imaging.Processing;
using Pipeline.Training;

namespace Trainer.Commands;

/// <summary>
/// The options that decide how a model is trained, shared by <c>train</c>, <c>cv</c> and <c>retrain</c>, and their
/// translation into <see cref="TrainerOptions"/>.
/// </summary>
internal sealed class TrainingOptionsBinder
{
    public Option<string> Data { get; } = new Option<string>("--data") { Description = "A folder with one subfolder per class, or a CSV/TSV manifest of path,label.", Required = true }.NotBlank("a folder with one subfolder per class, or a .csv/.tsv manifest");
    public Option<string?> Backbone { get; } = new Option<string?>("--backbone") { Description = "A registry name (e.g. mobilenet_v2_1.0_224_quant; downloaded on first use) or an .onnx/.tflite file. Default: the built-in featurizer (no pretrained weights)." }.NotBlank("a backbone: a registry name or an .onnx/.tflite file, or leave --backbone out for the built-in featurizer");
    public Option<string[]> Tap { get; } = new("--tap") { Description = "Backbone tensor(s) to pool (default: the last feature map before the classifier, found automatically).", AllowMultipleArgumentsPerToken = true };
    public Option<string> Pooling { get; } = new("--pooling") { Description = "gap | gmp | gem[:p] | spp[:levels][:max|avg] | concat (default gem, p = 3).", DefaultValueFactory = _ => TrainerDefaults.Pooling };
    public Option<bool> Mirror { get; } = new("--mirror") { Description = "Average each image's backbone features with its mirror image's." };
    public Option<string> Normalize { get; } = new("--normalize") { Description = "L2-normalize the pooled backbone features: none | per-tap | final | both.", DefaultValueFactory = _ => "none" };
    public Option<string?> Resize { get; } = new("--resize") { Description = "Backbone input: how an image is fitted to the input size: Fill | IsoPad | IsoCrop | ShorterSideThenCenterCrop (default: the model's or registry's, else IsoCrop)." };
    public Option<string?> Anchor { get; } = new("--anchor") { Description = "Backbone input: the part a crop keeps or where a padded picture sits: Center | Top | Bottom | Left | Right | ... (default Center)." };
    public Option<int?> ShorterSide { get; } = new Option<int?>("--shorter-side") { Description = "Backbone input, ShorterSideThenCenterCrop: the shorter side before the crop (default: the input size / 0.875)." };
    public Option<string?> Filter { get; } = new("--filter") { Description = "Backbone input: the resampling filter: Nearest | Bilinear | Bicubic (default Bilinear)." };
    public Option<string?> Channels { get; } = new("--channels") { Description = "Backbone input: the channel order the network expects: rgb | bgr (default rgb)." };
    public Option<string?> Mean { get; } = new("--mean") { Description = "Backbone input (float): the per-channel mean on the 0-1 scale, r,g,b or one value, as in (pixel / 255 - mean) / std (default: the registry's, else ImageNet's 0.485,0.456,0.406)." };
    public Option<string?> Std { get; } = new("--std") { Description = "Backbone input (float): the per-channel std on the 0-1 scale, r,g,b or one value (default: the registry's, else ImageNet's 0.229,0.224,0.225)." };
    public Option<string> Head { get; } = new("--head") { Description = "logistic (L-BFGS, L2) or mlp (AdamW, dropout, early stopping).", DefaultValueFactory = _ => "logistic" };
    public Option<string> ClassWeights { get; } = new("--class-weights") { Description = "none, or balanced: each class weighs in inversely to its share of the training images.", DefaultValueFactory = _ => "none" };
    public Option<bool> NoStandardize { get; } = new("--no-standardize") { Description = "Train the head on the raw features instead of standardizing each one to zero mean and unit variance." };
    public Option<bool> NoCalibration { get; } = new("--no-calibration") { Description = "Keep the head's raw probabilities instead of calibrating them by temperature scaling on 3 held-out folds (3 extra head fits; never changes a prediction's class)." };
    public Option<double?> L2 { get; } = new("--l2") { Description = $"L2 regularization strength of the head. [default: {Defaults.L2Regularization}]" };
    public Option<string?> Hidden { get; } = new("--hidden") { Description = $"mlp: hidden layer sizes, comma-separated (at most two). [default: {string.Join(",", Defaults.HiddenSizes)}]" };
    public Option<int?> Epochs { get; } = new("--epochs") { Description = $"mlp: the most epochs to train. [default: {Defaults.Epochs}]" };
    public Option<double?> LearningRate { get; } = new("--learning-rate") { Description = $"mlp: the peak learning rate (cosine schedule). [default: {Defaults.LearningRate}]" };
    public Option<double?> Dropout { get; } = new("--dropout") { Description = $"mlp: dropout probability on the hidden layers. [default: {Defaults.Dropout}]" };
    public Option<double?> WeightDecay { get; } = new("--weight-decay") { Description = $"mlp: AdamW weight decay. [default: {Defaults.WeightDecay}]" };
    public Option<int?> Patience { get; } = new("--patience") { Description = $"mlp: epochs without a better validation loss before stopping early (0: never stop early). [default: {Defaults.Patience}]" };
    public Option<int> Seed { get; } = new("--seed") { Description = "The seed of every random choice: the same seed and data give the same model.zip.", DefaultValueFactory = _ => 1 };
    public Option<int> Threads { get; } = ThreadsOption.Create("Threads to use; never changes the model.");
    public Option<double> ValidationFraction { get; } = new Option<double>("--validation-fraction") { Description = "Share of each class held out to measure the model: 0 (none, no metrics) up to but not including 1.", DefaultValueFactory = _ => 0.2 }.AtLeastAndBelow(0, 1);
    public Option<string?> Cache { get; } = new Option<string?>("--cache") { Description = "The feature cache folder (default: the user's cache folder)." }.NotBlank("a folder, or leave --cache out for the default one (--no-cache: none)");
    public Option<bool> NoCache { get; } = new("--no-cache") { Description = "Do not read or write the feature cache." };
    public Option<int> Exemplars { get; } = new Option<int>("--exemplars") { Description = "Training feature vectors of each class to keep in model.zip, so a later retrain on data that lacks a class still trains on it (0: none; a smaller model). retrain: the model's own setting unless given.", DefaultValueFactory = _ => TrainerDefaults.ExemplarsPerClass }.Within(0, TrainerOptions.MaxExemplarsPerClass);
    public Option<string?> BackboneCache { get; } = new Option<string?>("--backbone-cache") { Description = "Where downloaded backbones are kept (default: the user's cache folder)." }.NotBlank("a folder, or leave --backbone-cache out for the default one");

    private static readonly HeadOptions Defaults = new();
    private static readonly TrainerOptions TrainerDefaults = new();

    /// <summary>
    /// --seed's declared default. <see cref="DefaultToTheModel"/> takes the default away (so that retrain's --help says
    /// "the model's"), and <see cref="Build"/> then falls back on this for a command line that leaves --seed out.
    /// </summary>
    internal const int DefaultSeed = 1;

    /// <summary>Set by <see cref="DefaultToTheModel"/>.</summary>
    private bool _defaultsFromModel;

    /// <summary>
    /// The options whose default, in <c>retrain</c>, is the setting the model was trained with (recorded in its
    /// manifest's <c>trainingOptions</c>): the seed, the validation fraction, the exemplars and the head's settings.
    /// </summary>
    public IEnumerable<Option> InheritedOptions => [Seed, ValidationFraction, Exemplars, .. HeadSettings.Except(ArchitectureOptions)];

    /// <summary>The options that shape the head (<c>retrain</c> takes these but not the featurizer's).</summary>
    public IEnumerable<Option> HeadOptions => [Head, .. HeadSettings];

    /// <summary>The head's settings without its kind (<c>retrain</c> keeps the old model's kind).</summary>
    public IEnumerable<Option> HeadSettings => [ClassWeights, NoStandardize, NoCalibration, L2, Hidden, Epochs, LearningRate, Dropout, WeightDecay, Patience];

    /// <summary>
    /// The options that make a model's featurizer (backbone, tap, pooling, preprocessing) and its head's architecture
    /// (kind, hidden sizes, standardization): <c>retrain</c> keeps the model's, so it refuses these.
    /// </summary>
    public IEnumerable<Option> ArchitectureOptions => [Backbone, Tap, Pooling, Mirror, Normalize, .. PreprocessingOptions, Head, Hidden, NoStandardize];

    /// <summary>The options that change a backbone's input preprocessing.</summary>
    private Option[] PreprocessingOptions => [Resize, Anchor, ShorterSide, Filter, Channels, Mean, Std];

    /// <summary>Adds every option, <c>--data</c> included when <paramref name="withData"/>.</summary>
    public void AddTo(Command command, bool withData = true)
    {
        if (withData) command.Options.Add(Data);
        foreach (Option option in (Option[])[Backbone, Tap, Pooling, Mirror, Normalize, .. PreprocessingOptions])
            command.Options.Add(option);
        foreach (Option option in HeadOptions)
            command.Options.Add(option);
        foreach (Option option in new Option[] { Seed, Threads, ValidationFraction, Cache, NoCache, BackboneCache })
            command.Options.Add(option);
    }

    /// <summary>
    /// For <c>retrain</c>: every option of <see cref="InheritedOptions"/> defaults to the model's own setting, and its
    /// --help says so ("[default: the model's]") instead of the value train would use, which retrain would not. The
    /// declared defaults are taken off the options (this binder is retrain's own), so <see cref="Build"/> reads the
    /// command line's defaults from here instead, for a model that records no setting; the command applies the model's.
    /// </summary>
    public void DefaultToTheModel()
    {
        _defaultsFromModel = true;
        Seed.DefaultValueFactory = null;
        ValidationFraction.DefaultValueFactory = null;
        Exemplars.DefaultValueFactory = null;
        ClassWeights.DefaultValueFactory = null;
        foreach (Option option in InheritedOptions)
        {
            string description = System.Text.RegularExpressions.Regex.Replace(option.Description ?? "", @"\s*\[default: [^\]]*\]\s*$", "")
                .Replace(" retrain: the model's own setting unless given.", "", StringComparison.Ordinal);
            option.Description = description + (option == NoCalibration
                ? " [default: the model's; --no-calibration false calibrates a model trained without it]"
                : option == ClassWeights
                    ? " [default: the model's; explicit weights set from C# are kept only while the data adds no class]"
                    : " [default: the model's]");
        }
    }

    /// <summary>
    /// The trainer options the command line asks for (notes such as an oversubscribed --threads go to
    /// <paramref name="output"/>); throws <see cref="ArgumentException"/> naming a bad value, or a
    /// flag given where it has no effect (a backbone flag without <c>--backbone</c>; an mlp flag for the logistic head
    /// or an L2 strength for the mlp). With <paramref name="headKindFromModel"/> (retrain) the head's kind is not known
    /// yet: call <see cref="RejectFlagsFor"/> once it is.
    /// </summary>
    public TrainerOptions Build(ParseResult parse, CommandOutput output, bool headKindFromModel = false)
    {
        if (parse.GetValue(Backbone) is null)
            foreach (Option option in (Option[])[Tap, Pooling, Mirror, Normalize, .. PreprocessingOptions])
                if (Given(parse, option))
                    throw new ArgumentException($"{option.Name} applies to a pretrained backbone; add --backbone <name|path> (the built-in featurizer {(PreprocessingOptions.Contains(option) ? "prepares its images" : "pools")} its own way).");
        if (parse.GetValue(Backbone) is { } backbone && LooksLikePath(backbone) && !File.Exists(backbone))
            throw CommandFailureException.BadFile("--backbone", backbone, Directory.Exists(backbone)
                ? "is a folder; name an .onnx or .tflite file, or a registry name."
                : "no such file (a registry name, such as mobilenet_v2_1.0_224_quant, has no folder or .onnx/.tflite extension).");
        if (!headKindFromModel)
            RejectFlagsFor(parse, string.Equals(parse.GetValue(Head), "mlp", StringComparison.OrdinalIgnoreCase) ? HeadKind.Mlp : HeadKind.Logistic);
        string normalize = parse.GetValue(Normalize) ?? "none";
        L2Normalization normalization = normalize.ToLowerInvariant() switch
        {
            "none" => L2Normalization.None,
            "per-tap" => L2Normalization.PerTap,
            "final" => L2Normalization.Final,
            "both" => L2Normalization.Both,
            _ => throw new ArgumentException($"--normalize '{normalize}' is unknown: use none, per-tap, final or both."),
        };
        string[] taps = parse.GetValue(Tap) ?? [];
        var options = new TrainerOptions
        {
            Seed = ValueOr(parse, Seed, DefaultSeed),
            Backbone = parse.GetValue(Backbone),
            Pooling = parse.GetValue(Pooling) ?? TrainerDefaults.Pooling,
            Taps = taps.Length > 0 ? taps : null,
            MirrorAverage = parse.GetValue(Mirror),
            Normalization = normalization,
            Preprocessing = BuildPreprocessing(parse),
            Head = BuildHead(parse),
            ValidationFraction = ValueOr(parse, ValidationFraction, TrainerDefaults.ValidationFraction),
            Threads = ThreadsOption.Read(parse, Threads, output),
            BackboneCacheFolder = parse.GetValue(BackboneCache),
        };
        options = CacheFolderCheck.Apply(options, parse.GetValue(Cache), parse.GetValue(NoCache), output);
        options.Validate();
        return options;
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when a flag of the other head kind was given. <paramref name="fromModel"/>:
    /// the kind is the old model's (retrain), which has no --head to suggest.
    /// </summary>
    public void RejectFlagsFor(ParseResult parse, HeadKind kind, bool fromModel = false)
    {
        bool mlp = kind == HeadKind.Mlp;
        string hint = (mlp, fromModel) switch
        {
            (true, _) => "its regularization is --weight-decay",
            (false, false) => "add --head mlp",
            (false, true) => "retrain keeps the model's head kind; train a new model with --head mlp for an mlp",
        };
        foreach (Option option in mlp ? new Option[] { L2 } : [Hidden, Epochs, LearningRate, Dropout, WeightDecay, Patience])
            if (Given(parse, option))
                throw new ArgumentException($"{option.Name} does not apply to the {(fromModel ? "model's " : "")}{(mlp ? "mlp" : "logistic")} head ({hint}).");
    }

    /// <summary>A --backbone value that can only be a file: it has a folder or a network file's extension (registry names have neither).</summary>
    private static bool LooksLikePath(string backbone) =>
        backbone.IndexOfAny(['/', '\\']) >= 0 || Path.GetExtension(backbone).ToLowerInvariant() is ".onnx" or ".tflite";

    /// <summary>Whether the command line gives <paramref name="option"/> (a default value does not count).</summary>
    internal static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>The option's value, or <paramref name="fallback"/> where <see cref="DefaultToTheModel"/> took its default away and the command line leaves it out.</summary>
    private T ValueOr<T>(ParseResult parse, Option<T> option, T fallback)
        => _defaultsFromModel && !Given(parse, option) ? fallback : parse.GetValue(option)!;

    /// <summary>
    /// The model's training value of <see cref="Exemplars"/> where the command line leaves it out, or the command line's
    /// (retrain: after <see cref="DefaultToTheModel"/>, <paramref name="recorded"/> null falls back on train's default).
    /// </summary>
    public int ExemplarsOr(ParseResult parse, int? recorded)
        => Given(parse, Exemplars) ? parse.GetValue(Exemplars) : recorded ?? ValueOr(parse, Exemplars, TrainerDefaults.ExemplarsPerClass);

    /// <summary>The backbone preprocessing changes the command line asks for, or null for none.</summary>
    private PreprocessingOverrides? BuildPreprocessing(ParseResult parse)
    {
        var overrides = new PreprocessingOverrides
        {
            Mode = EnumValue<ResizeMode>(parse, Resize),
            Anchor = EnumValue<CropAnchor>(parse, Anchor),
            ShorterSide = parse.GetValue(ShorterSide) is { } side
                ? side is >= 1 and <= ImagePreprocessing.MaxSide ? side : throw new ArgumentException($"--shorter-side {side} is out of range: use 1 to {ImagePreprocessing.MaxSide}.")
                : null,
            Filter = EnumValue<ResamplingFilter>(parse, Filter),
            Channels = parse.GetValue(Channels) is { } channels
                ? channels.ToLowerInvariant() switch
                {
                    "rgb" => ChannelOrder.Rgb,
                    "bgr" => ChannelOrder.Bgr,
                    _ => throw new ArgumentException($"--channels '{channels}' is unknown: use rgb or bgr."),
                }
                : null,
            Mean = ChannelTriple(parse, Mean, positive: false),
            Std = ChannelTriple(parse, Std, positive: true),
        };
        return overrides.IsEmpty ? null : overrides;
    }

    private static T? EnumValue<T>(ParseResult parse, Option<string?> option) where T : struct, Enum
    {
        if (parse.GetValue(option) is not { } text) return null;
        // By name only, as every enum option is read (ValueParsers): not a number, nor a comma list OR-ed into some other member.
        return ValueParsers.TryParse(text, out T value) ? value
            : throw new ArgumentException($"{option.Name} '{text}' is unknown: use {string.Join(", ", Enum.GetNames<T>())}.");
    }

    /// <summary>Three comma-separated numbers (r,g,b) or one for every channel; finite, and positive when <paramref name="positive"/>.</summary>
    private static ChannelValues? ChannelTriple(ParseResult parse, Option<string?> option, bool positive)
    {
        if (parse.GetValue(option) is not { } text) return null;
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        bool ok = parts.Length is 1 or 3;
        for (int i = 0; ok && i < parts.Length; i++)
            ok = float.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i])
                 && float.IsFinite(values[i]) && (!positive || values[i] > 0);
        if (!ok)
            throw new ArgumentException($"{option.Name} '{text}': expected r,g,b or one value for every channel, such as 0.485,0.456,0.406{(positive ? ", each above 0" : "")}.");
        return values.Length == 1 ? new ChannelValues(values[0], values[0], values[0]) : new ChannelValues(values[0], values[1], values[2]);
    }

    /// <summary>
    /// The head options the command line asks for, every other setting as <paramref name="recorded"/> has it (retrain:
    /// the head options the model was trained with), or at its default when that is null. <paramref name="recorded"/>
    /// must be valid: an invalid value is reported as the flag that sets it, which the user did not give.
    /// </summary>
    public HeadOptions BuildHead(ParseResult parse, HeadOptions? recorded = null)
    {
        HeadOptions baseline = recorded ?? Defaults;
        HeadKind kind = baseline.Kind;
        if (recorded is null || Given(parse, Head))
        {
            string head = parse.GetValue(Head) ?? "logistic";
            kind = head.ToLowerInvariant() switch
            {
                "logistic" => HeadKind.Logistic,
                "mlp" => HeadKind.Mlp,
                _ => throw new ArgumentException($"--head '{head}' is unknown: use logistic or mlp."),
            };
        }
        ClassWeighting weighting = baseline.ClassWeighting;
        float[]? classWeights = baseline.ClassWeights;
        if (recorded is null || Given(parse, ClassWeights))
        {
            string weights = parse.GetValue(ClassWeights) ?? "none";
            weighting = weights.ToLowerInvariant() switch
            {
                "none" => ClassWeighting.None,
                "balanced" => ClassWeighting.Balanced,
                _ => throw new ArgumentException($"--class-weights '{weights}' is unknown: use none or balanced."),
            };
            classWeights = null;
        }
        var options = baseline with
        {
            Kind = kind,
            ClassWeighting = weighting,
            ClassWeights = classWeights,
            Standardize = recorded is null || Given(parse, NoStandardize) ? !parse.GetValue(NoStandardize) : baseline.Standardize,
            Calibrate = recorded is null || Given(parse, NoCalibration) ? !parse.GetValue(NoCalibration) : baseline.Calibrate,
            L2Regularization = Pick(parse, L2, baseline.L2Regularization),
            HiddenSizes = Given(parse, Hidden) && parse.GetValue(Hidden) is { } hidden ? ParseSizes(hidden) : baseline.HiddenSizes,
            Epochs = Pick(parse, Epochs, baseline.Epochs),
            LearningRate = Pick(parse, LearningRate, baseline.LearningRate),
            Dropout = Pick(parse, Dropout, baseline.Dropout),
            WeightDecay = Pick(parse, WeightDecay, baseline.WeightDecay),
            Patience = Pick(parse, Patience, baseline.Patience),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e) when (e.ParamName == nameof(Pipeline.Training.HeadOptions.MinLearningRate))
        {
            // Only a retrain can get here: the floor is inherited from the model, and the user typed only the rate.
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"--learning-rate {options.LearningRate} is below the minimum learning rate the model was trained with ({options.MinLearningRate}, its schedule's floor); give at least that."), e);
        }
        catch (ArgumentException e) when (e.ParamName is { } name && FlagOf(name) is { } flag)
        {
            // HeadOptions names its properties; the user typed flags.
            string message = e.Message.Split(" (Parameter", 2)[0].Replace($"HeadOptions.{name} = ", flag + " ", StringComparison.Ordinal);
            throw new ArgumentException(message, e);
        }
        return options;
    }

    /// <summary>
    /// The option's value where the command line gives it, else <paramref name="baseline"/>: a declared default, should
    /// the option get one, never overrides the setting a model was trained with.
    /// </summary>
    private static T Pick<T>(ParseResult parse, Option<T?> option, T baseline) where T : struct
        => Given(parse, option) && parse.GetValue(option) is { } value ? value : baseline;

    private static string? FlagOf(string property) => property switch
    {
        nameof(Pipeline.Training.HeadOptions.L2Regularization) => "--l2",
        nameof(Pipeline.Training.HeadOptions.HiddenSizes) => "--hidden",
        nameof(Pipeline.Training.HeadOptions.Epochs) => "--epochs",
        nameof(Pipeline.Training.HeadOptions.LearningRate) => "--learning-rate",
        nameof(Pipeline.Training.HeadOptions.Dropout) => "--dropout",
        nameof(Pipeline.Training.HeadOptions.WeightDecay) => "--weight-decay",
        nameof(Pipeline.Training.HeadOptions.Patience) => "--patience",
        _ => null,
    };

    private static int[] ParseSizes(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out sizes[i]))
                throw new ArgumentException($"--hidden '{text}': expected sizes such as 256 or 512,128.");
        return sizes;
    }
}
