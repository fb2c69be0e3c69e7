namespace Pipeline.Imaging;

/// <summary>The container formats the decoders recognise from their magic bytes.</summary>
public enum ImageFormat
{
    /// <summary>Not recognised.</summary>
    Unknown = 0,

    /// <summary>JPEG (JFIF/EXIF), starting FF D8 FF.</summary>
    Jpeg,

    /// <summary>PNG, starting 89 50 4E 47 0D 0A 1A 0A.</summary>
    Png,

    /// <summary>Windows bitmap, starting "BM".</summary>
    Bmp,

    /// <summary>GIF87a or GIF89a.</summary>
    Gif,

    /// <summary>WebP (lossy VP8 or lossless VP8L, in a RIFF container), starting "RIFF", a size, then "WEBP".</summary>
    Webp,
}
