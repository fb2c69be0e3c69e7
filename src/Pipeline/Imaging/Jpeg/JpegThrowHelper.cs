using System.Diagnostics.CodeAnalysis;

namespace Pipeline.Imaging.Jpeg;

/// <summary>
/// Every JPEG failure goes through here, so each one is an <see cref="InvalidImageException"/> with the byte offset
/// (the façade adds the file name). Kept out of line so the callers' hot paths stay small.
/// </summary>
internal static class JpegThrowHelper
{
    [DoesNotReturn]
    public static void Invalid(long offset, string reason)
        => throw new InvalidImageException(null, ImageFormat.Jpeg, offset, reason);

    [DoesNotReturn]
    public static void Unsupported(long offset, string what)
        => throw new InvalidImageException(null, ImageFormat.Jpeg, offset, "unsupported: " + what);

    [DoesNotReturn]
    public static void Truncated(long offset, string where)
        => throw new InvalidImageException(null, ImageFormat.Jpeg, offset,
            $"the file is truncated ({where}); pass DecoderOptions.AllowPartial to keep the decoded part");

    [DoesNotReturn]
    public static void CorruptEntropyData(long offset, string what)
        => throw new InvalidImageException(null, ImageFormat.Jpeg, offset,
            $"corrupt entropy-coded data: {what}; pass DecoderOptions.AllowPartial to keep the decoded part");

    [DoesNotReturn]
    public static void BadSegmentLength(long offset, string marker, int length)
        => throw new InvalidImageException(null, ImageFormat.Jpeg, offset, $"{marker} segment has a bad length ({length})");

    public static string MarkerName(byte marker) => marker switch
    {
        JpegConstants.Soi => "SOI",
        JpegConstants.Eoi => "EOI",
        JpegConstants.Sos => "SOS",
        JpegConstants.Dqt => "DQT",
        JpegConstants.Dht => "DHT",
        JpegConstants.Dri => "DRI",
        JpegConstants.Dnl => "DNL",
        JpegConstants.Dac => "DAC",
        JpegConstants.Com => "COM",
        JpegConstants.Jpg => "JPG",
        >= JpegConstants.Rst0 and <= JpegConstants.Rst7 => $"RST{marker - JpegConstants.Rst0}",
        >= JpegConstants.App0 and <= JpegConstants.App15 => $"APP{marker - JpegConstants.App0}",
        >= JpegConstants.Sof0 and <= JpegConstants.Sof15 => $"SOF{marker - JpegConstants.Sof0}",
        _ => $"0xFF{marker:X2}",
    };
}
