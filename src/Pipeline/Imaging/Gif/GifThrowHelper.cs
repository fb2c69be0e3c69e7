using System.Diagnostics.CodeAnalysis;

namespace Pipeline.Imaging.Gif;

/// <summary>Builds the one exception type the GIF decoder throws.</summary>
internal static class GifThrowHelper
{
    /// <summary>Throws <see cref="InvalidImageException"/> for a GIF problem found at <paramref name="offset"/>.</summary>
    [DoesNotReturn]
    public static void ThrowInvalid(long offset, string reason)
        => throw new InvalidImageException(null, ImageFormat.Gif, offset, reason);
}
