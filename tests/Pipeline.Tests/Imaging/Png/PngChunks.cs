using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Pipeline.Imaging.Png;

namespace Pipeline.Tests.Imaging.Png;

/// <summary>Test-side PNG surgery: split a file into chunks, change them, and put it back together.</summary>
internal static class PngChunks
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The chunks of <paramref name="png"/>, in order (CRCs not checked).</summary>
    public static List<(string Type, byte[] Data)> Parse(byte[] png)
    {
        var chunks = new List<(string, byte[])>();
        for (int pos = 8; pos + 12 <= png.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            chunks.Add((Encoding.ASCII.GetString(png, pos + 4, 4), png.AsSpan(pos + 8, length).ToArray()));
            pos += 12 + length;
        }
        return chunks;
    }

    /// <summary>A file made of <paramref name="chunks"/> with correct CRCs.</summary>
    public static byte[] Build(IEnumerable<(string Type, byte[] Data)> chunks)
    {
        var output = new MemoryStream();
        output.Write(Signature);
        foreach ((string type, byte[] data) in chunks)
            PngEncoderCore.WriteChunk(output, BinaryPrimitives.ReadUInt32BigEndian(Encoding.ASCII.GetBytes(type)), data);
        return output.ToArray();
    }

    /// <summary>IHDR data.</summary>
    public static byte[] Header(int width, int height, int depth, int colorType, bool interlaced = false)
    {
        var data = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), (uint)height);
        data[8] = (byte)depth;
        data[9] = (byte)colorType;
        data[12] = (byte)(interlaced ? 1 : 0);
        return data;
    }

    /// <summary>zlib-compressed <paramref name="raw"/>.</summary>
    public static byte[] Zlib(ReadOnlySpan<byte> raw, CompressionLevel level = CompressionLevel.Optimal)
    {
        var output = new MemoryStream();
        using (var z = new ZLibStream(output, level, leaveOpen: true)) z.Write(raw);
        return output.ToArray();
    }

    /// <summary>A complete PNG from its header, raw scanlines (with filter bytes) and optional PLTE / tRNS.</summary>
    public static byte[] Image(byte[] header, byte[] scanlines, byte[]? palette = null, byte[]? transparency = null)
    {
        var chunks = new List<(string, byte[])> { ("IHDR", header) };
        if (palette is not null) chunks.Add(("PLTE", palette));
        if (transparency is not null) chunks.Add(("tRNS", transparency));
        chunks.Add(("IDAT", Zlib(scanlines)));
        chunks.Add(("IEND", []));
        return Build(chunks);
    }
}
