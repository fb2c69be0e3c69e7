using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Persistence;

/// <summary>One entry as the manifest lists it.</summary>
internal sealed record ManifestEntry(string Name, long Size, string Sha256);

/// <summary>Everything manifest.json holds, after migration to the current version and validation.</summary>
internal sealed record Manifest(
    int FileVersion,
    string LibraryVersion,
    DateTimeOffset CreatedUtc,
    IReadOnlyList<string> Labels,
    ManifestBackbone? Backbone,
    JsonElement? Preprocessing,
    JsonElement? Featurizer,
    JsonElement? Head,
    JsonElement? Metrics,
    JsonElement? TrainingOptions,
    IReadOnlyList<ManifestEntry> Entries);

/// <summary>The manifest's backbone object.</summary>
internal sealed record ManifestBackbone(BackboneStorage Storage, string FileName, long Size, string Sha256, string? RegistryName, string? Entry);

/// <summary>
/// Writes and reads manifest.json. Writing is deterministic: fixed property order, two-space indentation, "\n" line
/// ends on every OS, UTF-8 without escaping of non-ASCII labels, and a fixed-width creation time
/// (<c>yyyy-MM-ddTHH:mm:ss.fffZ</c>) so the entries after the manifest keep their offsets from one save to the next.
/// Reading is strict: duplicate or unknown properties, wrong types and out-of-range values are refused.
/// </summary>
internal static class ManifestCodec
{
    public const string CreatedFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
    public const int MaxLabels = 100_000;
    public const int MaxLabelLength = 256;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        IndentSize = 2,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowDuplicateProperties = false,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    private static readonly HashSet<string> KnownProperties =
    [
        "format", "formatVersion", "libraryVersion", "createdUtc", "labels", "backbone",
        "preprocessing", "featurizer", "head", "metrics", "trainingOptions", "entries",
    ];

    public static byte[] Write(ModelPackage package, IReadOnlyList<ManifestEntry> entries, DateTimeOffset created)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("format", ModelFormat.Signature);
            json.WriteNumber("formatVersion", ModelFormat.CurrentVersion);
            json.WriteString("libraryVersion", ModelFormat.LibraryVersion);
            json.WriteString("createdUtc", created.UtcDateTime.ToString(CreatedFormat, CultureInfo.InvariantCulture));
            json.WriteStartArray("labels");
            foreach (string label in package.Labels) json.WriteStringValue(label);
            json.WriteEndArray();
            if (package.Backbone is { } backbone)
            {
                json.WriteStartObject("backbone");
                json.WriteString("storage", backbone.Storage == BackboneStorage.Embedded ? "embedded" : "referenced");
                json.WriteString("fileName", backbone.FileName);
                json.WriteNumber("size", backbone.Size);
                json.WriteString("sha256", backbone.Sha256);
                if (backbone.RegistryName is not null) json.WriteString("registryName", backbone.RegistryName);
                if (backbone.Storage == BackboneStorage.Embedded) json.WriteString("entry", backbone.EntryName);
                json.WriteEndObject();
            }
            WriteObject(json, "preprocessing", package.Preprocessing);
            WriteObject(json, "featurizer", package.Featurizer);
            WriteObject(json, "head", package.Head);
            WriteObject(json, "metrics", package.Metrics);
            WriteObject(json, "trainingOptions", package.TrainingOptions);
            json.WriteStartArray("entries");
            foreach (ManifestEntry entry in entries)
            {
                json.WriteStartObject();
                json.WriteString("name", entry.Name);
                json.WriteNumber("size", entry.Size);
                json.WriteString("sha256", entry.Sha256);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>Parses, migrates and validates manifest.json. <paramref name="migrations"/> is the upgrade chain (a seam for tests).</summary>
    public static Manifest Read(ReadOnlySpan<byte> utf8, IReadOnlyList<Action<JsonObject>> migrations, int currentVersion)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
            throw Fail("manifest.json is not valid UTF-8");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(utf8, documentOptions: DocumentOptions) as JsonObject
                ?? throw Fail("manifest.json is not a JSON object");
        }
        catch (JsonException e)
        {
            throw Fail($"manifest.json is not valid JSON ({e.Message})", inner: e);
        }
        catch (InvalidOperationException e)
        {
            throw Fail($"manifest.json is not valid JSON ({e.Message})", inner: e);
        }

