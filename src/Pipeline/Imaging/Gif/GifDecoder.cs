namespace Pipeline.Imaging.Gif;

/// <summary>
/// Decodes the first frame of a GIF (87a/89a, global or local colour table, interlaced or not, GCE transparency)
/// into 8-bit RGB or RGBA. The work is in <see cref="GifDecoderCore"/>; this is the entry point <see cref="ImageDecoder"/> calls.
/// </summary>
internal static class GifDecoder
{
    /// <summary>Decodes one image; throws <see cref="InvalidImageException"/> for anything it cannot decode.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions options) => GifDecoderCore.Decode(data, options);
}
