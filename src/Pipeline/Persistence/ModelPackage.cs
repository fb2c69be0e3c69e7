using System.Collections.ObjectModel;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Persistence.Zip;

namespace Pipeline.Persistence;

/// <summary>
/// A trained model as saved in model.zip: labels, the component specs (preprocessing, featurizer, head, metrics,
/// training options, each a JSON object owned by its component), the backbone (embedded or referenced) and binary
/// entries such as learned featurizer state and head weights.
/// <para>
/// <see cref="Save(string, CancellationToken)"/> writes deterministic bytes (two saves of the same content differ only in the
/// manifest's <c>createdUtc</c>) atomically: to a temporary file in the destination folder, flushed to disk, then
/// renamed over the destination, so an existing model.zip is never left half-written.
/// <see cref="Load(string, ModelPackageLimits?)"/> validates everything before returning and throws
/// <see cref="InvalidModelPackageException"/> for anything it will not load. A loaded package is immutable and holds
/// its entries in memory; it is safe to share between threads. Retraining copies it with a <c>with</c> expression
/// (<c>loaded with { Head = …, Entries = … }</c>); saving the copy records the current library version and time.
/// </para>
/// </summary>
public sealed record ModelPackage
{
    private static readonly IReadOnlyDictionary<string, ReadOnlyMemory<byte>> NoEntries =
        new ReadOnlyDictionary<string, ReadOnlyMemory<byte>>(new Dictionary<string, ReadOnlyMemory<byte>>());

    private readonly JsonElement? _preprocessing, _featurizer, _head, _metrics, _trainingOptions;
    private readonly IReadOnlyDictionary<string, ReadOnlyMemory<byte>> _entries = NoEntries;

    /// <summary>The class labels, in the order of the head's outputs.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>How images are turned into the backbone's input (a JSON object owned by the preprocessing code).</summary>
    public JsonElement? Preprocessing { get => _preprocessing; init => _preprocessing = value?.Clone(); }

    /// <summary>The featurizer's spec: backbone tap, pooling, normalization (a JSON object owned by the featurizer).</summary>
    public JsonElement? Featurizer { get => _featurizer; init => _featurizer = value?.Clone(); }

    /// <summary>The classifier head's spec (a JSON object owned by the head).</summary>
    public JsonElement? Head { get => _head; init => _head = value?.Clone(); }

    /// <summary>Validation metrics recorded at training time (a JSON object).</summary>
    public JsonElement? Metrics { get => _metrics; init => _metrics = value?.Clone(); }

    /// <summary>The options the model was trained with (a JSON object), for retraining and audit.</summary>
    public JsonElement? TrainingOptions { get => _trainingOptions; init => _trainingOptions = value?.Clone(); }

    /// <summary>The pretrained backbone, or null for a featurizer that needs none.</summary>
    public ModelBackbone? Backbone { get; init; }

    /// <summary>
    /// Binary entries by name, such as <c>featurizer/filters.bin</c> or <c>head/weights.bin</c>. Names are relative
    /// '/'-separated paths of ASCII letters, digits, '.', '_' and '-'; <c>manifest.json</c> and <c>backbone/</c> are reserved.
    /// </summary>
    public IReadOnlyDictionary<string, ReadOnlyMemory<byte>> Entries
    {
        get => _entries;
        init => _entries = value is null ? NoEntries : new ReadOnlyDictionary<string, ReadOnlyMemory<byte>>(new Dictionary<string, ReadOnlyMemory<byte>>(value, StringComparer.Ordinal));
    }

    /// <summary>The format version of the file this package was loaded from (older versions are migrated on load); <see cref="ModelFormat.CurrentVersion"/> for a new package.</summary>
    public int FormatVersion { get; private init; } = ModelFormat.CurrentVersion;

    /// <summary>The version of the library that wrote the file; this library's version for a new package.</summary>
    public string LibraryVersion { get; private init; } = ModelFormat.LibraryVersion;

    /// <summary>When the file was written (UTC), or null for a package not loaded from a file.</summary>
    public DateTimeOffset? CreatedUtc { get; private init; }

    /// <summary>
    /// Saves atomically to <paramref name="path"/>, replacing any existing file only once the new one is complete on disk.
    /// When <paramref name="cancellation"/> is triggered before the new file is renamed into place, the save stops: the
    /// temporary file is deleted and an existing file at <paramref name="path"/> is left as it was.
    /// </summary>
    /// <exception cref="ArgumentException">The package is invalid (e.g. duplicate labels, a reserved entry name).</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file at <paramref name="path"/> is left as it was.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was triggered; nothing was replaced.</exception>
    public void Save(string path, CancellationToken cancellation = default) => Save(path, TimeProvider.System, wrapForTesting: null, cancellation);