        string format = root["format"] is JsonValue f && f.TryGetValue(out string? s) ? s : throw Fail("manifest.json has no 'format' string: this is not a Pipeline model package");
        if (format != ModelFormat.Signature)
            throw Fail($"manifest.json declares format '{Truncate(format)}', not '{ModelFormat.Signature}': this is not a Pipeline model package");
        int version = root["formatVersion"] is JsonValue v && v.TryGetValue(out int n) ? n : throw Fail("manifest.json has no integer 'formatVersion'");
        if (version > currentVersion)
            throw Fail($"the model was written in format version {version} by a newer version of Pipeline (manifest libraryVersion '{Truncate(root["libraryVersion"]?.ToString() ?? "?")}'); this library reads format versions up to {currentVersion}",
                hint: "upgrade the Pipeline package (or the trainer) to load it, or retrain the model with this version");
        if (version < 1)
            throw Fail($"manifest.json declares format version {version}; versions start at 1");

        for (int from = version; from < currentVersion; from++)
        {
            try
            {
                migrations[from - 1](root);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or JsonException)
            {
                throw Fail($"could not upgrade the manifest from format version {from} to {from + 1} ({e.Message})", inner: e);
            }
            root["formatVersion"] = from + 1;
        }
        try
        {
            return Bind(root, version);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or JsonException)
        {
            // JsonNode materializes lazily; anything the strict checks above did not anticipate still ends typed.
            throw Fail($"manifest.json could not be read ({e.Message})", inner: e);
        }
    }

    private static Manifest Bind(JsonObject root, int fileVersion)
    {
        foreach (KeyValuePair<string, JsonNode?> property in root)
        {
            if (!KnownProperties.Contains(property.Key))
                throw Fail($"manifest.json has an unknown property '{Truncate(property.Key)}'",
                    hint: "a newer writer that adds properties also raises formatVersion; this file was edited or written by another tool");
        }

        string libraryVersion = RequiredString(root, "libraryVersion", 200);
        string createdText = RequiredString(root, "createdUtc", 64);
        if (!DateTimeOffset.TryParse(createdText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset created))
            throw Fail($"manifest.json 'createdUtc' is not an ISO-8601 time: '{Truncate(createdText)}'");

        JsonArray labelsNode = root["labels"] as JsonArray ?? throw Fail("manifest.json has no 'labels' array");
        if (labelsNode.Count == 0 || labelsNode.Count > MaxLabels)
            throw Fail($"manifest.json has {labelsNode.Count} labels; between 1 and {MaxLabels} are allowed");
        var labels = new List<string>(labelsNode.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonNode? node in labelsNode)
        {
            string label = node is JsonValue lv && lv.TryGetValue(out string? text) ? text : throw Fail("manifest.json 'labels' holds a value that is not a string");
            string? problem = ModelPackage.ValidateLabel(label);
            if (problem is not null) throw Fail($"manifest.json 'labels': {problem}");
            if (!seen.Add(label)) throw Fail($"manifest.json 'labels' holds '{Truncate(label)}' twice");
            labels.Add(label);
        }

        JsonArray entriesNode = root["entries"] as JsonArray ?? throw Fail("manifest.json has no 'entries' array");
        var entries = new List<ManifestEntry>(entriesNode.Count);
        foreach (JsonNode? node in entriesNode)
        {
            JsonObject entry = node as JsonObject ?? throw Fail("manifest.json 'entries' holds a value that is not an object");
            CheckProperties(entry, "entries[]", "name", "size", "sha256");
            string name = RequiredString(entry, "name", 1000);
            long size = RequiredSize(entry, "size");
            string sha = RequiredString(entry, "sha256", 64);
            if (Hashes.CheckSha256(sha) is { } shaProblem) throw Fail($"manifest.json entry '{Truncate(name)}': {shaProblem}");
            entries.Add(new ManifestEntry(name, size, sha));
        }

        ManifestBackbone? backbone = null;
        if (root["backbone"] is { } backboneNode)
        {
            JsonObject b = backboneNode as JsonObject ?? throw Fail("manifest.json 'backbone' is not an object");
            CheckProperties(b, "backbone", "storage", "fileName", "size", "sha256", "registryName", "entry");
            BackboneStorage storage = RequiredString(b, "storage", 20) switch
            {
                "embedded" => BackboneStorage.Embedded,
                "referenced" => BackboneStorage.Referenced,
                string other => throw Fail($"manifest.json 'backbone.storage' is '{Truncate(other)}', not 'embedded' or 'referenced'"),
            };
            string fileName = RequiredString(b, "fileName", 255);
            if (ModelBackbone.ValidateFileName(fileName) is { } fileProblem) throw Fail($"manifest.json 'backbone.fileName': {fileProblem}");
            long size = RequiredSize(b, "size");
            string sha = RequiredString(b, "sha256", 64);
            if (Hashes.CheckSha256(sha) is { } shaProblem) throw Fail($"manifest.json 'backbone.sha256': {shaProblem}");
            string? registryName = b["registryName"] is null ? null : RequiredString(b, "registryName", 200);
            string? entry = b["entry"] is null ? null : RequiredString(b, "entry", 1000);
            if (storage == BackboneStorage.Embedded && entry is null) throw Fail("manifest.json 'backbone' is embedded but names no 'entry'");
            if (storage == BackboneStorage.Referenced && entry is not null) throw Fail("manifest.json 'backbone' is referenced but names an 'entry'");
            if (storage == BackboneStorage.Referenced && registryName is null) throw Fail("manifest.json 'backbone' is referenced but has no 'registryName' to fetch it by");
            backbone = new ManifestBackbone(storage, fileName, size, sha, registryName, entry);
        }

        return new Manifest(fileVersion, libraryVersion, created, labels, backbone,
            OptionalObject(root, "preprocessing"), OptionalObject(root, "featurizer"), OptionalObject(root, "head"),
            OptionalObject(root, "metrics"), OptionalObject(root, "trainingOptions"), entries);
    }

    private static void WriteObject(Utf8JsonWriter json, string name, JsonElement? value)
    {
        if (value is not { } element) return;
        json.WritePropertyName(name);
        element.WriteTo(json);
    }

    private static JsonElement? OptionalObject(JsonObject root, string name)
    {
        JsonNode? node = root[name];
        if (node is null) return null;
        if (node is not JsonObject) throw Fail($"manifest.json '{name}' is not an object");
        return JsonSerializer.SerializeToElement(node, PersistenceJsonContext.Default.JsonNode);
    }

    private static void CheckProperties(JsonObject o, string where, params string[] allowed)
    {
        foreach (KeyValuePair<string, JsonNode?> property in o)
        {
            if (Array.IndexOf(allowed, property.Key) < 0)
                throw Fail($"manifest.json '{where}' has an unknown property '{Truncate(property.Key)}'");
        }
    }

    private static string RequiredString(JsonObject o, string name, int maxLength)
    {
        if (o[name] is not JsonValue value || !value.TryGetValue(out string? text))
            throw Fail($"manifest.json has no '{name}' string");
        if (text.Length == 0 || text.Length > maxLength)
            throw Fail($"manifest.json '{name}' is {text.Length} characters long; 1 to {maxLength} are allowed");
        return text;
    }

    private static long RequiredSize(JsonObject o, string name)
    {
        if (o[name] is not JsonValue value || !value.TryGetValue(out long size) || size < 0)
            throw Fail($"manifest.json has no non-negative integer '{name}'");
        return size;
    }

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";

    private static InvalidModelPackageException Fail(string reason, string? hint = null, Exception? inner = null) =>
        new(reason, entry: ModelFormat.ManifestEntryName, hint: hint, inner: inner);
}
