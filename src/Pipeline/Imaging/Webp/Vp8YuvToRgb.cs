using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// Turns the decoded 4:2:0 planes into RGB exactly as libwebp's default output does, so pixels match what
/// ImageMagick and browsers show:
/// <list type="bullet">
/// <item>"Fancy" chroma upsampling: each output pixel's chroma is the 9-3-3-1 weighted mix of the four nearest chroma
/// samples, computed in two rounded steps as libwebp does; the first row, the last row of an even-height picture and
/// the edge columns use only the nearest chroma row or column (3-1 weights).</item>
/// <item>BT.601 limited-range YUV → RGB in libwebp's 14-bit fixed point: R = (19077·y/256 + 26149·v/256 − 14234) / 64,
/// G = (19077·y/256 − 6419·u/256 − 13320·v/256 + 8708) / 64, B = (19077·y/256 + 33050·u/256 − 17685) / 64, each
/// quotient truncated, then clamped to 0..255.</item>
/// </list>
/// The middle of each row also has a Vector128 version (Vp8YuvToRgb.Vector128.cs) with the same integer arithmetic;
/// tests check that both give the same bytes.
/// </summary>
internal static partial class Vp8YuvToRgb
{
    /// <summary>
    /// Converts a <paramref name="width"/>×<paramref name="height"/> picture. <paramref name="y"/> rows are
    /// <paramref name="yStride"/> apart, chroma rows <paramref name="uvStride"/> apart (each chroma row has at least
    /// (width + 1) / 2 samples); <paramref name="rgb"/> receives tightly packed rows.
    /// </summary>
    public static void Convert(ReadOnlySpan<byte> y, int yStride, ReadOnlySpan<byte> u, ReadOnlySpan<byte> v, int uvStride,
        int width, int height, Span<byte> rgb)
        => Convert(y, yStride, u, v, uvStride, width, height, rgb, BestKernel);

    /// <summary><see cref="Convert(ReadOnlySpan{byte}, int, ReadOnlySpan{byte}, ReadOnlySpan{byte}, int, int, int, Span{byte})"/> with the
    /// chosen <paramref name="kernel"/> for the middle of each row.</summary>
    internal static unsafe void Convert(ReadOnlySpan<byte> y, int yStride, ReadOnlySpan<byte> u, ReadOnlySpan<byte> v, int uvStride,
        int width, int height, Span<byte> rgb, Kernel kernel)
    {
        int uvWidth = (width + 1) >> 1, uvHeight = (height + 1) >> 1;
        // The pointer loops below stay inside these bounds.
        if (width <= 0 || height <= 0 || yStride < width || uvStride < uvWidth
            || y.Length < (long)(height - 1) * yStride + width
            || u.Length < (long)(uvHeight - 1) * uvStride + uvWidth || v.Length < (long)(uvHeight - 1) * uvStride + uvWidth
            || rgb.Length < 3L * width * height)
            throw new ArgumentException("The planes or the output are too small for the picture.");
        int rgbStride = 3 * width;
        fixed (byte* y0 = y, u0 = u, v0 = v, out0 = rgb)
        {
            // Row 0 uses chroma row 0 alone.
            UpsampleLinePair(y0, null, u0, v0, u0, v0, out0, null, width, kernel);
            // Then rows 2k−1 and 2k between chroma rows k−1 and k.
            int k = 1;
            for (; 2 * k < height; k++)
            {
                int top = 2 * k - 1;
                UpsampleLinePair(y0 + top * yStride, y0 + (top + 1) * yStride,
                    u0 + (k - 1) * uvStride, v0 + (k - 1) * uvStride, u0 + k * uvStride, v0 + k * uvStride,
                    out0 + top * rgbStride, out0 + (top + 1) * rgbStride, width, kernel);
            }
            // An even height leaves the last row, below the last chroma row.
            if ((height & 1) == 0 && height > 1)
            {
                int last = height - 1;
                byte* lu = u0 + (k - 1) * uvStride, lv = v0 + (k - 1) * uvStride;
                UpsampleLinePair(y0 + last * yStride, null, lu, lv, lu, lv, out0 + last * rgbStride, null, width, kernel);
            }
        }
    }

