using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Pipeline.Featurizers;
using Pipeline.Featurizers.Backbones;
using Pipeline.Graph;
using Pipeline.Imaging.Processing;
using Pipeline.Persistence;
using Pipeline.Training;
using Pipeline.Training.Data;

namespace Pipeline.Prediction;

/// <summary>
/// How a classifier's parts sit in a model.zip (the container is Persistence's; FORMAT.md there describes it):
/// <list type="bullet">
/// <item><c>labels</c>: the head's classes, in output order;</item>
/// <item><c>preprocessing</c>: the featurizer's <see cref="ImagePreprocessing"/> (also inside its spec; kept at the top for tools and <c>preview</c>);</item>
/// <item><c>featurizer</c>: the featurizer's spec (<see cref="FeaturizerSpec.ToJsonElement"/>), with its learned state in
/// the entry <c>featurizer/state.bin</c> when it has any;</item>
/// <item><c>backbone</c>: the pretrained backbone file, embedded or referenced by registry name and SHA-256;</item>
/// <item><c>head</c>: the head's <see cref="HeadSpec"/>, with its weights in <c>head/weights.bin</c> and, optionally, a few
/// training feature vectors per class for later retrains in <c>head/exemplars.bin</c> (<see cref="ExemplarMemory"/>);</item>
/// <item><c>metrics</c>: <see cref="ModelMetrics"/>; <c>trainingOptions</c>: what the trainer was asked to do.</item>
/// </list>
/// </summary>
internal static class ModelLayout
{
    public const string FeaturizerStateEntry = "featurizer/state.bin";
    public const string HeadWeightsEntry = "head/weights.bin";
    public const string ExemplarsEntry = "head/exemplars.bin";

