using System.Buffers;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// Decodes an ALPH chunk, the alpha plane of a lossy frame: a header byte (bits 0–1 compression: 0 raw, 1 a VP8L image
/// stream without its 5-byte header whose green channel is the alpha; bits 2–3 filtering: none, horizontal, vertical
/// or gradient; bits 4–5 pre-processing, a hint (0 or 1); bits 6–7 reserved, 0), then the data. The filtered values
/// are residuals of a prediction from the left, upper or both neighbours, undone here.
/// </summary>
internal static class WebpAlphaDecoder
{
    /// <summary>
    /// Decodes the ALPH payload <paramref name="data"/>[<paramref name="start"/>..+<paramref name="length"/>] of a
    /// <paramref name="width"/> × <paramref name="height"/> frame into <paramref name="alpha"/> (one byte per pixel).
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> data, int start, int length, int width, int height, Span<byte> alpha)
    {
        if (length < 1) WebpThrowHelper.ThrowInvalid(start, "the ALPH chunk is empty: it has no header byte");
        int header = data[start];
        int compression = header & 3, filter = (header >> 2) & 3, preprocessing = (header >> 4) & 3, reserved = header >> 6;
        if (compression > WebpConstants.AlphaLossless)
            WebpThrowHelper.ThrowInvalid(start, $"ALPH compression method {compression} is unknown (0 raw, 1 lossless)");
        if (preprocessing > 1) WebpThrowHelper.ThrowInvalid(start, $"ALPH pre-processing {preprocessing} is unknown (0 or 1)");
        if (reserved != 0) WebpThrowHelper.ThrowInvalid(start, $"the reserved bits of the ALPH header are {reserved}, not 0");
        int pixels = width * height;
        alpha = alpha[..pixels];
        if (compression == WebpConstants.AlphaRaw)
        {
            if (length - 1 < pixels)
                WebpThrowHelper.ThrowInvalid(start + 1, $"the raw ALPH data is {length - 1} bytes; the {width}x{height} frame needs {pixels}");
            data.Slice(start + 1, pixels).CopyTo(alpha);
        }
        else
        {
            uint[] argb = ArrayPool<uint>.Shared.Rent(pixels);
            try
            {
                Vp8LDecoder.DecodeArgb(data, start + 1, start + length, width, height, argb);
                for (int i = 0; i < pixels; i++) alpha[i] = (byte)(argb[i] >> 8);
            }
            finally
            {
                ArrayPool<uint>.Shared.Return(argb);
            }
        }
        Unfilter(alpha, width, height, filter);
    }

    /// <summary>Undoes ALPH filtering in place: each value is its residual plus a prediction, modulo 256.</summary>
    public static void Unfilter(Span<byte> alpha, int width, int height, int filter)
    {
        if (filter == WebpConstants.FilterNone) return;
        // The first row is predicted from the left (its first pixel from 0), whatever the method.
        Span<byte> first = alpha[..width];
        for (int x = 1; x < width; x++) first[x] += first[x - 1];
        for (int y = 1; y < height; y++)
        {
            ReadOnlySpan<byte> above = alpha.Slice((y - 1) * width, width);
            Span<byte> row = alpha.Slice(y * width, width);
            switch (filter)
            {
                case WebpConstants.FilterHorizontal:
                    row[0] += above[0];
                    for (int x = 1; x < width; x++) row[x] += row[x - 1];
                    break;
                case WebpConstants.FilterVertical:
                    for (int x = 0; x < width; x++) row[x] += above[x];
                    break;
                default:
                    row[0] += above[0];
                    for (int x = 1; x < width; x++) row[x] += (byte)Math.Clamp(row[x - 1] + above[x] - above[x - 1], 0, 255);
                    break;
            }
        }
    }
}
