using Pipeline.Imaging;

namespace Pipeline.Datasets;

/// <summary>Reads a file's first bytes and names its image format, or says why it is not an image (never throws for a bad file).</summary>
internal static class FormatSniffer
{
    private const int HeadBytes = 16;

    /// <summary>The format of <paramref name="path"/>, or null with <paramref name="problem"/> saying why it cannot be used.</summary>
    public static ImageFormat? Sniff(string path, out string? problem)
    {
        Span<byte> head = stackalloc byte[HeadBytes];
        int read;
        try
        {
            if (Files.SpecialFiles.IsEmptyOrSpecial(path))
            {
                problem = Files.SpecialFiles.Reason;
                return null;
            }
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1);
            read = file.ReadAtLeast(head, HeadBytes, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot be read ({e.Message})";
            return null;
        }
        if (read == 0)
        {
            problem = "the file is empty";
            return null;
        }
        ImageFormat format = ImageDecoder.DetectFormat(head[..read]);
        if (format == ImageFormat.Unknown)
        {
            problem = $"not a JPEG, PNG, BMP, GIF or WebP image (starts with {Convert.ToHexString(head[..Math.Min(read, 8)])})";
            return null;
        }
        problem = null;
        return format;
    }
}
