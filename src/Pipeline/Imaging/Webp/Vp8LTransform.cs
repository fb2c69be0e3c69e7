namespace Pipeline.Imaging.Webp;

/// <summary>
/// One VP8L transform as read from the stream, and its inverse. <see cref="Width"/> is the width of the image the
/// inverse produces; colour indexing with pixel bundling reads a narrower image (<see cref="PackedWidth"/>).
/// <see cref="Data"/> holds the predictor modes or colour transform elements (one pixel per block) or the 256-entry
/// colour table, from the array pool; the decoder returns it.
/// </summary>
internal readonly record struct Vp8LTransform(int Type, int Width, int PackedWidth, int Bits, uint[]? Data)
{
    /// <summary>Undoes this transform in place over the first <see cref="Width"/> × <paramref name="height"/> pixels.</summary>
    public void Inverse(Span<uint> pixels, int height)
    {
        switch (Type)
        {
            case WebpConstants.PredictorTransform:
                Vp8LPredictor.Inverse(pixels[..(Width * height)], Width, height, Data, Bits);
                break;
            case WebpConstants.ColorTransform:
                InverseColorTransform(pixels[..(Width * height)], Width, height, Data, Bits);
                break;
            case WebpConstants.SubtractGreenTransform:
                AddGreen(pixels[..(Width * height)]);
                break;
            default:
                InverseColorIndexing(pixels, Width, PackedWidth, height, Data, Bits);
                break;
        }
    }

    // Adds green to red and blue, modulo 256.
    private static void AddGreen(Span<uint> pixels)
    {
        for (int i = 0; i < pixels.Length; i++)
        {
            uint argb = pixels[i];
            uint green = (argb >> 8) & 0xFF;
            uint redBlue = (argb & 0x00FF00FF) + (green << 16 | green);
            pixels[i] = (argb & 0xFF00FF00) | (redBlue & 0x00FF00FF);
        }
    }

    // Each block's element: green_to_red in blue, green_to_blue in green, red_to_blue in red (all signed 3.5 fixed point).
    private static void InverseColorTransform(Span<uint> pixels, int width, int height, ReadOnlySpan<uint> elements, int sizeBits)
    {
        int blocksPerRow = (width + (1 << sizeBits) - 1) >> sizeBits;
        for (int y = 0; y < height; y++)
        {
            Span<uint> row = pixels.Slice(y * width, width);
            ReadOnlySpan<uint> elementRow = elements.Slice((y >> sizeBits) * blocksPerRow, blocksPerRow);
            for (int x = 0; x < width; x++)
            {
                uint element = elementRow[x >> sizeBits];
                int greenToRed = (sbyte)element, greenToBlue = (sbyte)(element >> 8), redToBlue = (sbyte)(element >> 16);
                uint argb = row[x];
                int green = (sbyte)(argb >> 8);
                int red = (int)(argb >> 16) & 0xFF;
                int blue = (int)argb & 0xFF;
                red = (red + ((greenToRed * green) >> 5)) & 0xFF;
                blue = (blue + ((greenToBlue * green) >> 5)) & 0xFF;
                blue = (blue + ((redToBlue * (sbyte)red) >> 5)) & 0xFF;
                row[x] = (argb & 0xFF00FF00) | (uint)red << 16 | (uint)blue;
            }
        }
    }

    // Replaces colour table indices by their colours. With pixel bundling (bits > 0) each packed pixel's green holds
    // 2^bits indices of 8 >> bits bits, the leftmost pixel in the lowest bits. The packed image lies at the start of the
    // buffer; rows are expanded from the last to the first, right to left, so no packed pixel is overwritten before
    // its last read.
    private static void InverseColorIndexing(Span<uint> pixels, int width, int packedWidth, int height, ReadOnlySpan<uint> table, int bits)
    {
        int perPixel = 1 << bits, indexBits = 8 >> bits, indexMask = (1 << indexBits) - 1;
        for (int y = height - 1; y >= 0; y--)
        {
            int packedRow = y * packedWidth, row = y * width;
            for (int x = width - 1; x >= 0; x--)
            {
                uint packed = pixels[packedRow + (x >> bits)];
                int index = (int)(packed >> (8 + (x & (perPixel - 1)) * indexBits)) & indexMask;
                pixels[row + x] = table[index];
            }
        }
    }
}
