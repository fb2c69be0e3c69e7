namespace Pipeline.Imaging;

/// <summary>The pixel layouts an <see cref="Image"/> can hold: 8 bits per sample, interleaved.</summary>
public enum PixelFormat
{
    /// <summary>Three bytes per pixel: red, green, blue.</summary>
    Rgb24 = 3,

    /// <summary>Four bytes per pixel: red, green, blue, alpha (straight, not premultiplied).</summary>
    Rgba32 = 4,
}

/// <summary>
/// A decoded image: <see cref="Width"/> × <see cref="Height"/> pixels, rows top to bottom, tightly packed
/// (the stride is <c>Width * BytesPerPixel</c>), samples interleaved in <see cref="Format"/> order.
/// </summary>
public sealed class Image
{
    /// <summary>Wraps existing pixels; <paramref name="pixels"/> must hold exactly width × height × bytes-per-pixel bytes.</summary>
    public Image(int width, int height, PixelFormat format, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (format is not (PixelFormat.Rgb24 or PixelFormat.Rgba32))
            throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown pixel format.");
        long expected = (long)width * height * (int)format;
        if (pixels.LongLength != expected)
            throw new ArgumentException($"Expected {expected} bytes for {width}x{height} {format}, got {pixels.LongLength}.", nameof(pixels));
        Width = width;
        Height = height;
        Format = format;
        Pixels = pixels;
    }

    /// <summary>Allocates a zeroed (black, transparent) image.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A side is not positive, the format is unknown, or the pixels would not fit in one array.</exception>
    public Image(int width, int height, PixelFormat format)
        : this(width, height, format, new byte[PixelBytes(width, height, format)])
    {
    }

    /// <summary>Checks the arguments before the array is sized from them (a negative side would otherwise surface as an overflow).</summary>
    private static int PixelBytes(int width, int height, PixelFormat format)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (format is not (PixelFormat.Rgb24 or PixelFormat.Rgba32))
            throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown pixel format.");
        long bytes = (long)width * height * (int)format;
        return bytes <= Array.MaxLength ? (int)bytes
            : throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height} {format} needs {bytes} bytes, more than one array holds ({Array.MaxLength}).");
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The sample layout of <see cref="Pixels"/>.</summary>
    public PixelFormat Format { get; }

    /// <summary>Bytes per pixel: 3 or 4.</summary>
    public int BytesPerPixel => (int)Format;

    /// <summary>Bytes per row.</summary>
    public int Stride => Width * (int)Format;

    /// <summary>The pixel bytes, row-major, top row first.</summary>
    public byte[] Pixels { get; }

    /// <summary>One row of pixels.</summary>
    public Span<byte> Row(int y) => Pixels.AsSpan(y * Stride, Stride);
}
