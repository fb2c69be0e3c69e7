using System.Buffers.Binary;

namespace Pipeline.Imaging.Jpeg;

/// <summary>
/// Finds the orientation tag (0x0112) in the first IFD of an APP1 "Exif" segment: a TIFF header in either byte order,
/// then IFD0's entries. Optional data, so anything malformed or out of bounds just means "no orientation".
/// </summary>
internal static class ExifOrientationReader
{
    private const ushort OrientationTag = 0x0112;
    private const ushort TypeShort = 3;

    /// <summary>The orientation 1–8 from an APP1 payload (after the length field), or 0 when there is none.</summary>
    public static int Read(ReadOnlySpan<byte> app1)
    {
        if (app1.Length < 6 || !app1.StartsWith("Exif\0"u8)) return 0;
        ReadOnlySpan<byte> tiff = app1[6..];
        if (tiff.Length < 8) return 0;
        bool little;
        if (tiff[0] == (byte)'I' && tiff[1] == (byte)'I') little = true;
        else if (tiff[0] == (byte)'M' && tiff[1] == (byte)'M') little = false;
        else return 0;
        if (U16(tiff[2..], little) != 42) return 0;

        uint ifd = U32(tiff[4..], little);
        if (ifd > (uint)tiff.Length - 2) return 0;
        int entries = U16(tiff[(int)ifd..], little);
        int start = (int)ifd + 2;
        for (int i = 0; i < entries; i++)
        {
            int at = start + 12 * i;
            if (at > tiff.Length - 12) return 0;
            ReadOnlySpan<byte> entry = tiff.Slice(at, 12);
            if (U16(entry, little) != OrientationTag) continue;
            if (U16(entry[2..], little) != TypeShort || U32(entry[4..], little) < 1) return 0;
            int value = U16(entry[8..], little);
            return value is >= 1 and <= 8 ? value : 0;
        }
        return 0;
    }

    private static ushort U16(ReadOnlySpan<byte> s, bool little)
        => little ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);

    private static uint U32(ReadOnlySpan<byte> s, bool little)
        => little ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
}
