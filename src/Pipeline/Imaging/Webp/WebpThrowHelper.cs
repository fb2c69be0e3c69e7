using System.Diagnostics.CodeAnalysis;

namespace Pipeline.Imaging.Webp;

/// <summary>Builds the one exception type the WebP decoders throw.</summary>
internal static class WebpThrowHelper
{
    /// <summary>Throws <see cref="InvalidImageException"/> for a WebP problem found at <paramref name="offset"/> (from the start of the file).</summary>
    [DoesNotReturn]
    public static void ThrowInvalid(long offset, string reason)
        => throw new InvalidImageException(null, ImageFormat.Webp, offset, reason);
}
