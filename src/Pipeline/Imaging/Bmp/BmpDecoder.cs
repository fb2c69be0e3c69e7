namespace Pipeline.Imaging.Bmp;

/// <summary>Decodes Bmp images. (Placeholder until the codec lands: every call reports the format as unsupported.)</summary>
internal static class BmpDecoder
{
    /// <summary>Decodes one image; throws <see cref="InvalidImageException"/> for anything it cannot decode.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions options)
        => throw new InvalidImageException(null, ImageFormat.Bmp, 0, "this build has no Bmp decoder yet");
}