    /// <summary>
    /// One or two output rows: <paramref name="topY"/> lies nearer chroma row <paramref name="topU"/>/<paramref name="topV"/>
    /// (weights 3:1 against <paramref name="curU"/>/<paramref name="curV"/>), <paramref name="bottomY"/> (null for none)
    /// nearer the current chroma row.
    /// </summary>
    private static unsafe void UpsampleLinePair(byte* topY, byte* bottomY, byte* topU, byte* topV, byte* curU, byte* curV,
        byte* topRgb, byte* bottomRgb, int width, Kernel kernel)
    {
        bool hasBottom = bottomY != null;
        int lastPair = (width - 1) >> 1;
        int tlU = topU[0], tlV = topV[0], lU = curU[0], lV = curV[0];
        StorePixel(topY[0], (3 * tlU + lU + 2) >> 2, (3 * tlV + lV + 2) >> 2, topRgb);
        if (hasBottom) StorePixel(bottomY[0], (3 * lU + tlU + 2) >> 2, (3 * lV + tlV + 2) >> 2, bottomRgb);
        int x = 1;
        if (kernel != Kernel.Scalar)
        {
            x = UpsampleRunVector128(topY, bottomY, topU, topV, curU, curV, topRgb, bottomRgb, lastPair, kernel == Kernel.Sse2);
            tlU = topU[x - 1]; tlV = topV[x - 1]; lU = curU[x - 1]; lV = curV[x - 1];
        }
        for (; x <= lastPair; x++)
        {
            int tU = topU[x], tV = topV[x], cU = curU[x], cV = curV[x];
            // The 9-3-3-1 mixes, as two rounded halvings of (tl + 3t + 3l + c + 8)/8-style diagonals.
            int avgU = tlU + tU + lU + cU + 8, avgV = tlV + tV + lV + cV + 8;
            int diag12U = (avgU + 2 * (tU + lU)) >> 3, diag12V = (avgV + 2 * (tV + lV)) >> 3;
            int diag03U = (avgU + 2 * (tlU + cU)) >> 3, diag03V = (avgV + 2 * (tlV + cV)) >> 3;
            int xo = 2 * x - 1;
            StorePixel(topY[xo], (diag12U + tlU) >> 1, (diag12V + tlV) >> 1, topRgb + 3 * xo);
            StorePixel(topY[xo + 1], (diag03U + tU) >> 1, (diag03V + tV) >> 1, topRgb + 3 * xo + 3);
            if (hasBottom)
            {
                StorePixel(bottomY[xo], (diag03U + lU) >> 1, (diag03V + lV) >> 1, bottomRgb + 3 * xo);
                StorePixel(bottomY[xo + 1], (diag12U + cU) >> 1, (diag12V + cV) >> 1, bottomRgb + 3 * xo + 3);
            }
            tlU = tU; tlV = tV; lU = cU; lV = cV;
        }
        if ((width & 1) == 0)
        {
            int xo = width - 1;
            StorePixel(topY[xo], (3 * tlU + lU + 2) >> 2, (3 * tlV + lV + 2) >> 2, topRgb + 3 * xo);
            if (hasBottom) StorePixel(bottomY[xo], (3 * lU + tlU + 2) >> 2, (3 * lV + tlV + 2) >> 2, bottomRgb + 3 * xo);
        }
    }

    /// <summary>Writes the RGB of one pixel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePixel(int y, int u, int v, byte* rgb)
    {
        int luma = MulHi(y, 19077);
        rgb[0] = Clip(luma + MulHi(v, 26149) - 14234);
        rgb[1] = Clip(luma - MulHi(u, 6419) - MulHi(v, 13320) + 8708);
        rgb[2] = Clip(luma + MulHi(u, 33050) - 17685);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MulHi(int v, int coefficient) => (v * coefficient) >> 8;

    /// <summary>Drops the 6 fraction bits and clamps to 0..255.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clip(int v) => (v & ~16383) == 0 ? (byte)(v >> 6) : v < 0 ? (byte)0 : (byte)255;
}
