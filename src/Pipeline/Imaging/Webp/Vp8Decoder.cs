namespace Pipeline.Imaging.Webp;

/// <summary>
/// Decodes the lossy part of a WebP file: one VP8 key frame (RFC 6386), the payload of a "VP8 " chunk, into RGB as
/// libwebp's default output does. The work is in <see cref="Vp8DecoderCore"/>; this is the entry point the WebP
/// container decoder calls (it merges any alpha itself).
/// </summary>
internal static class Vp8Decoder
{
    /// <summary>
    /// Decodes the VP8 key frame in <paramref name="data"/>[<paramref name="start"/>..<paramref name="start"/> + <paramref name="length"/>]
    /// (<paramref name="data"/> is the whole file, so error offsets count from its start) into an <see cref="PixelFormat.Rgb24"/> image.
    /// Throws <see cref="InvalidImageException"/> for anything it cannot decode.
    /// </summary>
    public static Image Decode(ReadOnlySpan<byte> data, int start, int length, DecoderOptions options)
        => Vp8DecoderCore.Decode(data, start, length, options);
}