    /// <summary>Writes the package to <paramref name="destination"/> (which may be forward-only). Not atomic: prefer <see cref="Save(string, CancellationToken)"/> for files.</summary>
    public void Save(Stream destination) => Write(destination, TimeProvider.System.GetUtcNow());

    /// <summary>Loads and validates the model.zip at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidModelPackageException">The file is not a model package, or is corrupt, hostile, or of a newer format version.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ModelPackage Load(string path, ModelPackageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Files.SpecialFiles.IsEmptyOrSpecial(path)) throw new InvalidModelPackageException(Files.SpecialFiles.Reason, path);
        // Opening a folder is an UnauthorizedAccessException on Unix: true, but not what is wrong.
        if (Directory.Exists(path)) throw new InvalidModelPackageException(FolderReason, path);
        // FileShare.Delete lets a concurrent atomic save rename a new model over this one while it is being read.
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1 << 16);
        try
        {
            return Read(file, limits ?? ModelPackageLimits.Default, ModelFormat.ManifestMigrations, ModelFormat.CurrentVersion);
        }
        catch (InvalidModelPackageException e) when (e.File is null)
        {
            throw e.WithFile(path);
        }
    }

    /// <summary>Loads and validates a model package from <paramref name="source"/>, read from its current position to its end.</summary>
    /// <exception cref="InvalidModelPackageException">The bytes are not a model package, or are corrupt, hostile, or of a newer format version.</exception>
    public static ModelPackage Load(Stream source, ModelPackageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        limits ??= ModelPackageLimits.Default;
        if (source.CanSeek && source.Position == 0)
            return Read(source, limits, ModelFormat.ManifestMigrations, ModelFormat.CurrentVersion);
        using var copy = new MemoryStream();
        CopyBounded(source, copy, limits.MaxTotalBytes + limits.MaxManifestBytes + (64L << 20));
        copy.Position = 0;
        return Read(copy, limits, ModelFormat.ManifestMigrations, ModelFormat.CurrentVersion);
    }

    /// <summary>
    /// A package starts with a zip local header, as every writer of this format puts one there. Checked first because a
    /// zip can also hide at the end of another file: a TFLite network with metadata carries its labels as one, and was
    /// reported as a damaged package ("the local header at 3588976 leaves a gap") instead of as the wrong kind of file.
    /// </summary>
    private static void RequireZipStart(Stream stream)
    {
        if (!stream.CanSeek) return;
        long start = stream.Position;
        Span<byte> head = stackalloc byte[8];
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = start;
        if (read >= 4 && head[..4].SequenceEqual("PK\u0003\u0004"u8)) return;
        string what = read >= 8 && head[4..8].SequenceEqual("TFL3"u8) ? "it is a TFLite network file"
            : read == 0 ? "it is empty"
            : $"it starts with {Convert.ToHexString(head[..read])}, not a zip header";
        throw new InvalidModelPackageException($"not a model package: {what}",
            hint: "a model package is the model.zip that 'train' or ModelPackage.Save writes; a network file (.onnx, .tflite) is a backbone: give it to train --backbone or TrainerOptions.Backbone");
    }

    /// <summary>Why a folder given as a model package is refused.</summary>
    internal const string FolderReason = "is a folder, not a model package file (the model.zip that 'train' or ModelPackage.Save writes)";

    /// <summary>Null when <paramref name="label"/> is acceptable, else why not.</summary>
    internal static string? ValidateLabel(string? label)
    {
        if (string.IsNullOrWhiteSpace(label)) return "a label is empty";
        if (label.Length > ManifestCodec.MaxLabelLength) return $"a label is over {ManifestCodec.MaxLabelLength} characters";
        foreach (char c in label)
        {
            if (char.IsControl(c)) return "a label contains a control character";
        }
        return null;
    }

    /// <summary>The atomic save, with seams for tests: the clock, and a wrapper around the temporary file's stream (fault injection).</summary>
    internal void Save(string path, TimeProvider clock, Func<Stream, Stream>? wrapForTesting, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        Validate();
        cancellation.ThrowIfCancellationRequested();
        DateTimeOffset created = clock.GetUtcNow();
        AtomicFile.Write(path, stream => Write(stream, created, cancellation), wrapForTesting, cancellation);
    }

    /// <summary>Writes the zip; <paramref name="cancellation"/> is checked before each entry (compressing a backbone takes a while).</summary>
    internal void Write(Stream destination, DateTimeOffset created, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Validate();
        // Order: manifest (stored, so the file's first bytes name the format), the backbone, then the other entries by name.
        var payloads = new List<(string Name, ReadOnlyMemory<byte> Content)>(_entries.Count + 1);
        if (Backbone is { Storage: BackboneStorage.Embedded } backbone) payloads.Add((backbone.EntryName, backbone.Content));
        foreach (string name in _entries.Keys.Order(StringComparer.Ordinal)) payloads.Add((name, _entries[name]));

        var listed = new List<ManifestEntry>(payloads.Count);
        foreach ((string name, ReadOnlyMemory<byte> content) in payloads)
            listed.Add(new ManifestEntry(name, content.Length, Convert.ToHexStringLower(SHA256.HashData(content.Span))));
        byte[] manifest = ManifestCodec.Write(this, listed, created);

        var zip = new ZipWriter(destination);
        zip.Add(ModelFormat.ManifestEntryName, manifest, compress: false);
        foreach ((string name, ReadOnlyMemory<byte> content) in payloads)
        {
            cancellation.ThrowIfCancellationRequested();
            zip.Add(name, content.Span, compress: true);
        }
        zip.Finish();
        destination.Flush();
    }

    /// <summary>The loader, with the migration chain and current version as seams for tests.</summary>
    internal static ModelPackage Read(Stream stream, ModelPackageLimits limits, IReadOnlyList<Action<JsonObject>> migrations, int currentVersion)
    {
        limits.Validate();
        RequireZipStart(stream);
        ZipReader zip = ZipReader.Open(stream, limits);
        var byName = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        foreach (ZipEntry entry in zip.Entries) byName.Add(entry.Name, entry);

        if (!byName.TryGetValue(ModelFormat.ManifestEntryName, out ZipEntry? manifestEntry))
            throw new InvalidModelPackageException($"the archive has no {ModelFormat.ManifestEntryName}: it is a zip, but not a Pipeline model package",
                entry: ModelFormat.ManifestEntryName, hint: "a model package is the model.zip that 'train' or ModelPackage.Save writes");
        if (manifestEntry.Size > limits.MaxManifestBytes)
            throw new InvalidModelPackageException($"declares {manifestEntry.Size} bytes, over the manifest limit of {limits.MaxManifestBytes}", entry: ModelFormat.ManifestEntryName);
        Manifest manifest = ManifestCodec.Read(zip.Read(manifestEntry), migrations, currentVersion);

        // The manifest and the archive must list exactly the same entries: an unlisted entry is refused rather than
        // ignored, because a model package is fully described by its manifest and anything else is tampering.
        var listed = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
        foreach (ManifestEntry entry in manifest.Entries)
        {
            if (entry.Name == ModelFormat.ManifestEntryName || !listed.TryAdd(entry.Name, entry))
                throw new InvalidModelPackageException($"manifest.json lists '{entry.Name}' twice or lists itself", entry: ModelFormat.ManifestEntryName);
            if (!byName.TryGetValue(entry.Name, out ZipEntry? stored))
                throw new InvalidModelPackageException("the manifest lists this entry but the archive does not hold it", entry: entry.Name,
                    hint: "the file is incomplete or was edited; save the model again");
            if (stored.Size != entry.Size)
                throw new InvalidModelPackageException($"the zip header declares {stored.Size} bytes, the manifest {entry.Size}", entry: entry.Name);
        }
        foreach (ZipEntry entry in zip.Entries)
        {
            if (entry.Name != ModelFormat.ManifestEntryName && !listed.ContainsKey(entry.Name))
                throw new InvalidModelPackageException("the archive holds an entry the manifest does not list", entry: entry.Name,
                    hint: "model packages are never edited in place; an extra entry means the file was tampered with or built by another tool");
        }

        string? backboneEntry = manifest.Backbone?.Entry;
        if (manifest.Backbone is { Storage: BackboneStorage.Embedded } embedded
            && backboneEntry != ModelFormat.BackboneFolder + EntryNames.SanitizeSegment(embedded.FileName, "backbone.bin"))
            throw new InvalidModelPackageException($"the embedded backbone's entry is '{backboneEntry}', not the backbone/ entry its file name gives", entry: ModelFormat.ManifestEntryName);
        if (backboneEntry is not null && !listed.ContainsKey(backboneEntry))
            throw new InvalidModelPackageException($"the embedded backbone's entry '{backboneEntry}' is not listed in the manifest", entry: ModelFormat.ManifestEntryName);
        var contents = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        ReadOnlyMemory<byte> backboneContent = ReadOnlyMemory<byte>.Empty;
        foreach (ZipEntry entry in zip.Entries)
        {
            if (entry.Name == ModelFormat.ManifestEntryName) continue;
            byte[] content = zip.Read(entry);
            string sha = Convert.ToHexStringLower(SHA256.HashData(content));
            if (sha != listed[entry.Name].Sha256)
                throw new InvalidModelPackageException($"SHA-256 is {sha}, the manifest says {listed[entry.Name].Sha256}: the entry was altered or corrupted", entry: entry.Name);
            if (entry.Name == backboneEntry) backboneContent = content;
            else if (entry.Name.StartsWith(ModelFormat.BackboneFolder, StringComparison.Ordinal))
                throw new InvalidModelPackageException("an entry under backbone/ that is not the manifest's backbone", entry: entry.Name);
            else contents.Add(entry.Name, content);
        }

        ModelBackbone? backbone = null;
        if (manifest.Backbone is { } b)
        {
            if (b.Storage == BackboneStorage.Embedded)
            {
                ManifestEntry e = listed[b.Entry!];
                if (e.Sha256 != b.Sha256 || e.Size != b.Size)
                    throw new InvalidModelPackageException($"the backbone's size or SHA-256 differs from its entry '{b.Entry}'", entry: ModelFormat.ManifestEntryName);
            }
            backbone = ModelBackbone.FromManifest(b.FileName, b.Sha256, b.Size, b.Storage, b.RegistryName, backboneContent);
        }

        return new ModelPackage
        {
            Labels = manifest.Labels,
            Preprocessing = manifest.Preprocessing,
            Featurizer = manifest.Featurizer,
            Head = manifest.Head,
            Metrics = manifest.Metrics,
            TrainingOptions = manifest.TrainingOptions,
            Backbone = backbone,
            Entries = contents,
            FormatVersion = manifest.FileVersion,
            LibraryVersion = manifest.LibraryVersion,
            CreatedUtc = manifest.CreatedUtc,
        };
    }

    private void Validate()
    {
        if (Labels is null || Labels.Count == 0) throw new ArgumentException("A model needs at least one label.", nameof(Labels));
        if (Labels.Count > ManifestCodec.MaxLabels) throw new ArgumentException($"A model may have at most {ManifestCodec.MaxLabels} labels.", nameof(Labels));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string label in Labels)
        {
            if (ValidateLabel(label) is { } problem) throw new ArgumentException($"Label '{label}': {problem}.", nameof(Labels));
            if (!seen.Add(label)) throw new ArgumentException($"Label '{label}' appears twice.", nameof(Labels));
        }
        CheckObject(_preprocessing, nameof(Preprocessing));
        CheckObject(_featurizer, nameof(Featurizer));
        CheckObject(_head, nameof(Head));
        CheckObject(_metrics, nameof(Metrics));
        CheckObject(_trainingOptions, nameof(TrainingOptions));
        long total = Backbone?.Content.Length ?? 0;
        foreach ((string name, ReadOnlyMemory<byte> content) in _entries)
        {
            if (EntryNames.Validate(name) is { } problem) throw new ArgumentException($"Entry name '{name}': {problem}.", nameof(Entries));
            if (name.Equals(ModelFormat.ManifestEntryName, StringComparison.OrdinalIgnoreCase) || name.StartsWith(ModelFormat.BackboneFolder, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"Entry name '{name}' is reserved (manifest.json and backbone/ are written by the package itself).", nameof(Entries));
            if (content.Length > ModelPackageLimits.Default.MaxEntryBytes)
                throw new ArgumentException($"Entry '{name}' is {content.Length} bytes, over the {ModelPackageLimits.Default.MaxEntryBytes} a default load accepts.", nameof(Entries));
            total += content.Length;
        }
        if (Backbone?.Content.Length > ModelPackageLimits.Default.MaxEntryBytes)
            throw new ArgumentException($"The backbone is {Backbone.Content.Length} bytes, over the {ModelPackageLimits.Default.MaxEntryBytes} a default load accepts; reference it instead of embedding it.", nameof(Backbone));
        if (total > ModelPackageLimits.Default.MaxTotalBytes)
            throw new ArgumentException($"The entries total {total} bytes, over the {ModelPackageLimits.Default.MaxTotalBytes} a default load accepts.", nameof(Entries));
        var folded = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in _entries.Keys)
        {
            if (!folded.Add(name)) throw new ArgumentException($"Entry names '{name}' collide when case is ignored.", nameof(Entries));
        }
    }

    private static void CheckObject(JsonElement? value, string name)
    {
        if (value is { } element && element.ValueKind != JsonValueKind.Object)
            throw new ArgumentException($"{name} must be a JSON object, not {element.ValueKind}.", name);
    }

    private static void CopyBounded(Stream source, Stream destination, long limit)
    {
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = source.Read(buffer)) > 0)
        {
            total += read;
            if (total > limit) throw new InvalidModelPackageException($"the stream holds over {limit} bytes, more than any model package the limits allow");
            destination.Write(buffer, 0, read);
        }
    }
}
