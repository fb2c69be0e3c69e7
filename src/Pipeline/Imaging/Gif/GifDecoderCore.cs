using System.Buffers;
using System.Buffers.Binary;

namespace Pipeline.Imaging.Gif;

/// <summary>
/// Decodes the first frame of a GIF87a/89a file onto its logical screen.
/// <list type="bullet">
/// <item>The colour table is the frame's local one, else the global one; an index beyond it is an error.</item>
/// <item>A Graphic Control Extension before the frame may name a transparent index: those pixels keep their table
/// colour with alpha 0.</item>
/// <item>The output is the logical screen with the frame at its offset. Screen pixels the frame does not cover are
/// transparent black (the background colour index is ignored, as browsers do), so the output is RGBA whenever the
/// frame leaves part of the screen uncovered or has a transparent index, else RGB. A first frame that does not fit
/// inside the logical screen is output alone, at its own size (as browsers do).</item>
/// <item>Extensions (comments, application blocks, plain text) are skipped; a block of unknown type is an error.</item>
/// </list>
/// </summary>
internal static class GifDecoderCore
{
    /// <summary>Decodes the first frame of <paramref name="data"/> (which starts with "GIF87a" or "GIF89a").</summary>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions options)
    {
        if (data.Length < GifConstants.HeaderSize)
            GifThrowHelper.ThrowInvalid(data.Length, "the file ends inside the logical screen descriptor");
        int screenWidth = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        int screenHeight = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
        byte screenFlags = data[10];
        int pos = GifConstants.HeaderSize;
        ReadOnlySpan<byte> globalTable = default;
        if ((screenFlags & GifConstants.ColorTableFlag) != 0)
        {
            int size = 3 << ((screenFlags & 7) + 1);
            if (data.Length - pos < size) GifThrowHelper.ThrowInvalid(pos, $"the {size / 3}-entry global colour table runs past the end of the file");
            globalTable = data.Slice(pos, size);
            pos += size;
        }

        int transparentIndex = -1;
        while (true)
        {
            if (pos >= data.Length) GifThrowHelper.ThrowInvalid(pos, "the file ends before the first image (truncated file?)");
            byte block = data[pos];
            switch (block)
            {
                case GifConstants.ExtensionIntroducer:
                {
                    if (pos + 2 > data.Length) GifThrowHelper.ThrowInvalid(pos, "the file ends inside an extension");
                    byte label = data[pos + 1];
                    pos += 2;
                    if (label == GifConstants.GraphicControlLabel && pos + 5 <= data.Length && data[pos] >= 4)
                        transparentIndex = (data[pos + 1] & GifConstants.TransparencyFlag) != 0 ? data[pos + 4] : -1;
                    pos = SkipSubBlocks(data, pos);
                    continue;
                }
                case GifConstants.ImageSeparator:
                    return DecodeFrame(data, pos, screenWidth, screenHeight, globalTable, transparentIndex, options);
                case GifConstants.Trailer:
                    GifThrowHelper.ThrowInvalid(pos, "the file has no image: the trailer comes first");
                    return null;
                default:
                    GifThrowHelper.ThrowInvalid(pos, $"unknown block type 0x{block:X2} (expected an image 0x2C, an extension 0x21 or the trailer 0x3B)");
                    return null;
            }
        }
    }

