namespace Pipeline.Imaging.Png;

/// <summary>Decodes Png images. (Placeholder until the codec lands: every call reports the format as unsupported.)</summary>
internal static class PngDecoder
{
    /// <summary>Decodes one image; throws <see cref="InvalidImageException"/> for anything it cannot decode.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions options)
        => throw new InvalidImageException(null, ImageFormat.Png, 0, "this build has no Png decoder yet");
}
