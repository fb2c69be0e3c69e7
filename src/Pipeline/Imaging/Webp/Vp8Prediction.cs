using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// Intra prediction (RFC 6386 section 12) straight into the frame: 16×16 luma and 8×8 chroma blocks from the row
/// above and the column to the left, and 4×4 luma subblocks from a 13-pixel edge.
/// <para>
/// The planes have a border row above and a border column to the left holding the spec's out-of-frame values
/// (127 above, 129 to the left), so V, H and TM read them like any other pixel; only DC treats a missing edge
/// specially (it averages the edge that exists, or is 128).
/// </para>
/// </summary>
internal static unsafe class Vp8Prediction
{
    /// <summary>16×16 luma and chroma modes (intra_mbmode).</summary>
    public const int DcPred = 0, VPred = 1, HPred = 2, TmPred = 3, BPred = 4;

    /// <summary>Subblock modes (intra_bmode), in the order the spec's tree and probability table use.</summary>
    public const int BDc = 0, BTm = 1, BVe = 2, BHe = 3, BLd = 4, BRd = 5, BVr = 6, BVl = 7, BHd = 8, BHu = 9;

    /// <summary>Layout of the subblock edge: left column bottom-up (0..3), the corner (4), the 8 pixels above (5..12).</summary>
    public const int EdgeSize = 13;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clamp255(int v) => (uint)v <= 255 ? (byte)v : v < 0 ? (byte)0 : (byte)255;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Avg3(int x, int y, int z) => (byte)((x + y + y + z + 2) >> 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Avg2(int x, int y) => (byte)((x + y + 1) >> 1);

    /// <summary>Predicts the <paramref name="size"/>×<paramref name="size"/> block at <paramref name="dst"/> (16 for luma, 8 for chroma).</summary>
    public static void PredictBlock(byte* dst, int stride, int size, int mode, bool hasAbove, bool hasLeft)
    {
        byte* above = dst - stride;
        switch (mode)
        {
            case DcPred:
            {
                int shift = size == 16 ? 4 : 3;
                int sum = 0;
                int value;
                if (hasAbove && hasLeft)
                {
                    for (int i = 0; i < size; i++) sum += above[i] + dst[i * stride - 1];
                    value = (sum + size) >> (shift + 1);
                }
                else if (hasAbove)
                {
                    for (int i = 0; i < size; i++) sum += above[i];
                    value = (sum + (size >> 1)) >> shift;
                }
                else if (hasLeft)
                {
                    for (int i = 0; i < size; i++) sum += dst[i * stride - 1];
                    value = (sum + (size >> 1)) >> shift;
                }
                else
                {
                    value = 128;
                }
                for (int r = 0; r < size; r++) new Span<byte>(dst + r * stride, size).Fill((byte)value);
                break;
            }
            case VPred:
                for (int r = 0; r < size; r++) new ReadOnlySpan<byte>(above, size).CopyTo(new Span<byte>(dst + r * stride, size));
                break;
            case HPred:
                for (int r = 0; r < size; r++) new Span<byte>(dst + r * stride, size).Fill(dst[r * stride - 1]);
                break;
            default: // TmPred
            {
                int corner = above[-1];
                for (int r = 0; r < size; r++)
                {
                    byte* row = dst + r * stride;
                    int left = row[-1] - corner;
                    for (int c = 0; c < size; c++) row[c] = Clamp255(left + above[c]);
                }
                break;
            }
        }
    }

    /// <summary>
    /// Predicts the 4×4 subblock at <paramref name="dst"/> with subblock mode <paramref name="mode"/> from
    /// <paramref name="e"/>: e[0..3] the left column from the bottom up, e[4] the corner, e[5..12] the row above
    /// (4 above the block, then 4 above and to the right).
    /// </summary>
    public static void PredictSubblock(byte* dst, int stride, int mode, byte* e)
    {
        byte* a = e + 5; // a[-1] is the corner
        byte* r0 = dst, r1 = dst + stride, r2 = dst + 2 * stride, r3 = dst + 3 * stride;
        switch (mode)
        {
            case BDc:
            {
                int v = 4;
                for (int i = 0; i < 4; i++) v += a[i] + e[i];
                byte dc = (byte)(v >> 3);
                for (int r = 0; r < 4; r++) new Span<byte>(dst + r * stride, 4).Fill(dc);
                break;
            }
            case BTm:
            {
                int corner = e[4];
                for (int r = 0; r < 4; r++)
                {
                    byte* row = dst + r * stride;
                    int left = e[3 - r] - corner;
                    for (int c = 0; c < 4; c++) row[c] = Clamp255(left + a[c]);
                }
                break;
            }
            case BVe:
                for (int c = 0; c < 4; c++) r0[c] = r1[c] = r2[c] = r3[c] = Avg3(a[c - 1], a[c], a[c + 1]);
                break;
            case BHe:
                new Span<byte>(r0, 4).Fill(Avg3(e[4], e[3], e[2]));
                new Span<byte>(r1, 4).Fill(Avg3(e[3], e[2], e[1]));
                new Span<byte>(r2, 4).Fill(Avg3(e[2], e[1], e[0]));
                new Span<byte>(r3, 4).Fill(Avg3(e[1], e[0], e[0]));
                break;
            case BLd:
                r0[0] = Avg3(a[0], a[1], a[2]);
                r0[1] = r1[0] = Avg3(a[1], a[2], a[3]);
                r0[2] = r1[1] = r2[0] = Avg3(a[2], a[3], a[4]);
                r0[3] = r1[2] = r2[1] = r3[0] = Avg3(a[3], a[4], a[5]);
                r1[3] = r2[2] = r3[1] = Avg3(a[4], a[5], a[6]);
                r2[3] = r3[2] = Avg3(a[5], a[6], a[7]);
                r3[3] = Avg3(a[6], a[7], a[7]);
                break;
            case BRd:
                r3[0] = Avg3(e[0], e[1], e[2]);
                r3[1] = r2[0] = Avg3(e[1], e[2], e[3]);
                r3[2] = r2[1] = r1[0] = Avg3(e[2], e[3], e[4]);
                r3[3] = r2[2] = r1[1] = r0[0] = Avg3(e[3], e[4], e[5]);
                r2[3] = r1[2] = r0[1] = Avg3(e[4], e[5], e[6]);
                r1[3] = r0[2] = Avg3(e[5], e[6], e[7]);
                r0[3] = Avg3(e[6], e[7], e[8]);
                break;
            case BVr:
                r3[0] = Avg3(e[1], e[2], e[3]);
                r2[0] = Avg3(e[2], e[3], e[4]);
                r3[1] = r1[0] = Avg3(e[3], e[4], e[5]);
                r2[1] = r0[0] = Avg2(e[4], e[5]);
                r3[2] = r1[1] = Avg3(e[4], e[5], e[6]);
                r2[2] = r0[1] = Avg2(e[5], e[6]);
                r3[3] = r1[2] = Avg3(e[5], e[6], e[7]);
                r2[3] = r0[2] = Avg2(e[6], e[7]);
                r1[3] = Avg3(e[6], e[7], e[8]);
                r0[3] = Avg2(e[7], e[8]);
                break;
            case BVl:
                r0[0] = Avg2(a[0], a[1]);
                r1[0] = Avg3(a[0], a[1], a[2]);
                r2[0] = r0[1] = Avg2(a[1], a[2]);
                r1[1] = r3[0] = Avg3(a[1], a[2], a[3]);
                r2[1] = r0[2] = Avg2(a[2], a[3]);
                r3[1] = r1[2] = Avg3(a[2], a[3], a[4]);
                r2[2] = r0[3] = Avg2(a[3], a[4]);
                r3[2] = r1[3] = Avg3(a[3], a[4], a[5]);
                r2[3] = Avg3(a[4], a[5], a[6]);
                r3[3] = Avg3(a[5], a[6], a[7]);
                break;
            case BHd:
                r3[0] = Avg2(e[0], e[1]);
                r3[1] = Avg3(e[0], e[1], e[2]);
                r2[0] = r3[2] = Avg2(e[1], e[2]);
                r2[1] = r3[3] = Avg3(e[1], e[2], e[3]);
                r2[2] = r1[0] = Avg2(e[2], e[3]);
                r2[3] = r1[1] = Avg3(e[2], e[3], e[4]);
                r1[2] = r0[0] = Avg2(e[3], e[4]);
                r1[3] = r0[1] = Avg3(e[3], e[4], e[5]);
                r0[2] = Avg3(e[4], e[5], e[6]);
                r0[3] = Avg3(e[5], e[6], e[7]);
                break;
            default: // BHu, from the left column: l0 = e[3] .. l3 = e[0]
                r0[0] = Avg2(e[3], e[2]);
                r0[1] = Avg3(e[3], e[2], e[1]);
                r0[2] = r1[0] = Avg2(e[2], e[1]);
                r0[3] = r1[1] = Avg3(e[2], e[1], e[0]);
                r1[2] = r2[0] = Avg2(e[1], e[0]);
                r1[3] = r2[1] = Avg3(e[1], e[0], e[0]);
                r2[2] = r2[3] = r3[0] = r3[1] = r3[2] = r3[3] = e[0];
                break;
        }
    }
}
