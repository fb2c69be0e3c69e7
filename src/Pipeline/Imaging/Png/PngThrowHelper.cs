using System.Diagnostics.CodeAnalysis;

namespace Pipeline.Imaging.Png;

/// <summary>Builds the one exception type the PNG codec throws, so call sites stay short and the hot paths small.</summary>
internal static class PngThrowHelper
{
    /// <summary>Throws <see cref="InvalidImageException"/> for a PNG problem found at <paramref name="offset"/>.</summary>
    [DoesNotReturn]
    public static void ThrowInvalid(long offset, string reason, Exception? inner = null)
        => throw new InvalidImageException(null, ImageFormat.Png, offset, reason, inner);

    /// <inheritdoc cref="ThrowInvalid"/>
    [DoesNotReturn]
    public static T ThrowInvalid<T>(long offset, string reason)
        => throw new InvalidImageException(null, ImageFormat.Png, offset, reason);
}
