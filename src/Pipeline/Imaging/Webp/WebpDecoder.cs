namespace Pipeline.Imaging.Webp;

/// <summary>
/// Decodes WebP (RIFF container: simple lossy "VP8 ", simple lossless "VP8L", extended "VP8X" with alpha, metadata and
/// the first frame of an animation) into 8-bit RGB or RGBA. The work is in <see cref="WebpDecoderCore"/>; this is the
/// entry point <see cref="ImageDecoder"/> calls.
/// </summary>
internal static class WebpDecoder
{
    /// <summary>Decodes one image; throws <see cref="InvalidImageException"/> for anything it cannot decode.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions options) => WebpDecoderCore.Decode(data, options);
}
