namespace Pipeline.Imaging.Bmp;

/// <summary>
/// Decodes Windows bitmaps (core, info, V2–V5 and OS/2 headers; palette, 16/24/32-bit, bit fields, RLE4/RLE8) into
/// 8-bit RGB or RGBA. The work is in <see cref="BmpDecoderCore"/>; this is the entry point <see cref="ImageDecoder"/> calls.
/// </summary>
internal static class BmpDecoder
{
    /// <summary>Decodes one image; throws <see cref="InvalidImageException"/> for anything it cannot decode.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions options) => BmpDecoderCore.Decode(data, options);
}
