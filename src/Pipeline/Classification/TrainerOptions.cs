using Pipeline.Featurizers.Backbones;
using Pipeline.Featurizers.FilterBank;
using Pipeline.Imaging.Processing;
using Pipeline.Persistence;
using Pipeline.Tensors.Parallelism;
using Pipeline.Training;

namespace Pipeline.Classification;

/// <summary>
/// Everything an <see cref="ImageClassificationTrainer"/> is asked to do. The first group decides the model: the same
/// options and data give a model.zip whose entries are byte-identical (apart from the manifest's creation time). The
/// second group only decides how the work runs (threads, caches, progress) and never changes a bit of the result.
/// </summary>
public sealed record TrainerOptions
{
    // ---- what is learned ----

    /// <summary>The root of all randomness: the train/validation split, the folds, the built-in featurizer's patches and
    /// k-means, and the head (its <see cref="HeadOptions.Seed"/> and the filter bank's seed are replaced by this one).</summary>
    public int Seed { get; init; }

    /// <summary>
    /// The pretrained backbone: a registry name (e.g. <c>mobilenet_v2_1.0_224_quant</c>, downloaded on first use) or the
    /// path of an ONNX or TFLite file. Null (the default) uses the built-in featurizer, which needs no pretrained weights.
    /// </summary>
    public string? Backbone { get; init; }

    /// <summary>With a backbone: how its feature map is pooled, e.g. <c>gem</c> (default, p = 3), <c>gap</c>, <c>gmp</c>,
    /// <c>gem:4</c>, <c>spp:1,2,4:max</c> or <c>concat</c>.</summary>
    public string Pooling { get; init; } = BackboneSpec.DefaultPooling;

    /// <summary>With a backbone: the names of the tensors to pool (null: the last spatial feature map before the classifier, found automatically).</summary>
    public IReadOnlyList<string>? Taps { get; init; }

    /// <summary>With a backbone: where pooled features are L2-normalized (default none).</summary>
    public L2Normalization Normalization { get; init; } = L2Normalization.None;

    /// <summary>With a backbone: average each image's features with its mirror image's (twice the backbone work).</summary>
    public bool MirrorAverage { get; init; }

    /// <summary>
    /// With a backbone: changes to its input preprocessing (resize mode, crop anchor, filter, channel order, mean and
    /// std), made over what the model declares, its registry entry gives, or ImageNet's defaults (null: none). For a
    /// network trained with other preprocessing than those; model.zip stores the result.
    /// </summary>
    public PreprocessingOverrides? Preprocessing { get; init; }

    /// <summary>With a backbone: embed the file in model.zip (default: the model is self-contained) or reference it by
    /// registry name and SHA-256 (small zips; a backbone given as a path is always embedded).</summary>
    public BackboneStorage BackboneStorage { get; init; } = BackboneStorage.Embedded;

    /// <summary>Without a backbone: the built-in featurizer's settings (null: its defaults; the seed is <see cref="Seed"/>).</summary>
    public FilterBankSpec? FilterBank { get; init; }

    /// <summary>The classifier head (default: logistic regression with L-BFGS; the seed is <see cref="Seed"/>).</summary>
    public HeadOptions Head { get; init; } = new();

    /// <summary>The fraction of each class held out (stratified, from <see cref="Seed"/>) to measure the model (default 0.2;
    /// 0 trains on everything and reports no metrics).</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>
    /// How many training feature vectors of each class model.zip keeps (chosen by herding to represent the class's
    /// mean), so that a later retrain on data without some class still trains on that class. 0 keeps none: the model
    /// is smaller, and a class missing from retraining data then keeps only its old weights. Default 20 (about 100 KB
    /// per class for a 1,280-feature backbone).
    /// </summary>
    public int ExemplarsPerClass { get; init; } = 20;

    /// <summary>The most <see cref="ExemplarsPerClass"/> may be.</summary>
    public const int MaxExemplarsPerClass = 1000;

    // ---- how it runs (never changes the result) ----

    /// <summary>Threads to use, the caller's included; 0 (default) means one per processor, at most <see cref="Tensors.Parallelism.ThreadLimits.Max"/>.</summary>
    public int Threads { get; init; }

    /// <summary>Whether features are cached on disk between runs (default true).</summary>
    public bool UseFeatureCache { get; init; } = true;

    /// <summary>The feature cache folder; null for the default (<see cref="Featurizers.CacheFolders.Features"/>).</summary>
    public string? FeatureCacheFolder { get; init; }

    /// <summary>
    /// Only read the feature cache (default false): cached features are used, computed ones are not stored. For a
    /// folder this process cannot or should not write (<see cref="Featurizers.Cache.FeatureCacheOptions.ReadOnly"/>).
    /// </summary>
    public bool FeatureCacheReadOnly { get; init; }

    /// <summary>Where downloaded backbones are kept; null for the default (<see cref="Featurizers.CacheFolders.Backbones"/>).</summary>
    public string? BackboneCacheFolder { get; init; }

    /// <summary>Receives progress reports: download, decoding, featurizer learning, featurizing, head training.</summary>
    public IProgress<TrainerProgress>? Progress { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Backbone is not null && string.IsNullOrWhiteSpace(Backbone))
            throw new ArgumentException("TrainerOptions.Backbone is blank: give a registry name or a file path, or null for the built-in featurizer.", nameof(Backbone));
        ArgumentNullException.ThrowIfNull(Head, nameof(Head));
        ArgumentNullException.ThrowIfNull(Pooling, nameof(Pooling));
        Head.Validate();
        FilterBank?.Validate();
        if (Backbone is null && Preprocessing is { IsEmpty: false })
            throw new ArgumentException("TrainerOptions.Preprocessing changes a backbone's preprocessing; the built-in featurizer (no Backbone) has its own.", nameof(Preprocessing));
        BackboneSettings().Validate();
        if (!(ValidationFraction is >= 0 and < 1))
            throw new ArgumentException($"TrainerOptions.ValidationFraction = {ValidationFraction} is invalid: it must be in [0, 1).", nameof(ValidationFraction));
        if (ExemplarsPerClass is < 0 or > MaxExemplarsPerClass)
            throw new ArgumentException($"TrainerOptions.ExemplarsPerClass = {ExemplarsPerClass} is invalid: it must be in [0, {MaxExemplarsPerClass}].", nameof(ExemplarsPerClass));
        if (!Enum.IsDefined(BackboneStorage)) throw new ArgumentException($"TrainerOptions.BackboneStorage = {BackboneStorage} is unknown.", nameof(BackboneStorage));
        Tensors.Parallelism.ThreadLimits.Validate(Threads, "TrainerOptions.Threads");
    }

    /// <summary>The backbone featurizer's spec these options ask for (taps and preprocessing resolved later).</summary>
    internal BackboneSpec BackboneSettings() => new()
    {
        Pooling = Pooling,
        Taps = Taps ?? [],
        Normalization = Normalization,
        MirrorAverage = MirrorAverage,
    };

    /// <summary>The filter bank's spec, seeded from <see cref="Seed"/>.</summary>
    internal FilterBankSpec FilterBankSettings() => (FilterBank ?? new FilterBankSpec()) with { Seed = Seed };

    /// <summary>The head's options, seeded from <see cref="Seed"/>.</summary>
    internal HeadOptions HeadSettings() => Head with { Seed = Seed };

    internal int ThreadCount => ThreadLimits.Resolve(Threads);
}
