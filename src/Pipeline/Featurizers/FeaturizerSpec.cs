using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Pipeline.Featurizers.Backbones;
using Pipeline.Featurizers.FilterBank;

namespace Pipeline.Featurizers;

/// <summary>
/// What a featurizer is, as data: the JSON object a model package stores under <c>featurizer</c>. The
/// <c>kind</c> property says which featurizer (<c>backbone</c> or <c>filterBank</c>); names are camelCase, enums are
/// strings. Together with the featurizer's state bytes (and the backbone file) it rebuilds the same featurizer.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(BackboneSpec), "backbone")]
[JsonDerivedType(typeof(FilterBankSpec), "filterBank")]
public abstract record FeaturizerSpec
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowOutOfOrderMetadataProperties = true,
        // Named, not left to the default: an app that turns reflection-based JSON off by default (PublishAot,
        // PublishTrimmed) would otherwise fail to read every valid model, as if it were corrupt.
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <summary>The version of this kind's spec format; a reader refuses versions newer than it knows.</summary>
    public int Version { get; init; } = 1;

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">Naming the first invalid field and its value.</exception>
    public abstract void Validate();

    /// <summary>The spec as compact JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The spec as a JSON element (for a model package's manifest).</summary>
    public JsonElement ToJsonElement() => JsonSerializer.SerializeToElement(this, JsonOptions);

    /// <summary>Reads and validates a spec written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">Malformed JSON, an unknown kind or property, a newer version, or an invalid field.</exception>
    public static FeaturizerSpec FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Read(() => JsonSerializer.Deserialize<FeaturizerSpec>(json, JsonOptions));
    }

    /// <inheritdoc cref="FromJson(string)"/>
    public static FeaturizerSpec FromJson(JsonElement json) => Read(() => json.Deserialize<FeaturizerSpec>(JsonOptions));

    /// <summary>
    /// Deserializes and checks, so that every way the JSON can be wrong is a <see cref="JsonException"/>: the serializer
    /// also throws NotSupportedException (no <c>kind</c>) and lets a property's own checks throw (<c>taps: null</c>).
    /// </summary>
    private static FeaturizerSpec Read(Func<FeaturizerSpec?> deserialize)
    {
        FeaturizerSpec? spec;
        try
        {
            spec = deserialize();
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new JsonException($"The featurizer spec cannot be read: {e.Message}", e);
        }
        return Checked(spec);
    }

    /// <summary>The newest version of this kind's format the library reads.</summary>
    protected abstract int CurrentVersion { get; }

    private static FeaturizerSpec Checked(FeaturizerSpec? spec)
    {
        if (spec is null) throw new JsonException("The featurizer spec is null.");
        if (spec.Version < 1 || spec.Version > spec.CurrentVersion)
            throw new JsonException($"Featurizer spec version {spec.Version} is not supported (this library reads 1 to {spec.CurrentVersion}); upgrade the library to load this model.");
        try
        {
            spec.Validate();
        }
        catch (ArgumentException e)
        {
            throw new JsonException($"Invalid featurizer spec: {e.Message}", e);
        }
        return spec;
    }
}
