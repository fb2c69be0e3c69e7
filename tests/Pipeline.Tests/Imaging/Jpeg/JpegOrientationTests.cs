using System.Buffers.Binary;
using Pipeline.Imaging;
using Pipeline.Imaging.Jpeg;
using Pipeline.Imaging.Processing;
using Pipeline.Tests.Infrastructure;
using static Pipeline.Tests.Imaging.Jpeg.JpegTestTools;

namespace Pipeline.Tests.Imaging.Jpeg;

/// <summary>EXIF orientation: an APP1 segment written by the test, in both TIFF byte orders, for every value 1–8.</summary>
public sealed class JpegOrientationTests
{
    private static byte[] Plain()
    {
        SharedData.RequireTool("cjpeg", "libjpeg-turbo-progs");
        return Cjpeg(Synthetic(40, 24, 3), "-sample", "2x2");
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(5, false)]
    [InlineData(6, true)]
    [InlineData(6, false)]
    [InlineData(7, true)]
    [InlineData(8, false)]
    [InlineData(8, true)]
    public void OrientationIsAppliedLikeOrientationApply(int orientation, bool littleEndian)
    {
        byte[] plain = Plain();
        byte[] tagged = WithExif(plain, orientation, littleEndian);
        Image stored = JpegDecoder.Decode(tagged, new DecoderOptions { ApplyExifOrientation = false });
        Image upright = JpegDecoder.Decode(tagged, DecoderOptions.Default);
        Image expected = Orientation.Apply(stored, orientation);

        Assert.Equal((40, 24), (stored.Width, stored.Height));
        Assert.Equal(orientation >= 5 ? (24, 40) : (40, 24), (upright.Width, upright.Height));
        Assert.Equal(expected.Pixels, upright.Pixels);
        // The tag changes nothing else: the stored pixels are those of the untagged file.
        Assert.Equal(JpegDecoder.Decode(plain, DecoderOptions.Default).Pixels, stored.Pixels);
    }

    [Fact]
    public void MinimumSizeIsCheckedAfterRotation()
    {
        SharedData.RequireTool("cjpeg", "libjpeg-turbo-progs");
        byte[] tagged = WithExif(Cjpeg(Synthetic(160, 120, 5)), 6, littleEndian: true);
        // Shown upright the image is 120x160. 60x80 (1/2 scale) still covers 50x70; 30x40 would not.
        Image image = JpegDecoder.Decode(tagged, new DecoderOptions { MinWidth = 50, MinHeight = 70 });
        Assert.Equal((60, 80), (image.Width, image.Height));
        // Ignoring the rotation, 1/2 (80x60) would be too short for 70 rows, forcing full size.
        Image unrotated = JpegDecoder.Decode(tagged, new DecoderOptions { MinWidth = 50, MinHeight = 70, ApplyExifOrientation = false });
        Assert.Equal((160, 120), (unrotated.Width, unrotated.Height));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(0xFFFF)]
    public void OutOfRangeOrientationIsIgnored(int orientation)
    {
        byte[] plain = Plain();
        Image image = JpegDecoder.Decode(WithExif(plain, orientation, littleEndian: false), DecoderOptions.Default);
        Assert.Equal(JpegDecoder.Decode(plain, DecoderOptions.Default).Pixels, image.Pixels);
    }

    [Fact]
    public void MalformedExifIsIgnored()
    {
        byte[] plain = Plain();
        Image expected = JpegDecoder.Decode(plain, DecoderOptions.Default);
        foreach (byte[] payload in MalformedPayloads())
        {
            byte[] file = InsertApp1(plain, payload);
            Assert.Equal(expected.Pixels, JpegDecoder.Decode(file, DecoderOptions.Default).Pixels);
        }
    }

    private static IEnumerable<byte[]> MalformedPayloads()
    {
        byte[] good = ExifPayload(6, littleEndian: true);
        yield return good[..8];                                           // cut inside the TIFF header
        yield return good[..(6 + 30)];                                    // cut inside the orientation entry
        byte[] badOffset = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(badOffset.AsSpan(10), 0xFFFFFFF0); // IFD0 far outside
        yield return badOffset;
        byte[] manyEntries = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(manyEntries.AsSpan(14), 0xFFFF);   // more entries than bytes,
        BinaryPrimitives.WriteUInt16LittleEndian(manyEntries.AsSpan(28), 0x0113);   // and no orientation among the real ones
        yield return manyEntries;
        byte[] wrongType = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(wrongType.AsSpan(30), 4);         // LONG instead of SHORT
        yield return wrongType;
        byte[] badOrder = (byte[])good.Clone();
        badOrder[6] = (byte)'X';
        yield return badOrder;
        yield return "Exif\0\0"u8.ToArray();
    }

    /// <summary>APP1 "Exif" with a TIFF header and IFD0 holding a Make tag and the orientation (SHORT).</summary>
    internal static byte[] ExifPayload(int orientation, bool littleEndian)
    {
        var tiff = new byte[8 + 2 + 2 * 12 + 4 + 4];
        void U16(int at, int v)
        {
            if (littleEndian) BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at), (ushort)v);
            else BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(at), (ushort)v);
        }
        void U32(int at, uint v)
        {
            if (littleEndian) BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at), v);
            else BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(at), v);
        }
        tiff[0] = tiff[1] = (byte)(littleEndian ? 'I' : 'M');
        U16(2, 42);
        U32(4, 8);
        U16(8, 2);
        // 0x010F Make, ASCII, 4 bytes inline.
        U16(10, 0x010F);
        U16(12, 2);
        U32(14, 4);
        "Cam\0"u8.CopyTo(tiff.AsSpan(18));
        // 0x0112 Orientation, SHORT, 1 value (left-justified in the 4-byte field).
        U16(22, 0x0112);
        U16(24, 3);
        U32(26, 1);
        U16(30, orientation);
        U32(34, 0); // no next IFD
        return [.. "Exif\0\0"u8, .. tiff];
    }

    internal static byte[] WithExif(byte[] jpeg, int orientation, bool littleEndian)
        => InsertApp1(jpeg, ExifPayload(orientation, littleEndian));

    /// <summary>Inserts an APP1 segment right after SOI.</summary>
    internal static byte[] InsertApp1(byte[] jpeg, byte[] payload)
    {
        int length = payload.Length + 2;
        return [.. jpeg.AsSpan(0, 2), 0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload, .. jpeg.AsSpan(2)];
    }
}
