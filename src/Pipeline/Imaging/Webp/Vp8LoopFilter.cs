using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// The loop filters of RFC 6386 section 15, on one edge at a time. <c>step</c> is the distance between the pixels
/// of a segment across the edge (1 for a vertical edge, the stride for a horizontal one) and <c>pitch</c> the
/// distance between successive segments along it. Pixel names follow the spec: p3 p2 p1 p0 | q0 q1 q2 q3.
/// <para>
/// Thresholds are passed as the spec's edge limit E (compared with |p0 − q0| × 2 + |p1 − q1| / 2, here in the
/// equivalent integer form 4|p0 − q0| + |p1 − q1| ≤ 2E + 1), interior limit I and high-edge-variance threshold.
/// </para>
/// <para>
/// Each filter is written twice: the scalar version here, which is the spec, and a Vector128 version
/// (Vp8LoopFilter.Vector128.cs) that the entry points choose when the CPU has 128-bit vectors; tests check that they
/// agree on every pixel.
/// </para>
/// </summary>
internal static unsafe partial class Vp8LoopFilter
{
    /// <summary>|v| without Math.Abs's overflow branch (v is a difference of two bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Abs(int v)
    {
        int sign = v >> 31;
        return (v ^ sign) - sign;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Clamp127(int v) => v < -128 ? -128 : v > 127 ? 127 : v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clamp255(int v) => (uint)v <= 255 ? (byte)v : v < 0 ? (byte)0 : (byte)255;

    /// <summary>The simple filter across one edge of <paramref name="count"/> segments (luma only).</summary>
    public static void SimpleEdge(byte* p, int step, int pitch, int count, int edgeLimit)
    {
        if (UseVectors) SimpleEdgeVector128(p, step, pitch, count, edgeLimit);
        else SimpleEdgeScalar(p, step, pitch, count, edgeLimit);
    }

    /// <summary>The normal filter across a macroblock edge: up to three pixels each side change.</summary>
    public static void MacroblockEdge(byte* p, int step, int pitch, int count, int edgeLimit, int interiorLimit, int hevThreshold)
    {
        if (UseVectors) NormalEdgeVector128(p, step, pitch, count, edgeLimit, interiorLimit, hevThreshold, macroblock: true);
        else MacroblockEdgeScalar(p, step, pitch, count, edgeLimit, interiorLimit, hevThreshold);
    }

    /// <summary>The normal filter across an edge between subblocks: up to two pixels each side change.</summary>
    public static void SubblockEdge(byte* p, int step, int pitch, int count, int edgeLimit, int interiorLimit, int hevThreshold)
    {
        if (UseVectors) NormalEdgeVector128(p, step, pitch, count, edgeLimit, interiorLimit, hevThreshold, macroblock: false);
        else SubblockEdgeScalar(p, step, pitch, count, edgeLimit, interiorLimit, hevThreshold);
    }

    /// <inheritdoc cref="SimpleEdge"/>
    public static void SimpleEdgeScalar(byte* p, int step, int pitch, int count, int edgeLimit)
    {
        int limit2 = 2 * edgeLimit + 1;
        for (int i = 0; i < count; i++, p += pitch)
        {
            int p1 = p[-2 * step], p0 = p[-step], q0 = p[0], q1 = p[step];
            if (4 * Abs(p0 - q0) + Abs(p1 - q1) <= limit2) CommonAdjust(p, step, p1, p0, q0, q1, outerTaps: true);
        }
    }

    /// <inheritdoc cref="MacroblockEdge"/>
    public static void MacroblockEdgeScalar(byte* p, int step, int pitch, int count, int edgeLimit, int interiorLimit, int hevThreshold)
    {
        int limit2 = 2 * edgeLimit + 1;
        for (int i = 0; i < count; i++, p += pitch)
        {
            int p3 = p[-4 * step], p2 = p[-3 * step], p1 = p[-2 * step], p0 = p[-step];
            int q0 = p[0], q1 = p[step], q2 = p[2 * step], q3 = p[3 * step];
            if (!FilterYes(interiorLimit, limit2, p3, p2, p1, p0, q0, q1, q2, q3)) continue;
            if (Abs(p1 - p0) > hevThreshold || Abs(q1 - q0) > hevThreshold)
            {
                CommonAdjust(p, step, p1, p0, q0, q1, outerTaps: true);
                continue;
            }
            int w = Clamp127(Clamp127(p1 - q1) + 3 * (q0 - p0));
            int a = (27 * w + 63) >> 7;
            p[-step] = Clamp255(p0 + a);
            p[0] = Clamp255(q0 - a);
            a = (18 * w + 63) >> 7;
            p[-2 * step] = Clamp255(p1 + a);
            p[step] = Clamp255(q1 - a);
            a = (9 * w + 63) >> 7;
            p[-3 * step] = Clamp255(p2 + a);
            p[2 * step] = Clamp255(q2 - a);
        }
    }

    /// <inheritdoc cref="SubblockEdge"/>
    public static void SubblockEdgeScalar(byte* p, int step, int pitch, int count, int edgeLimit, int interiorLimit, int hevThreshold)
    {
        int limit2 = 2 * edgeLimit + 1;
        for (int i = 0; i < count; i++, p += pitch)
        {
            int p3 = p[-4 * step], p2 = p[-3 * step], p1 = p[-2 * step], p0 = p[-step];
            int q0 = p[0], q1 = p[step], q2 = p[2 * step], q3 = p[3 * step];
            if (!FilterYes(interiorLimit, limit2, p3, p2, p1, p0, q0, q1, q2, q3)) continue;
            bool hev = Abs(p1 - p0) > hevThreshold || Abs(q1 - q0) > hevThreshold;
            int a = CommonAdjust(p, step, p1, p0, q0, q1, outerTaps: hev);
            if (!hev)
            {
                a = (a + 1) >> 1;
                p[-2 * step] = Clamp255(p1 + a);
                p[step] = Clamp255(q1 - a);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FilterYes(int interior, int limit2, int p3, int p2, int p1, int p0, int q0, int q1, int q2, int q3)
        => 4 * Abs(p0 - q0) + Abs(p1 - q1) <= limit2
            && Abs(p3 - p2) <= interior && Abs(p2 - p1) <= interior && Abs(p1 - p0) <= interior
            && Abs(q3 - q2) <= interior && Abs(q2 - q1) <= interior && Abs(q1 - q0) <= interior;

    /// <summary>
    /// The spec's common_adjust: moves p0 and q0 towards each other by about (q0 − p0) × 3/8 (plus (p1 − q1)/8 with the
    /// outer taps) and returns the amount taken from q0. The signed 8-bit clamps of the spec are kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CommonAdjust(byte* p, int step, int p1, int p0, int q0, int q1, bool outerTaps)
    {
        int a = Clamp127((outerTaps ? Clamp127(p1 - q1) : 0) + 3 * (q0 - p0));
        int b = Clamp127(a + 3) >> 3;
        a = Clamp127(a + 4) >> 3;
        p[0] = Clamp255(q0 - a);
        p[-step] = Clamp255(p0 + b);
        return a;
    }
}
