namespace Pipeline.Imaging.Jpeg;

/// <summary>Decodes Jpeg images. (Placeholder until the codec lands: every call reports the format as unsupported.)</summary>
internal static class JpegDecoder
{
    /// <summary>Decodes one image; throws <see cref="InvalidImageException"/> for anything it cannot decode.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions options)
        => throw new InvalidImageException(null, ImageFormat.Jpeg, 0, "this build has no Jpeg decoder yet");
}
