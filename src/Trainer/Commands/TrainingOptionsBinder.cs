using System.CommandLine;
using Pipeline.Classification;
using Pipeline.Featurizers.Backbones;
using Pipeline.Training;

namespace Trainer.Commands;

/// <summary>
/// The options that decide how a model is trained, shared by <c>train</c>, <c>cv</c> and <c>retrain</c>, and their
/// translation into <see cref="TrainerOptions"/>.
/// </summary>
internal sealed class TrainingOptionsBinder
{
    public Option<string> Data { get; } = new("--data") { Description = "A folder with one subfolder per class, or a CSV/TSV manifest of path,label.", Required = true };
    public Option<string?> Backbone { get; } = new("--backbone") { Description = "A registry name (e.g. mobilenet_v2_1.0_224_quant; downloaded on first use) or an .onnx/.tflite file. Default: the built-in featurizer (no pretrained weights)." };
    public Option<string[]> Tap { get; } = new("--tap") { Description = "Backbone tensor(s) to pool (default: the last feature map before the classifier, found automatically).", AllowMultipleArgumentsPerToken = true };
    public Option<string> Pooling { get; } = new("--pooling") { Description = "gap | gmp | gem[:p] | spp[:levels][:max|avg] | concat.", DefaultValueFactory = _ => "gap" };
    public Option<bool> Mirror { get; } = new("--mirror") { Description = "Average each image's backbone features with its mirror image's." };
    public Option<string> Head { get; } = new("--head") { Description = "logistic (L-BFGS, L2) or mlp (AdamW, dropout, early stopping).", DefaultValueFactory = _ => "logistic" };
    public Option<int> Seed { get; } = new("--seed") { Description = "The seed of every random choice: the same seed and data give the same model.zip.", DefaultValueFactory = _ => 1 };
    public Option<int> Threads { get; } = new("--threads") { Description = "Threads to use (0: one per processor). Never changes the model." };
    public Option<double> ValidationFraction { get; } = new("--validation-fraction") { Description = "Share of each class held out to measure the model.", DefaultValueFactory = _ => 0.2 };
    public Option<string?> Cache { get; } = new("--cache") { Description = "The feature cache folder (default: the user's cache folder)." };
    public Option<bool> NoCache { get; } = new("--no-cache") { Description = "Do not read or write the feature cache." };
    public Option<string?> BackboneCache { get; } = new("--backbone-cache") { Description = "Where downloaded backbones are kept (default: the user's cache folder)." };

    /// <summary>Adds every option, <c>--data</c> included when <paramref name="withData"/>.</summary>
    public void AddTo(Command command, bool withData = true)
    {
        if (withData) command.Options.Add(Data);
        foreach (Option option in new Option[] { Backbone, Tap, Pooling, Mirror, Head, Seed, Threads, ValidationFraction, Cache, NoCache, BackboneCache })
            command.Options.Add(option);
    }

    /// <summary>The trainer options the command line asks for; throws <see cref="ArgumentException"/> naming a bad value.</summary>
    public TrainerOptions Build(ParseResult parse, IProgress<TrainerProgress>? progress)
    {
        string head = parse.GetValue(Head) ?? "logistic";
        HeadKind kind = head.ToLowerInvariant() switch
        {
            "logistic" => HeadKind.Logistic,
            "mlp" => HeadKind.Mlp,
            _ => throw new ArgumentException($"--head '{head}' is unknown: use logistic or mlp."),
        };
        string[] taps = parse.GetValue(Tap) ?? [];
        var options = new TrainerOptions
        {
            Seed = parse.GetValue(Seed),
            Backbone = parse.GetValue(Backbone),
            Pooling = parse.GetValue(Pooling) ?? "gap",
            Taps = taps.Length > 0 ? taps : null,
            MirrorAverage = parse.GetValue(Mirror),
            Head = new HeadOptions { Kind = kind },
            ValidationFraction = parse.GetValue(ValidationFraction),
            Threads = parse.GetValue(Threads),
            UseFeatureCache = !parse.GetValue(NoCache),
            FeatureCacheFolder = parse.GetValue(Cache),
            BackboneCacheFolder = parse.GetValue(BackboneCache),
            Progress = progress,
        };
        options.Validate();
        return options;
    }
}
