using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// The inverse predictor transform: each pixel is its residual plus a prediction from already decoded neighbours
/// (L left, T top, TR top-right, TL top-left), per ARGB channel modulo 256, with one of 14 modes per block. The first
/// pixel is predicted as opaque black, the rest of the top row from L, the left column from T; on the right column TR
/// is the first pixel of the current row (the pixel after T in memory).
/// </summary>
internal static class Vp8LPredictor
{
    /// <summary>Undoes the predictor transform in place over <paramref name="pixels"/> (<paramref name="width"/> per row).</summary>
    public static void Inverse(Span<uint> pixels, int width, int height, ReadOnlySpan<uint> modes, int sizeBits)
    {
        if (pixels.IsEmpty) return;
        pixels[0] = AddPixels(pixels[0], 0xFF000000);
        for (int x = 1; x < width; x++) pixels[x] = AddPixels(pixels[x], pixels[x - 1]);
        int blocksPerRow = (width + (1 << sizeBits) - 1) >> sizeBits;
        for (int y = 1; y < height; y++)
        {
            Span<uint> row = pixels.Slice(y * width, width);
            // The row above and this row are contiguous, so top[x + 1] at the right edge is this row's first pixel.
            ReadOnlySpan<uint> top = pixels.Slice((y - 1) * width, width + 1);
            ReadOnlySpan<uint> modeRow = modes.Slice((y >> sizeBits) * blocksPerRow, blocksPerRow);
            row[0] = AddPixels(row[0], top[0]);
            int x = 1;
            while (x < width)
            {
                int mode = (int)(modeRow[x >> sizeBits] >> 8) & 0xF;
                int blockEnd = Math.Min(width, ((x >> sizeBits) + 1) << sizeBits);
                // One loop per mode, the mode's arithmetic inlined into it (an operator struct per mode).
                switch (mode)
                {
                    case 1: AddBlock<Left>(row, top, x, blockEnd); break;
                    case 2: AddBlock<Top>(row, top, x, blockEnd); break;
                    case 3: AddBlock<TopRight>(row, top, x, blockEnd); break;
                    case 4: AddBlock<TopLeft>(row, top, x, blockEnd); break;
                    case 5: AddBlock<Mode5>(row, top, x, blockEnd); break;
                    case 6: AddBlock<Mode6>(row, top, x, blockEnd); break;
                    case 7: AddBlock<Mode7>(row, top, x, blockEnd); break;
                    case 8: AddBlock<Mode8>(row, top, x, blockEnd); break;
                    case 9: AddBlock<Mode9>(row, top, x, blockEnd); break;
                    case 10: AddBlock<Mode10>(row, top, x, blockEnd); break;
                    case 11: AddBlock<Mode11>(row, top, x, blockEnd); break;
                    case 12: AddBlock<Mode12>(row, top, x, blockEnd); break;
                    case 13: AddBlock<Mode13>(row, top, x, blockEnd); break;
                    default: AddBlock<Black>(row, top, x, blockEnd); break;
                }
                x = blockEnd;
            }
        }
    }

    private static void AddBlock<TMode>(Span<uint> row, ReadOnlySpan<uint> top, int start, int end) where TMode : struct, IMode
    {
        for (int x = start; x < end; x++) row[x] = AddPixels(row[x], TMode.Predict(row[x - 1], top[x], top[x + 1], top[x - 1]));
    }

    private interface IMode
    {
        static abstract uint Predict(uint left, uint top, uint topRight, uint topLeft);
    }

