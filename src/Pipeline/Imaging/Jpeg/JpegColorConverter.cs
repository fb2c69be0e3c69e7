using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Jpeg;

/// <summary>The color space of the decoded components (libjpeg's jpeg_color_space).</summary>
internal enum JpegColorSpace
{
    Grayscale,
    YCbCr,
    Rgb,
    Cmyk,
    Ycck,
}

/// <summary>
/// Converts one row of decoded (and upsampled) components to interleaved RGB, with libjpeg's arithmetic:
/// YCbCr uses 16-bit fixed point with the same rounding as jdcolor.c (which libjpeg-turbo's SIMD code reproduces);
/// CMYK is Adobe-style inverted (255 = no ink) and becomes RGB the way djpeg writes it to PPM:
/// R = round(C·K / 255); YCCK first becomes CMYK as in jdcolor.c's ycck_cmyk_convert.
/// Each row function takes <c>count</c> pixels; the input rows may be read up to 32 bytes past <c>count</c>.
/// </summary>
internal static unsafe partial class JpegColorConverter
{
    // FIX(x) = round(x * 2^16)
    internal const int ScaleBits = 16;
    internal const int Half = 1 << (ScaleBits - 1);
    internal const int FixCrToR = 91881;   // 1.40200
    internal const int FixCbToB = 116130;  // 1.77200
    internal const int FixCrToG = 46802;   // 0.71414
    internal const int FixCbToG = 22554;   // 0.34414

    /// <summary>Converts <paramref name="count"/> pixels of the given color space; <paramref name="rows"/> holds one row per component.</summary>
    public static void ConvertRow(JpegColorSpace space, byte** rows, byte* rgb, int count)
    {
        switch (space)
        {
            case JpegColorSpace.Grayscale: GrayToRgb(rows[0], rgb, count); break;
            case JpegColorSpace.YCbCr: YCbCrToRgb(rows[0], rows[1], rows[2], rgb, count); break;
            case JpegColorSpace.Rgb: PlanarToRgb(rows[0], rows[1], rows[2], rgb, count); break;
            case JpegColorSpace.Cmyk: CmykToRgbScalar(rows[0], rows[1], rows[2], rows[3], rgb, count); break;
            default: YcckToRgbScalar(rows[0], rows[1], rows[2], rows[3], rgb, count); break;
        }
    }

    public static void YCbCrToRgb(byte* y, byte* cb, byte* cr, byte* rgb, int count)
    {
        int done = JpegSimd.Vector256 ? YCbCrToRgbVector256(y, cb, cr, rgb, count) : 0;
        YCbCrToRgbScalar(y + done, cb + done, cr + done, rgb + 3 * done, count - done);
    }

    public static void GrayToRgb(byte* y, byte* rgb, int count)
    {
        int done = JpegSimd.Vector256 ? GrayToRgbVector256(y, rgb, count) : 0;
        GrayToRgbScalar(y + done, rgb + 3 * done, count - done);
    }

    public static void PlanarToRgb(byte* r, byte* g, byte* b, byte* rgb, int count)
    {
        int done = JpegSimd.Vector256 ? PlanarToRgbVector256(r, g, b, rgb, count) : 0;
        PlanarToRgbScalar(r + done, g + done, b + done, rgb + 3 * done, count - done);
    }

    /// <summary>The naive reference for YCbCr.</summary>
    public static void YCbCrToRgbScalar(byte* y, byte* cb, byte* cr, byte* rgb, int count)
    {
        for (int i = 0; i < count; i++)
        {
            int luma = y[i], b = cb[i] - 128, r = cr[i] - 128;
            rgb[0] = Clamp(luma + ((FixCrToR * r + Half) >> ScaleBits));
            rgb[1] = Clamp(luma + ((-FixCbToG * b - FixCrToG * r + Half) >> ScaleBits));
            rgb[2] = Clamp(luma + ((FixCbToB * b + Half) >> ScaleBits));
            rgb += 3;
        }
    }

    public static void GrayToRgbScalar(byte* y, byte* rgb, int count)
    {
        for (int i = 0; i < count; i++)
        {
            byte v = y[i];
            rgb[0] = v;
            rgb[1] = v;
            rgb[2] = v;
            rgb += 3;
        }
    }

    public static void PlanarToRgbScalar(byte* r, byte* g, byte* b, byte* rgb, int count)
    {
        for (int i = 0; i < count; i++)
        {
            rgb[0] = r[i];
            rgb[1] = g[i];
            rgb[2] = b[i];
            rgb += 3;
        }
    }

    public static void CmykToRgbScalar(byte* c, byte* m, byte* y, byte* k, byte* rgb, int count)
    {
        for (int i = 0; i < count; i++)
        {
            int black = k[i];
            rgb[0] = InkTimesBlack(c[i], black);
            rgb[1] = InkTimesBlack(m[i], black);
            rgb[2] = InkTimesBlack(y[i], black);
            rgb += 3;
        }
    }

    public static void YcckToRgbScalar(byte* y, byte* cb, byte* cr, byte* k, byte* rgb, int count)
    {
        for (int i = 0; i < count; i++)
        {
            // YCC → RGB, inverted to CMY (the clamp commutes with 255 - x), then CMYK → RGB.
            int luma = y[i], b = cb[i] - 128, r = cr[i] - 128, black = k[i];
            int cyan = 255 - Clamp(luma + ((FixCrToR * r + Half) >> ScaleBits));
            int magenta = 255 - Clamp(luma + ((-FixCbToG * b - FixCrToG * r + Half) >> ScaleBits));
            int yellow = 255 - Clamp(luma + ((FixCbToB * b + Half) >> ScaleBits));
            rgb[0] = InkTimesBlack(cyan, black);
            rgb[1] = InkTimesBlack(magenta, black);
            rgb[2] = InkTimesBlack(yellow, black);
            rgb += 3;
        }
    }

    /// <summary>round(ink · black / 255), as djpeg's cmyk_to_rgb computes it in floating point.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static byte InkTimesBlack(int ink, int black) => (byte)((ink * black + 127) / 255);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clamp(int x) => (byte)Math.Clamp(x, 0, 255);
}
