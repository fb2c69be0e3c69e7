using System.Buffers.Binary;

namespace Pipeline.Tests.Imaging.Bmp;

/// <summary>Test-side bitmap writing and surgery: craft headers the tools do not write.</summary>
internal static class BmpFiles
{
    /// <summary>
    /// A bitmap with a BITMAPINFOHEADER (or the given larger size, zero-filled past 40 bytes), optional masks after it,
    /// a BGRX palette and the given pixel bytes.
    /// </summary>
    public static byte[] Build(int width, int height, int bpp, uint compression, byte[] pixels,
        (byte R, byte G, byte B)[]? palette = null, uint[]? separateMasks = null, int headerSize = 40, uint colorsUsed = 0,
        bool compressionIsAlpha = false)
    {
        if (compressionIsAlpha) compression = 6; // BI_ALPHABITFIELDS: four masks after the header
        int paletteBytes = (palette?.Length ?? 0) * 4, maskBytes = (separateMasks?.Length ?? 0) * 4;
        int offset = 14 + headerSize + maskBytes + paletteBytes;
        var file = new byte[offset + pixels.Length];
        file[0] = (byte)'B';
        file[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), offset);
        Span<byte> h = file.AsSpan(14);
        BinaryPrimitives.WriteInt32LittleEndian(h, headerSize);
        BinaryPrimitives.WriteInt32LittleEndian(h[4..], width);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], height);
        BinaryPrimitives.WriteUInt16LittleEndian(h[12..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(h[14..], (ushort)bpp);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], compression);
        BinaryPrimitives.WriteInt32LittleEndian(h[20..], pixels.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(h[32..], colorsUsed);
        int at = 14 + headerSize;
        foreach (uint mask in separateMasks ?? [])
        {
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(at), mask);
            at += 4;
        }
        foreach ((byte r, byte g, byte b) in palette ?? [])
        {
            file[at] = b;
            file[at + 1] = g;
            file[at + 2] = r;
            at += 4;
        }
        pixels.CopyTo(file, offset);
        return file;
    }

    /// <summary>Bytes per stored row.</summary>
    public static int Stride(int width, int bpp) => (width * bpp + 31) / 32 * 4;

    /// <summary>
    /// The same uncompressed bitmap stored top-down: the height negated and the rows reversed, so it must decode to the
    /// same pixels.
    /// </summary>
    public static byte[] TopDown(byte[] bmp)
    {
        byte[] file = bmp.ToArray();
        int headerSize = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(14));
        if (headerSize == 12) throw new ArgumentException("core headers cannot store top-down bitmaps");
        int offset = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(10));
        int width = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(18));
        int height = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(22));
        int bpp = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(28));
        if (BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(30)) is 1 or 2) throw new ArgumentException("RLE bitmaps are bottom-up only");
        int stride = Stride(width, bpp);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), -height);
        for (int row = 0; row < height; row++)
            bmp.AsSpan(offset + row * stride, stride).CopyTo(file.AsSpan(offset + (height - 1 - row) * stride));
        return file;
    }

    /// <summary>
    /// A V4/V5 BI_BITFIELDS bitmap rewritten with a 40-byte BITMAPINFOHEADER followed by its three (or, as
    /// BI_ALPHABITFIELDS, four) masks: the older layout of the same pixels.
    /// </summary>
    public static byte[] InfoHeaderWithSeparateMasks(byte[] bmp, bool alpha)
    {
        int offset = BinaryPrimitives.ReadInt32LittleEndian(bmp.AsSpan(10));
        int maskCount = alpha ? 4 : 3;
        var file = new byte[14 + 40 + 4 * maskCount + (bmp.Length - offset)];
        bmp.AsSpan(0, 14 + 40).CopyTo(file);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(30), alpha ? 6u : 3u);
        bmp.AsSpan(14 + 40, 4 * maskCount).CopyTo(file.AsSpan(14 + 40));
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 14 + 40 + 4 * maskCount);
        bmp.AsSpan(offset).CopyTo(file.AsSpan(14 + 40 + 4 * maskCount));
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        return file;
    }

    /// <summary>RLE8 or RLE4 data for rows of palette indices (bottom row first), with encoded and absolute runs.</summary>
    public static byte[] EncodeRle(byte[][] rows, bool four)
    {
        var output = new List<byte>();
        foreach (byte[] row in rows)
        {
            int x = 0;
            while (x < row.Length)
            {
                int run = 1;
                while (x + run < row.Length && run < 255 && row[x + run] == row[x]) run++;
                if (run >= 3 || row.Length - x < 3)
                {
                    output.Add((byte)run);
                    output.Add(four ? (byte)(row[x] << 4 | row[x]) : row[x]);
                    x += run;
                    continue;
                }
                // A literal stretch until the next run of three.
                int literal = 0;
                while (x + literal < row.Length && literal < 255
                       && !(x + literal + 2 < row.Length && row[x + literal] == row[x + literal + 1] && row[x + literal] == row[x + literal + 2]))
                    literal++;
                if (literal < 3) literal = Math.Min(3, row.Length - x);
                output.Add(0);
                output.Add((byte)literal);
                int bytes = four ? (literal + 1) / 2 : literal;
                for (int i = 0; i < bytes; i++)
                {
                    if (four)
                    {
                        int hi = row[x + 2 * i], lo = 2 * i + 1 < literal ? row[x + 2 * i + 1] : 0;
                        output.Add((byte)(hi << 4 | lo));
                    }
                    else
                    {
                        output.Add(row[x + i]);
                    }
                }
                if ((bytes & 1) == 1) output.Add(0);
                x += literal;
            }
            output.Add(0);
            output.Add(0); // end of line
        }
        output.Add(0);
        output.Add(1); // end of bitmap
        return output.ToArray();
    }
}
