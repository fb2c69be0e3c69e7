namespace Pipeline.Imaging;

/// <summary>How to decode: limits, orientation, partial decoding and the size the caller needs.</summary>
public sealed record DecoderOptions
{
    /// <summary>The default options: 100 MP and 256 MiB limits, EXIF orientation applied, no partial decodes, full resolution.</summary>
    public static DecoderOptions Default { get; } = new();

    /// <summary>
    /// The largest image accepted, in pixels (width × height), checked from the header before any large allocation.
    /// Default 100 megapixels.
    /// </summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>
    /// The largest image file accepted, in bytes, checked before a file is read and while a stream is read (so an
    /// endless stream is refused once it passes the limit, having cost about twice the limit in memory at the most,
    /// all of it released). Default 256 MiB.
    /// </summary>
    public long MaxBytes { get; init; } = 256L << 20;

    /// <summary>Rotate and flip JPEG images as their EXIF orientation tag says (default true).</summary>
    public bool ApplyExifOrientation { get; init; } = true;

    /// <summary>
    /// Return what was decoded from a truncated JPEG (missing rows grey) instead of throwing. Off by default:
    /// a truncated file is an error unless the caller opts in.
    /// </summary>
    public bool AllowPartial { get; init; }

    /// <summary>
    /// The smallest width and height the caller needs (after orientation), or 0 for full resolution.
    /// A JPEG decoder may then decode at 1/2, 1/4 or 1/8 scale in the DCT domain, keeping both sides at least this large.
    /// </summary>
    public int MinWidth { get; init; }

    /// <inheritdoc cref="MinWidth"/>
    public int MinHeight { get; init; }

    /// <summary>Throws when a limit or size is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">MaxPixels or MaxBytes is not positive, or MinWidth or MinHeight is negative.</exception>
    internal void Validate()
    {
        if (MaxPixels <= 0) throw new ArgumentOutOfRangeException(nameof(MaxPixels), MaxPixels, "DecoderOptions.MaxPixels must be positive.");
        if (MaxBytes <= 0) throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes, "DecoderOptions.MaxBytes must be positive.");
        if (MinWidth < 0) throw new ArgumentOutOfRangeException(nameof(MinWidth), MinWidth, "DecoderOptions.MinWidth cannot be negative.");
        if (MinHeight < 0) throw new ArgumentOutOfRangeException(nameof(MinHeight), MinHeight, "DecoderOptions.MinHeight cannot be negative.");
    }
}
