using Pipeline.Imaging.Bmp;
using Pipeline.Imaging.Gif;
using Pipeline.Imaging.Jpeg;
using Pipeline.Imaging.Png;
using Pipeline.Imaging.Webp;

namespace Pipeline.Imaging;

/// <summary>
/// Decodes JPEG, PNG, BMP, GIF and WebP images, recognised from their magic bytes (never the file extension).
/// Every failure is an <see cref="InvalidImageException"/> naming the file, the format, the byte offset and the reason.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes the file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidImageException">The file is not a supported image, or is corrupt, truncated or too large.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read, or is a folder.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static Image Decode(string path, DecoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= DecoderOptions.Default;
        options.Validate();
        if (Directory.Exists(path)) throw new UnauthorizedAccessException($"{path} is a folder, not an image file.");
        if (Files.SpecialFiles.IsEmptyOrSpecial(path)) throw new InvalidImageException(path, ImageFormat.Unknown, 0, Files.SpecialFiles.Reason);
        // The target's length: a link's own would let a linked file past the limit.
        long length = Files.FileLinks.Resolve(path).Length;
        if (length > options.MaxBytes)
            throw new InvalidImageException(path, ImageFormat.Unknown, 0, $"the file is {length} bytes, over the limit of {options.MaxBytes} (DecoderOptions.MaxBytes)");
        byte[] data = File.ReadAllBytes(path);
        try
        {
            return Decode(data, options);
        }
        catch (InvalidImageException e) when (e.File is null)
        {
            throw e.WithFile(path);
        }
    }

    /// <summary>Decodes an image held in memory.</summary>
    /// <exception cref="InvalidImageException">The bytes are not a supported image, or are corrupt, truncated or too large.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions? options = null)
    {
        options ??= DecoderOptions.Default;
        options.Validate();
        return DetectFormat(data) switch
        {
            ImageFormat.Jpeg => JpegDecoder.Decode(data, options),
            ImageFormat.Png => PngDecoder.Decode(data, options),
            ImageFormat.Bmp => BmpDecoder.Decode(data, options),
            ImageFormat.Gif => GifDecoder.Decode(data, options),
            ImageFormat.Webp => WebpDecoder.Decode(data, options),
            _ => throw new InvalidImageException(null, ImageFormat.Unknown, 0, UnsupportedFormat.Reason(data)),
        };
    }

    /// <summary>
    /// Decodes an image from a stream, read to its end with synchronous reads (at most <see cref="DecoderOptions.MaxBytes"/>).
    /// For a stream that only allows asynchronous reads, such as an ASP.NET Core request body, use <see cref="DecodeAsync"/>.
    /// </summary>
    /// <exception cref="InvalidImageException">The bytes are not a supported image, are corrupt or truncated, or are too many.</exception>
    /// <exception cref="IOException">The stream fails.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static Image Decode(Stream stream, DecoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= DecoderOptions.Default;
        options.Validate();
        return Decode(BoundedStreamReader.ReadAll(stream, options.MaxBytes), options);
    }

    /// <summary>Decodes an image from a stream read asynchronously to its end (at most <see cref="DecoderOptions.MaxBytes"/>).</summary>
    /// <exception cref="InvalidImageException">The bytes are not a supported image, are corrupt or truncated, or are too many.</exception>
    /// <exception cref="IOException">The stream fails.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was triggered while reading.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static async Task<Image> DecodeAsync(Stream stream, DecoderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= DecoderOptions.Default;
        options.Validate();
        byte[] data = await BoundedStreamReader.ReadAllAsync(stream, options.MaxBytes, cancellationToken).ConfigureAwait(false);
        return Decode(data, options);
    }

    /// <summary>The format <paramref name="data"/> starts with, or <see cref="ImageFormat.Unknown"/>.</summary>
    public static ImageFormat DetectFormat(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat.Jpeg;
        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return ImageFormat.Png;
        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8)) return ImageFormat.Gif;
        if (data.Length >= 14 && data[0] == (byte)'B' && data[1] == (byte)'M') return ImageFormat.Bmp;
        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..].StartsWith("WEBP"u8)) return ImageFormat.Webp;
        return ImageFormat.Unknown;
    }
}
