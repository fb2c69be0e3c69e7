using System.Reflection;
using System.Text.Json.Nodes;

namespace Pipeline.Persistence;

/// <summary>
/// The model.zip format: its signature, its version and the written history of every version (FORMAT.md beside
/// this file describes the layout in full).
/// <para>
/// A model.zip is a zip whose first entry, <c>manifest.json</c>, is stored uncompressed and begins with
/// <c>"format": "pipeline-model"</c> and an integer <c>"formatVersion"</c>, so the first bytes of the file identify it.
/// The manifest lists every other entry with its size and SHA-256. Any change to what a reader must understand
/// adds a version to <see cref="History"/> with a one-line summary, and a migration from the previous version to
/// <see cref="ManifestMigrations"/>; readers load every older version through that chain and refuse newer ones with
/// a hint to upgrade.
/// </para>
/// </summary>
public static class ModelFormat
{
    /// <summary>The value of the manifest's <c>format</c> field.</summary>
    public const string Signature = "pipeline-model";

    /// <summary>The version this library writes, and the newest it reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The name of the manifest entry, always the first in the archive.</summary>
    public const string ManifestEntryName = "manifest.json";

    /// <summary>The folder of the embedded backbone entry (<c>backbone/&lt;file name&gt;</c>).</summary>
    public const string BackboneFolder = "backbone/";

    /// <summary>Every format version, oldest first, with what it added. The last is <see cref="CurrentVersion"/>.</summary>
    public static IReadOnlyList<ModelFormatVersion> History { get; } =
    [
        new(1, "Initial format. manifest.json (stored, first): format, formatVersion, libraryVersion, createdUtc, labels, "
             + "backbone (embedded as backbone/<file> or referenced by registry name, with size and SHA-256), "
             + "preprocessing, featurizer, head, metrics, trainingOptions (JSON objects owned by their components), "
             + "and entries (name, size, SHA-256 of every other entry). Entries have fixed timestamps (2000-01-01)."),
    ];

    /// <summary>The version of this library, as recorded in the manifests it writes (the assembly's informational version).</summary>
    public static string LibraryVersion { get; } =
        typeof(ModelFormat).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ModelFormat).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>
    /// The upgrade from version <c>n - 1</c> to <c>n</c> at index <c>n - 2</c>, applied in order to a parsed manifest
    /// older than <see cref="CurrentVersion"/>. Each step rewrites the JSON in place and sets its <c>formatVersion</c>.
    /// Empty while version 1 is the only one.
    /// </summary>
    internal static IReadOnlyList<Action<JsonObject>> ManifestMigrations { get; } = [];
}

/// <summary>One entry of <see cref="ModelFormat.History"/>.</summary>
/// <param name="Version">The format version number.</param>
/// <param name="Summary">What the version added or changed.</param>
public sealed record ModelFormatVersion(int Version, string Summary);
