using System.Diagnostics.CodeAnalysis;

namespace Pipeline.Imaging.Bmp;

/// <summary>Builds the one exception type the BMP decoder throws.</summary>
internal static class BmpThrowHelper
{
    /// <summary>Throws <see cref="InvalidImageException"/> for a BMP problem found at <paramref name="offset"/>.</summary>
    [DoesNotReturn]
    public static void ThrowInvalid(long offset, string reason)
        => throw new InvalidImageException(null, ImageFormat.Bmp, offset, reason);
}
