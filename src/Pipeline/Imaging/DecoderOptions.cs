namespace Pipeline.Imaging;

/// <summary>How to decode: limits, orientation, partial decoding and the size the caller needs.</summary>
public sealed record DecoderOptions
{
    /// <summary>The default options: 100 MP limit, EXIF orientation applied, no partial decodes, full resolution.</summary>
    public static DecoderOptions Default { get; } = new();

    /// <summary>
    /// The largest image accepted, in pixels (width × height), checked from the header before any large allocation.
    /// Default 100 megapixels.
    /// </summary>
    public long MaxPixels { get; init; } = 100_000_000;

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
}
