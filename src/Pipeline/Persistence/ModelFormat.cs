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
    /// Whether the file at <paramref name="path"/> begins like a model.zip: a zip whose first entry is a stored
    /// <c>manifest.json</c> that opens with <c>"format": "pipeline-model"</c>. It reads a few hundred bytes and does not
    /// validate the package (<see cref="ModelPackage.Load(string, ModelPackageLimits?)"/> does): it tells a model.zip
    /// apart from any other file, e.g. before a trainer replaces it. False for a missing or unreadable file.
    /// </summary>
    public static bool IsModelPackageFile(string path)
    {
        Span<byte> head = stackalloc byte[512];
        int read;
        try
        {
            if (Files.SpecialFiles.IsEmptyOrSpecial(path)) return false;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        return StartsLikeModelPackage(head[..read]);
    }

    // The JSON tokens every manifest starts with, whatever the whitespace between them.
    private static readonly byte[][] ManifestOpening = [.. new[] { "{", "\"format\"", ":", $"\"{Signature}\"" }.Select(System.Text.Encoding.UTF8.GetBytes)];

    /// <summary>The check of <see cref="IsModelPackageFile"/> on a file's first bytes.</summary>
    internal static bool StartsLikeModelPackage(ReadOnlySpan<byte> head)
    {
        // The zip local file header: signature, method at 8, name and extra lengths at 26 and 28, name after the header.
        const int HeaderSize = Zip.ZipLayout.LocalHeaderSize;
        if (head.Length < HeaderSize || !Zip.ZipLayout.StartsWithLocalHeader(head)) return false;
        if (System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(head[8..]) != Zip.ZipLayout.MethodStored) return false;
        int nameLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(head[26..]);
        int extraLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(head[28..]);
        if (head.Length < HeaderSize + nameLength + extraLength || !head.Slice(HeaderSize, nameLength).SequenceEqual("manifest.json"u8)) return false;
        ReadOnlySpan<byte> json = head[(HeaderSize + nameLength + extraLength)..];
        foreach (byte[] token in ManifestOpening)
        {
            json = json.TrimStart(" \t\r\n"u8);
            if (!json.StartsWith(token)) return false;
            json = json[token.Length..];
        }
        return true;
    }

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
