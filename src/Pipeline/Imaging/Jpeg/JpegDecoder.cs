namespace Pipeline.Imaging.Jpeg;

/// <summary>
/// Decodes baseline and progressive Huffman JPEG (8-bit; grayscale, YCbCr, RGB, CMYK and YCCK; any sampling) to RGB,
/// matching libjpeg-turbo's djpeg defaults (integer ISLOW IDCT, fancy upsampling), with DCT-domain downscaling
/// when <see cref="DecoderOptions.MinWidth"/>/<see cref="DecoderOptions.MinHeight"/> allow it and EXIF orientation
/// applied. Every failure is an <see cref="InvalidImageException"/> with the byte offset.
/// </summary>
internal static class JpegDecoder
{
    /// <summary>Decodes one image; throws <see cref="InvalidImageException"/> for anything it cannot decode.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions options) => Decode(data, options, 0);

    /// <summary>
    /// Decodes at a forced DCT scale of 1/<paramref name="scaleDenominator"/> (1, 2, 4 or 8), like
    /// <c>djpeg -scale 1/N</c>; 0 chooses the scale from the options.
    /// </summary>
    public static unsafe Image Decode(ReadOnlySpan<byte> data, DecoderOptions options, int scaleDenominator)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (scaleDenominator is not (0 or 1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(scaleDenominator), scaleDenominator, "Use 1, 2, 4 or 8 (or 0 to choose from the options).");
        fixed (byte* pointer = data)
        {
            return new JpegDecoderCore(pointer, data.Length, options, scaleDenominator).Decode();
        }
    }
}
