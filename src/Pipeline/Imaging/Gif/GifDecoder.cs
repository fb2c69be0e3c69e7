namespace Pipeline.Imaging.Gif;

/// <summary>Decodes Gif images. (Placeholder until the codec lands: every call reports the format as unsupported.)</summary>
internal static class GifDecoder
{
    /// <summary>Decodes one image; throws <see cref="InvalidImageException"/> for anything it cannot decode.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions options)
        => throw new InvalidImageException(null, ImageFormat.Gif, 0, "this build has no Gif decoder yet");
}
