using System.Buffers.Binary;

namespace Pipeline.Imaging.Png;

/// <summary>The image header (IHDR): size, sample layout and interlace method, validated.</summary>
internal readonly record struct PngHeader(int Width, int Height, int BitDepth, PngColorType ColorType, bool Interlaced)
{
    /// <summary>Samples per pixel: 1 grey or index, 2 grey+alpha, 3 RGB, 4 RGBA.</summary>
    public int Channels => ColorType switch
    {
        PngColorType.Truecolor => 3,
        PngColorType.GrayscaleAlpha => 2,
        PngColorType.TruecolorAlpha => 4,
        _ => 1,
    };

    /// <summary>Bits per pixel in a scanline.</summary>
    public int BitsPerPixel => Channels * BitDepth;

    /// <summary>
    /// The byte distance the filters look back for the "left" pixel: bytes per complete pixel, rounded up to 1
    /// for sub-byte pixels (PNG spec §9.2).
    /// </summary>
    public int FilterStride => Math.Max(1, BitsPerPixel / 8);

    /// <summary>Whether the decoded image carries alpha through its colour type (tRNS adds alpha separately).</summary>
    public bool HasAlphaChannel => ColorType is PngColorType.GrayscaleAlpha or PngColorType.TruecolorAlpha;

    /// <summary>Bytes of one scanline of <paramref name="width"/> pixels, without its filter-type byte.</summary>
    public long RowBytes(int width) => ((long)width * BitsPerPixel + 7) / 8;

    /// <summary>Parses and validates the 13 data bytes of IHDR; <paramref name="offset"/> is the chunk's file offset.</summary>
    public static PngHeader Parse(ReadOnlySpan<byte> data, long offset)
    {
        if (data.Length != PngConstants.HeaderLength)
            PngThrowHelper.ThrowInvalid(offset, $"IHDR has {data.Length} data bytes; the specification says 13");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(data);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        int bitDepth = data[8];
        int colorType = data[9];
        if (width is 0 or > int.MaxValue || height is 0 or > int.MaxValue)
            PngThrowHelper.ThrowInvalid(offset, $"IHDR size {width}x{height} is invalid (each side must be 1 to 2^31-1)");
        bool depthOk = colorType switch
        {
            0 => bitDepth is 1 or 2 or 4 or 8 or 16,
            3 => bitDepth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => bitDepth is 8 or 16,
            _ => PngThrowHelper.ThrowInvalid<bool>(offset, $"IHDR colour type {colorType} is invalid (valid: 0, 2, 3, 4, 6)"),
        };
        if (!depthOk)
            PngThrowHelper.ThrowInvalid(offset, $"IHDR bit depth {bitDepth} is not allowed for colour type {colorType}");
        if (data[10] != 0)
            PngThrowHelper.ThrowInvalid(offset, $"IHDR compression method {data[10]} is unknown (only 0, deflate, exists)");
        if (data[11] != 0)
            PngThrowHelper.ThrowInvalid(offset, $"IHDR filter method {data[11]} is unknown (only 0 exists)");
        if (data[12] > 1)
            PngThrowHelper.ThrowInvalid(offset, $"IHDR interlace method {data[12]} is unknown (0 none, 1 Adam7)");
        return new PngHeader((int)width, (int)height, bitDepth, (PngColorType)colorType, data[12] == 1);
    }
}
