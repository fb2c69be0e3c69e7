using System.IO.Compression;

namespace Pipeline.Imaging.Png;

/// <summary>
/// Writes an <see cref="Image"/> as a PNG file: 8 bits per sample, RGB (colour type 2) or RGBA (colour type 6) as the
/// image is, not interlaced, each row filtered with whichever of the five filters gives the smallest sum of absolute
/// differences (libpng's heuristic), compressed with zlib.
/// </summary>
public static class PngEncoder
{
    /// <summary>Encodes <paramref name="image"/> and returns the PNG file's bytes.</summary>
    public static byte[] Encode(Image image, CompressionLevel compression = CompressionLevel.Optimal)
    {
        using var buffer = new MemoryStream();
        Encode(image, buffer, compression);
        return buffer.ToArray();
    }

    /// <summary>Writes <paramref name="image"/> as PNG to <paramref name="output"/> (left open).</summary>
    public static void Encode(Image image, Stream output, CompressionLevel compression = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(output);
        PngEncoderCore.Write(image, output, compression);
    }

    /// <summary>Writes <paramref name="image"/> as a PNG file at <paramref name="path"/>, replacing any file there.</summary>
    public static void Save(Image image, string path, CompressionLevel compression = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = File.Create(path);
        Encode(image, file, compression);
    }
}
