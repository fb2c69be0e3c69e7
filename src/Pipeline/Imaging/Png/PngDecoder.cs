namespace Pipeline.Imaging.Png;

/// <summary>
/// Decodes PNG (every colour type and bit depth, PLTE + tRNS, Adam7) into 8-bit RGB or RGBA. The work is in
/// <see cref="PngDecoderCore"/>; this is the entry point <see cref="ImageDecoder"/> calls.
/// </summary>
internal static class PngDecoder
{
    /// <summary>Decodes one image; throws <see cref="InvalidImageException"/> for anything it cannot decode.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions options)
    {
        using PngDecoderCore core = PngDecoderCore.Open(data, options);
        return core.DecodeImage();
    }

    /// <summary>Decodes one image at 16 bits per sample (tests compare these with a reference bit for bit).</summary>
    public static PngSamples16 DecodeSamples16(ReadOnlySpan<byte> data, DecoderOptions options)
    {
        using PngDecoderCore core = PngDecoderCore.Open(data, options);
        return core.DecodeSamples16();
    }
}