    private static Image DecodeFrame(ReadOnlySpan<byte> data, int pos, int screenWidth, int screenHeight,
        ReadOnlySpan<byte> globalTable, int transparentIndex, DecoderOptions options)
    {
        int descriptor = pos;
        if (data.Length - pos < 11) GifThrowHelper.ThrowInvalid(pos, "the file ends inside the image descriptor");
        int left = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 1)..]);
        int top = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 3)..]);
        int width = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 5)..]);
        int height = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 7)..]);
        byte flags = data[pos + 9];
        pos += 10;
        if (width == 0 || height == 0) GifThrowHelper.ThrowInvalid(descriptor + 5, $"the first frame is {width}x{height}");

        ReadOnlySpan<byte> table = globalTable;
        if ((flags & GifConstants.ColorTableFlag) != 0)
        {
            int size = 3 << ((flags & 7) + 1);
            if (data.Length - pos < size) GifThrowHelper.ThrowInvalid(pos, $"the {size / 3}-entry local colour table runs past the end of the file");
            table = data.Slice(pos, size);
            pos += size;
        }
        if (table.IsEmpty) GifThrowHelper.ThrowInvalid(descriptor, "the first frame has no colour table (neither local nor global)");

        // A frame that does not fit the screen replaces it (as browsers do).
        if (left + width > screenWidth || top + height > screenHeight)
            (screenWidth, screenHeight, left, top) = (width, height, 0, 0);
        long pixels = (long)screenWidth * screenHeight;
        if (pixels > options.MaxPixels)
            GifThrowHelper.ThrowInvalid(6, $"the image is {screenWidth}x{screenHeight} = {pixels} pixels, over the {options.MaxPixels}-pixel limit (DecoderOptions.MaxPixels)");

        if (pos >= data.Length) GifThrowHelper.ThrowInvalid(pos, "the file ends before the image data (truncated file?)");
        int minCodeSize = data[pos];
        if (minCodeSize is < GifConstants.MinLzwCodeSize or > GifConstants.MaxLzwCodeSize)
            GifThrowHelper.ThrowInvalid(pos, $"LZW minimum code size {minCodeSize} is invalid (2 to 8)");
        pos++;

        // Join the data sub-blocks, remembering where each came from for error offsets.
        int dataEnd = SkipSubBlocks(data, pos, allowTruncated: true);
        // No LZW code yields more than 4096 pixels: a frame too big for the data is rejected before allocating it.
        long maxCodes = (long)(dataEnd - pos) * 8 / (minCodeSize + 1);
        long fillable = maxCodes * GifConstants.MaxCodes;
        if ((long)width * height > fillable)
            GifThrowHelper.ThrowInvalid(pos, $"{dataEnd - pos} bytes of LZW data cannot hold a {width}x{height} frame (truncated file?)");
        if (pixels > fillable + GifConstants.UncoveredScreenAllowance)
            GifThrowHelper.ThrowInvalid(6, $"the {screenWidth}x{screenHeight} logical screen is larger than its {width}x{height} first frame " +
                $"and {dataEnd - pos} bytes of LZW data can account for: they fill at most {fillable} pixels, and at most " +
                $"{GifConstants.UncoveredScreenAllowance} more may be left transparent");
        // The output is RGBA at worst; the frame's indices are no larger, since the frame fits the screen by now.
        if (pixels * 4 > Array.MaxLength)
            GifThrowHelper.ThrowInvalid(6, $"the image is {screenWidth}x{screenHeight}: too large to decode into one array");
        byte[] joined = ArrayPool<byte>.Shared.Rent(Math.Max(1, dataEnd - pos));
        byte[] indices = ArrayPool<byte>.Shared.Rent(width * height);
        try
        {
            var segments = new List<(int FileOffset, int Length)>();
            int length = 0;
            for (int at = pos; at < dataEnd && data[at] != 0;)
            {
                int size = Math.Min(data[at], dataEnd - at - 1);
                data.Slice(at + 1, size).CopyTo(joined.AsSpan(length));
                segments.Add((at + 1, size));
                length += size;
                at += 1 + size;
            }
            long FileOffset(long position)
            {
                foreach ((int offset, int size) in segments)
                {
                    if (position < size) return offset + position;
                    position -= size;
                }
                return dataEnd;
            }
            new GifLzwDecoder().Decode(joined.AsSpan(0, length), minCodeSize, indices.AsSpan(0, width * height), FileOffset);
            return Compose(indices, width, height, left, top, screenWidth, screenHeight, (flags & GifConstants.InterlaceFlag) != 0,
                table, transparentIndex, pos);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(joined);
            ArrayPool<byte>.Shared.Return(indices);
        }
    }

    private static Image Compose(byte[] indices, int width, int height, int left, int top, int screenWidth, int screenHeight,
        bool interlaced, ReadOnlySpan<byte> table, int transparentIndex, int dataOffset)
    {
        int entries = table.Length / 3;
        bool covers = left == 0 && top == 0 && width == screenWidth && height == screenHeight;
        bool alpha = !covers || transparentIndex >= 0;
        int channels = alpha ? 4 : 3;
        var image = new Image(screenWidth, screenHeight, alpha ? PixelFormat.Rgba32 : PixelFormat.Rgb24); // zeroed: transparent black
        int row = 0;
        for (int pass = 0; pass < (interlaced ? 4 : 1); pass++)
        {
            int start = interlaced ? GifConstants.InterlaceStart[pass] : 0, step = interlaced ? GifConstants.InterlaceStep[pass] : 1;
            for (int y = start; y < height; y += step, row++)
            {
                Span<byte> target = image.Row(top + y).Slice(left * channels, width * channels);
                ReadOnlySpan<byte> source = indices.AsSpan(row * width, width);
                for (int x = 0, o = 0; x < width; x++, o += channels)
                {
                    int index = source[x];
                    if (index >= entries)
                        GifThrowHelper.ThrowInvalid(dataOffset, $"pixel ({x}, {y}) of the frame uses colour index {index}; the colour table has {entries} entries");
                    target[o] = table[3 * index];
                    target[o + 1] = table[3 * index + 1];
                    target[o + 2] = table[3 * index + 2];
                    if (alpha) target[o + 3] = index == transparentIndex ? (byte)0 : (byte)255;
                }
            }
        }
        return image;
    }

    // Skips a chain of sub-blocks (length byte, data) up to and including the zero-length terminator.
    private static int SkipSubBlocks(ReadOnlySpan<byte> data, int pos, bool allowTruncated = false)
    {
        while (true)
        {
            if (pos >= data.Length)
            {
                if (allowTruncated) return data.Length;
                GifThrowHelper.ThrowInvalid(pos, "the file ends inside a chain of data sub-blocks (truncated file?)");
            }
            int size = data[pos];
            if (size == 0) return pos + 1;
            if (pos + 1 + size > data.Length)
            {
                if (allowTruncated) return data.Length;
                GifThrowHelper.ThrowInvalid(pos, $"a {size}-byte data sub-block runs past the end of the file");
            }
            pos += 1 + size;
        }
    }
}
