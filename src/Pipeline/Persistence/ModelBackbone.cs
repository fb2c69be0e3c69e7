using System.Security.Cryptography;
using Pipeline.Persistence.Zip;

namespace Pipeline.Persistence;

/// <summary>How a model.zip holds its backbone.</summary>
public enum BackboneStorage
{
    /// <summary>The backbone file is inside the zip: the model is self-contained and portable (the default).</summary>
    Embedded,

    /// <summary>
    /// Only the backbone's registry name, size and SHA-256 are recorded; the file comes from the backbone cache
    /// (downloaded on first use). Keeps zips small when many models share a large backbone.
    /// </summary>
    Referenced,
}

/// <summary>The pretrained backbone a model was trained on, embedded in its model.zip or referenced by name and hash.</summary>
public sealed class ModelBackbone
{
    private ModelBackbone(string fileName, string sha256, long size, BackboneStorage storage, string? registryName, ReadOnlyMemory<byte> content)
    {
        FileName = fileName;
        Sha256 = sha256;
        Size = size;
        Storage = storage;
        RegistryName = registryName;
        Content = content;
    }

    /// <summary>The backbone's file name (no folder), e.g. <c>mobilenet_v2_1.0_224_quant.tflite</c>.</summary>
    public string FileName { get; }

    /// <summary>The SHA-256 of the file, 64 lowercase hex digits.</summary>
    public string Sha256 { get; }

    /// <summary>The file's size in bytes.</summary>
    public long Size { get; }

    /// <summary>Whether the file is inside the zip.</summary>
    public BackboneStorage Storage { get; }

    /// <summary>The registry name the backbone was resolved from, or null for a backbone given as a file path.</summary>
    public string? RegistryName { get; }

    /// <summary>The file's bytes when <see cref="Storage"/> is <see cref="BackboneStorage.Embedded"/>; empty otherwise.</summary>
    public ReadOnlyMemory<byte> Content { get; }

    /// <summary>A backbone stored inside the zip.</summary>
    /// <param name="fileName">The original file name (any folder part is dropped).</param>
    /// <param name="content">The file's bytes.</param>
    /// <param name="registryName">The registry name it came from, if any.</param>
    public static ModelBackbone Embedded(string fileName, ReadOnlyMemory<byte> content, string? registryName = null)
    {
        string name = CheckFileName(fileName);
        return new(name, Convert.ToHexStringLower(SHA256.HashData(content.Span)), content.Length, BackboneStorage.Embedded, CheckRegistryName(registryName, optional: true), content);
    }

    /// <summary>A backbone referenced by its registry name, size and SHA-256, to be fetched from the backbone cache at load.</summary>
    public static ModelBackbone Referenced(string registryName, string fileName, string sha256, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        string? problem = Hashes.CheckSha256(sha256);
        if (problem is not null) throw new ArgumentException(problem, nameof(sha256));
        return new(CheckFileName(fileName), sha256, size, BackboneStorage.Referenced, CheckRegistryName(registryName, optional: false), ReadOnlyMemory<byte>.Empty);
    }

    /// <summary>The zip entry of an embedded backbone: <c>backbone/</c> plus the file name with unsafe characters replaced.</summary>
    internal string EntryName => ModelFormat.BackboneFolder + EntryNames.SanitizeSegment(FileName, "backbone.bin");

    internal static ModelBackbone FromManifest(string fileName, string sha256, long size, BackboneStorage storage, string? registryName, ReadOnlyMemory<byte> content) =>
        new(fileName, sha256, size, storage, registryName, content);

    /// <summary>Null when <paramref name="fileName"/> is a plain file name, else why not.</summary>
    internal static string? ValidateFileName(string? fileName)
    {
        if (string.IsNullOrWhiteSpace(fileName)) return "the backbone file name is empty";
        if (fileName.Length > 255) return "the backbone file name is over 255 characters";
        if (fileName is "." or ".." || fileName.IndexOfAny(['/', '\\', '\0']) >= 0 || fileName.Any(char.IsControl))
            return $"the backbone file name '{fileName}' is not a plain file name";
        return null;
    }

    private static string CheckFileName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        string name = Path.GetFileName(fileName.Replace('\\', '/'));
        string? problem = ValidateFileName(name);
        if (problem is not null) throw new ArgumentException(problem, nameof(fileName));
        return name;
    }

    private static string? CheckRegistryName(string? registryName, bool optional)
    {
        if (registryName is null && optional) return null;
        if (string.IsNullOrWhiteSpace(registryName) || registryName.Length > 200 || registryName.Any(char.IsControl))
            throw new ArgumentException("A registry name must be non-empty printable text of at most 200 characters.", nameof(registryName));
        return registryName;
    }
}