    private struct Black : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => 0xFF000000; }
    private struct Left : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => l; }
    private struct Top : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => t; }
    private struct TopRight : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => tr; }
    private struct TopLeft : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => tl; }
    private struct Mode5 : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => Average2(Average2(l, tr), t); }
    private struct Mode6 : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => Average2(l, tl); }
    private struct Mode7 : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => Average2(l, t); }
    private struct Mode8 : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => Average2(tl, t); }
    private struct Mode9 : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => Average2(t, tr); }
    private struct Mode10 : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => Average2(Average2(l, tl), Average2(t, tr)); }
    private struct Mode11 : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => Select(l, t, tl); }
    private struct Mode12 : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => ClampAddSubtractFull(l, t, tl); }
    private struct Mode13 : IMode { public static uint Predict(uint l, uint t, uint tr, uint tl) => ClampAddSubtractHalf(Average2(l, t), tl); }

    /// <summary>The prediction of mode <paramref name="mode"/> (0–13; 14 and 15 act as 0, as libwebp does), one pixel at a time (the test writer's forward transform).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Predict(int mode, uint left, uint top, uint topRight, uint topLeft) => mode switch
    {
        1 => left,
        2 => top,
        3 => topRight,
        4 => topLeft,
        5 => Average2(Average2(left, topRight), top),
        6 => Average2(left, topLeft),
        7 => Average2(left, top),
        8 => Average2(topLeft, top),
        9 => Average2(top, topRight),
        10 => Average2(Average2(left, topLeft), Average2(top, topRight)),
        11 => Select(left, top, topLeft),
        12 => ClampAddSubtractFull(left, top, topLeft),
        13 => ClampAddSubtractHalf(Average2(left, top), topLeft),
        _ => 0xFF000000,
    };

    /// <summary>Adds two pixels channel by channel, modulo 256.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint AddPixels(uint a, uint b)
    {
        uint alphaGreen = (a & 0xFF00FF00) + (b & 0xFF00FF00);
        uint redBlue = (a & 0x00FF00FF) + (b & 0x00FF00FF);
        return (alphaGreen & 0xFF00FF00) | (redBlue & 0x00FF00FF);
    }

    // Per channel (a + b) / 2, rounded down.
    private static uint Average2(uint a, uint b) => (((a ^ b) & 0xFEFEFEFE) >> 1) + (a & b);

    // L or T, whichever is nearer (Manhattan distance over the four channels) to the gradient estimate L + T − TL:
    // |estimate − L| = |T − TL| and |estimate − T| = |L − TL|.
    private static uint Select(uint left, uint top, uint topLeft)
    {
        int distanceToLeft = AbsDifference(top, topLeft, 0) + AbsDifference(top, topLeft, 8) + AbsDifference(top, topLeft, 16) + AbsDifference(top, topLeft, 24);
        int distanceToTop = AbsDifference(left, topLeft, 0) + AbsDifference(left, topLeft, 8) + AbsDifference(left, topLeft, 16) + AbsDifference(left, topLeft, 24);
        return distanceToLeft < distanceToTop ? left : top;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int AbsDifference(uint a, uint b, int shift) => Math.Abs((int)((a >> shift) & 0xFF) - (int)((b >> shift) & 0xFF));

    // Per channel Clamp(a + b − c).
    private static uint ClampAddSubtractFull(uint a, uint b, uint c)
        => Full(a, b, c, 0) | Full(a, b, c, 8) | Full(a, b, c, 16) | Full(a, b, c, 24);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Full(uint a, uint b, uint c, int shift)
        => (uint)Clamp255((int)((a >> shift) & 0xFF) + (int)((b >> shift) & 0xFF) - (int)((c >> shift) & 0xFF)) << shift;

    // Per channel Clamp(a + (a − b) / 2), the division truncating toward zero as in C.
    private static uint ClampAddSubtractHalf(uint a, uint b)
        => Half(a, b, 0) | Half(a, b, 8) | Half(a, b, 16) | Half(a, b, 24);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Half(uint a, uint b, int shift)
    {
        int ca = (int)((a >> shift) & 0xFF), cb = (int)((b >> shift) & 0xFF);
        return (uint)Clamp255(ca + (ca - cb) / 2) << shift;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Clamp255(int value) => value < 0 ? 0 : value > 255 ? 255 : value;
}
