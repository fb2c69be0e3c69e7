using Pipeline.Graph.Tflite;
using Pipeline.Imaging;
using Pipeline.Persistence;
using Pipeline.Persistence.Zip;

namespace Trainer.Commands;

/// <summary>
/// Checks on the files a command reads, made before any work: a folder, a network file or an image given where another
/// kind of file belongs gets a message that says which kind was expected, instead of a parser's complaint about it.
/// </summary>
internal static class InputFiles
{
    /// <summary>Throws unless <paramref name="path"/> could be a model.zip (a missing file is left to the loader's message, exit 2).</summary>
    public static string RequireModelZip(string path)
    {
        RequireNotFolder("--model", path, "a model.zip file");
        RequireNotImage("--model", path, "a model.zip file");
        if (File.Exists(path) && Head(path) is var head && !ModelFormat.StartsLikeModelPackage(head) && IsNetworkFile(path, head))
            throw CommandFailureException.BadFile("--model", path, $"is a network file, not a model.zip; train a model on it with `train --data <images> --backbone {path}`.");
        return path;
    }

    /// <summary>Throws when <paramref name="path"/> is a folder (the file system's "access denied" says nothing useful); <paramref name="expected"/> names the file wanted.</summary>
    public static void RequireNotFolder(string option, string path, string expected)
    {
        if (Directory.Exists(path)) throw CommandFailureException.BadFile(option, path, $"is a folder; expected {expected}.");
    }

    /// <summary>Throws when <paramref name="path"/> is an image, named where a model is wanted (a parser's complaint would not say so).</summary>
    public static void RequireNotImage(string option, string path, string expected)
    {
        if (File.Exists(path) && ImageDecoder.DetectFormat(Head(path)) is var format and not ImageFormat.Unknown)
            throw CommandFailureException.BadFile(option, path, $"is a {format} image; expected {expected}.");
    }

    /// <summary>Throws unless <paramref name="path"/> could be a dataset: a folder, or a text manifest, UTF-8 or UTF-16 with a byte order mark (not an image, a zip or other binary file).</summary>
    public static string RequireData(string path)
    {
        if (!File.Exists(path)) return path;
        byte[] head = Head(path);
        string? kind = ImageDecoder.DetectFormat(head) != ImageFormat.Unknown ? "an image"
            : ModelFormat.StartsLikeModelPackage(head) ? "a model.zip"
            : ZipLayout.StartsWithLocalHeader(head) ? "a zip file"
            : !IsText(head) ? "a binary file"
            : null;
        if (kind is not null)
            throw CommandFailureException.BadFile("--data", path, $"is {kind}; --data must be a folder with one subfolder per class, or a .csv/.tsv manifest of path,label.");
        return path;
    }

    /// <summary>
    /// Whether <paramref name="head"/> may start a text file: no NUL byte, or UTF-16 (little or big endian, as Excel's
    /// "Unicode Text" saves) after its byte order mark with no NUL character. The manifest reader reads both.
    /// </summary>
    private static bool IsText(byte[] head)
    {
        bool little = head is [0xFF, 0xFE, ..], big = head is [0xFE, 0xFF, ..];
        if (!little && !big) return !head.AsSpan().Contains((byte)0);
        string text = (little ? System.Text.Encoding.Unicode : System.Text.Encoding.BigEndianUnicode).GetString(head, 2, (head.Length - 2) & ~1);
        return !text.Contains('\0');
    }

    /// <summary>An .onnx or .tflite file, by extension or by the TFLite identifier at byte 4.</summary>
    private static bool IsNetworkFile(string path, ReadOnlySpan<byte> head)
        => Path.GetExtension(path).ToLowerInvariant() is ".onnx" or ".tflite" || TfliteModelReader.IsTflite(head);

    /// <summary>The file's first 512 bytes (enough for every check here), or none when it cannot be read.</summary>
    private static byte[] Head(string path)
    {
        try
        {
            if (Pipeline.Files.SpecialFiles.IsEmptyOrSpecial(path)) return [];
            using FileStream stream = File.OpenRead(path);
            var buffer = new byte[512];
            return buffer[..stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