    /// <summary>camelCase, enums as their own converters say, named floating-point literals for NaN metrics; strict on read.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // Named, not left to the default: an app that turns reflection-based JSON off by default (PublishAot,
        // PublishTrimmed) would otherwise fail to read every valid model, as if it were corrupt.
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <summary>The package of a classifier made of these parts.</summary>
    public static ModelPackage Compose(IReadOnlyList<string> labels, IFeaturizer featurizer, ModelBackbone? backbone, ClassifierHead head,
        ModelMetrics? metrics, JsonElement? trainingOptions, ExemplarMemory? exemplars)
    {
        byte[] weights = head.Serialize();
        var entries = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal) { [HeadWeightsEntry] = weights };
        if (exemplars is not null) entries[ExemplarsEntry] = exemplars.Serialize(SHA256.HashData(weights));
        if (!featurizer.State.IsEmpty) entries[FeaturizerStateEntry] = featurizer.State;
        return new ModelPackage
        {
            Labels = labels,
            Preprocessing = ParseObject(featurizer.Preprocessing.ToJson()),
            Featurizer = featurizer.Spec.ToJsonElement(),
            Head = JsonSerializer.SerializeToElement(head.Spec, Json),
            Metrics = metrics is null ? null : JsonSerializer.SerializeToElement(metrics, Json),
            TrainingOptions = trainingOptions,
            Backbone = backbone,
            Entries = entries,
        };
    }

    /// <summary>
    /// The exemplar memory of <paramref name="package"/>; null when the package has none, or one written for another
    /// head (an older library's retrain carried it over unchanged).
    /// </summary>
    public static ExemplarMemory? Exemplars(ModelPackage package, ClassifierHead head, string? file)
    {
        if (!package.Entries.TryGetValue(ExemplarsEntry, out ReadOnlyMemory<byte> bytes)) return null;
        byte[] weightsHash = SHA256.HashData(package.Entries[HeadWeightsEntry].Span);
        try
        {
            return ExemplarMemory.ReadFor(bytes.Span, weightsHash, head.ClassCount, head.FeatureDimension);
        }
        catch (InvalidDataException e)
        {
            throw Invalid(file, ExemplarsEntry, e.Message, e);
        }
    }

    /// <summary>
    /// Rebuilds the featurizer and head of <paramref name="package"/>, checking that they fit together. Every problem
    /// with the package's contents is an <see cref="InvalidModelPackageException"/> naming <paramref name="file"/> and the entry.
    /// </summary>
    /// <exception cref="BackboneUnavailableException">The package references a backbone that cannot be found or downloaded.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired while a referenced backbone was being fetched.</exception>
    public static (IFeaturizer Featurizer, ClassifierHead Head, ModelInfo Info) Open(ModelPackage package, ImageClassifierOptions options, string? file, CancellationToken cancellation = default)
    {
        JsonElement featurizerJson = package.Featurizer ?? throw Invalid(file, "manifest.json", "the manifest has no 'featurizer': this package holds no classifier");
        JsonElement headJson = package.Head ?? throw Invalid(file, "manifest.json", "the manifest has no 'head': this package holds no classifier");
        if (!package.Entries.TryGetValue(HeadWeightsEntry, out ReadOnlyMemory<byte> weights))
            throw Invalid(file, HeadWeightsEntry, "the head's weights are missing");

        FeaturizerSpec spec;
        HeadSpec headSpec;
        ModelMetrics? metrics = null;
        try
        {
            spec = FeaturizerSpec.FromJson(featurizerJson);
        }
        catch (JsonException e)
        {
            throw Invalid(file, "manifest.json", $"the featurizer spec cannot be read ({e.Message})", e);
        }
        try
        {
            headSpec = headJson.Deserialize<HeadSpec>(Json) ?? throw new JsonException("null");
            if (package.Metrics is { } m) metrics = m.Deserialize<ModelMetrics>(Json);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            throw Invalid(file, "manifest.json", $"the head spec or metrics cannot be read ({e.Message})", e);
        }
        if (spec is BackboneSpec && package.Backbone is null)
            throw Invalid(file, "manifest.json", "the featurizer needs a backbone but the manifest has none");
        if (spec is not BackboneSpec && package.Backbone is not null)
            throw Invalid(file, "manifest.json", "the manifest has a backbone but the featurizer does not use one");

        ClassifierHead head;
        try
        {
            head = ClassifierHead.Deserialize(weights.Span, headSpec);
        }
        catch (InvalidDataException e)
        {
            throw Invalid(file, HeadWeightsEntry, e.Message, e);
        }
        if (head.ClassCount != package.Labels.Count)
            throw Invalid(file, HeadWeightsEntry, $"the head scores {head.ClassCount} classes but the manifest lists {package.Labels.Count} labels");
        if (package.Entries.TryGetValue(ExemplarsEntry, out ReadOnlyMemory<byte> exemplars))
        {
            try
            {
                ExemplarMemory.Validate(exemplars.Span); // the structure only: the vectors are read by a retrain
            }
            catch (InvalidDataException e)
            {
                throw Invalid(file, ExemplarsEntry, e.Message, e);
            }
        }

        byte[]? backbone = package.Backbone is { } b ? BackboneBytes(b, options, file, cancellation) : null;
        package.Entries.TryGetValue(FeaturizerStateEntry, out ReadOnlyMemory<byte> state);
        IFeaturizer featurizer;
        try
        {
            featurizer = FeaturizerFactory.Create(spec, state, backbone, new FeaturizerOptions { Threads = options.Threads });
        }
        catch (InvalidDataException e)
        {
            throw Invalid(file, FeaturizerStateEntry, e.Message, e);
        }
        catch (InvalidModelException e)
        {
            throw Invalid(file, package.Backbone is { Storage: BackboneStorage.Embedded } eb ? $"backbone/{eb.FileName}" : "manifest.json", $"the backbone cannot be used ({e.Message})", e);
        }
        catch (ArgumentException e)
        {
            throw Invalid(file, "manifest.json", $"the featurizer cannot be built ({e.Message})", e);
        }
        if (featurizer.Dimension != head.FeatureDimension)
        {
            featurizer.Dispose();
            throw Invalid(file, HeadWeightsEntry, $"the head takes {head.FeatureDimension} features but the featurizer makes {featurizer.Dimension}");
        }

        ModelInfo info = Describe(package, featurizer, head, metrics);
        return (featurizer, head, info);
    }

    /// <summary>The <see cref="ModelInfo"/> of a package whose featurizer and head are already built.</summary>
    public static ModelInfo Describe(ModelPackage package, IFeaturizer featurizer, ClassifierHead head, ModelMetrics? metrics) => new()
    {
        // A private read-only copy: every prediction shares it, so a cast back to a list must not be able to relabel them.
        Labels = Array.AsReadOnly(package.Labels.ToArray()),
        FormatVersion = package.FormatVersion,
        LibraryVersion = package.LibraryVersion,
        CreatedUtc = package.CreatedUtc,
        FeaturizerKind = package.Featurizer is { } f && f.TryGetProperty("kind", out JsonElement kind) ? kind.GetString() ?? "?" : "?",
        Featurizer = package.Featurizer ?? featurizer.Spec.ToJsonElement(),
        FeatureDimension = featurizer.Dimension,
        Preprocessing = featurizer.Preprocessing,
        Head = head.Spec,
        Backbone = package.Backbone,
        Metrics = metrics,
        TrainingOptions = package.TrainingOptions,
    };

    private static byte[] BackboneBytes(ModelBackbone backbone, ImageClassifierOptions options, string? file, CancellationToken cancellation)
    {
        if (backbone.Storage == BackboneStorage.Embedded) return backbone.Content.ToArray();
        var store = new BackboneStore(options.BackboneCacheFolder);
        string path;
        if (options.AllowBackboneDownload)
        {
            path = store.ResolveReferencedAsync(backbone.RegistryName!, backbone.Sha256, progress: null, cancellation).GetAwaiter().GetResult().Path;
        }
        else
        {
            BackboneEntry entry = store.Registry.Find(backbone.RegistryName!) ?? throw new BackboneUnavailableException(backbone.RegistryName!,
                $"{file ?? "the model"} references backbone '{backbone.RegistryName}', which this version's registry does not know.");
            path = store.GetCachePath(entry);
            if (!store.IsCachedAsync(entry, cancellation).GetAwaiter().GetResult())
                throw new BackboneUnavailableException(entry, path, "it is not in the backbone cache and downloads are switched off (ImageClassifierOptions.AllowBackboneDownload).");
        }
        byte[] bytes = File.ReadAllBytes(path);
        string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (sha != backbone.Sha256)
            throw new BackboneUnavailableException(backbone.RegistryName!, $"the cached backbone {path} has SHA-256 {sha}, not the {backbone.Sha256} the model was trained with.");
        return bytes;
    }

    private static JsonElement ParseObject(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static InvalidModelPackageException Invalid(string? file, string entry, string reason, Exception? inner = null) =>
        new(reason, file, entry, hint: null, inner);
}
