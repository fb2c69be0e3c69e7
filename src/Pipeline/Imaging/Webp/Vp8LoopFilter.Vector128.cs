using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// The loop filters on 8 segments at a time, one 16-bit lane per segment, with the same integer arithmetic as the
/// scalar versions (so they agree exactly). Segments across a horizontal edge lie side by side in memory and load
/// directly; those across a vertical edge are transposed through a small stack buffer first.
/// </summary>
[SkipLocalsInit] // the stack buffers are written before they are read
internal static unsafe partial class Vp8LoopFilter
{
    /// <summary>True when the vector versions run (128-bit vectors are hardware accelerated).</summary>
    public static bool UseVectors { get; } = Vector128.IsHardwareAccelerated;

    /// <inheritdoc cref="SimpleEdge"/>
    public static void SimpleEdgeVector128(byte* p, int step, int pitch, int count, int edgeLimit)
    {
        if (pitch == 1)
        {
            for (int i = 0; i < count; i += 8) SimpleLanes(p + i, step, edgeLimit);
            return;
        }
        byte* staging = stackalloc byte[8 * 16];
        Gather(p, pitch, count, staging);
        for (int i = 0; i < count; i += 8) SimpleLanes(staging + 4 * 16 + i, 16, edgeLimit);
        Scatter(staging, p, pitch, count);
    }

    /// <summary>The normal filter, macroblock (<paramref name="macroblock"/>) or subblock edge, 8 segments at a time.</summary>
    public static void NormalEdgeVector128(byte* p, int step, int pitch, int count, int edgeLimit, int interiorLimit, int hevThreshold, bool macroblock)
    {
        if (pitch == 1)
        {
            for (int i = 0; i < count; i += 8) NormalLanes(p + i, step, edgeLimit, interiorLimit, hevThreshold, macroblock);
            return;
        }
        byte* staging = stackalloc byte[8 * 16];
        Gather(p, pitch, count, staging);
        for (int i = 0; i < count; i += 8) NormalLanes(staging + 4 * 16 + i, 16, edgeLimit, interiorLimit, hevThreshold, macroblock);
        Scatter(staging, p, pitch, count);
    }

    /// <summary>Copies the 8 pixels p3..q3 of each of <paramref name="count"/> segments (one per row) into 8 rows of 16 lanes.</summary>
    private static void Gather(byte* p, int pitch, int count, byte* staging)
    {
        for (int i = 0; i < count; i++)
        {
            byte* s = p + i * pitch - 4;
            for (int r = 0; r < 8; r++) staging[r * 16 + i] = s[r];
        }
    }

    private static void Scatter(byte* staging, byte* p, int pitch, int count)
    {
        for (int i = 0; i < count; i++)
        {
            byte* s = p + i * pitch - 4;
            for (int r = 1; r < 7; r++) s[r] = staging[r * 16 + i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Load8(byte* a) => Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)a).AsByte()).AsInt16();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8(byte* a, Vector128<short> v) => *(ulong*)a = Vector128.Narrow(v.AsUInt16(), v.AsUInt16()).AsUInt64().ToScalar();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Clamp127(Vector128<short> v) => Vector128.Min(Vector128.Max(v, Vector128.Create((short)-128)), Vector128.Create((short)127));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Clamp255(Vector128<short> v) => Vector128.Min(Vector128.Max(v, Vector128<short>.Zero), Vector128.Create((short)255));

    /// <summary>The edge test shared by all filters: 4|p0 − q0| + |p1 − q1| ≤ 2E + 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> EdgeMask(Vector128<short> p1, Vector128<short> p0, Vector128<short> q0, Vector128<short> q1, int edgeLimit)
        => Vector128.LessThanOrEqual(Vector128.Abs(p0 - q0) * 4 + Vector128.Abs(p1 - q1), Vector128.Create((short)(2 * edgeLimit + 1)));

    private static void SimpleLanes(byte* q0Row, int step, int edgeLimit)
    {
        Vector128<short> p1 = Load8(q0Row - 2 * step), p0 = Load8(q0Row - step), q0 = Load8(q0Row), q1 = Load8(q0Row + step);
        Vector128<short> mask = EdgeMask(p1, p0, q0, q1, edgeLimit);
        if (mask == Vector128<short>.Zero) return;
        Vector128<short> a = Clamp127(Clamp127(p1 - q1) + (q0 - p0) * 3);
        Vector128<short> b = Vector128.ShiftRightArithmetic(Clamp127(a + Vector128.Create((short)3)), 3);
        a = Vector128.ShiftRightArithmetic(Clamp127(a + Vector128.Create((short)4)), 3);
        Store8(q0Row, Vector128.ConditionalSelect(mask, Clamp255(q0 - a), q0));
        Store8(q0Row - step, Vector128.ConditionalSelect(mask, Clamp255(p0 + b), p0));
    }

    private static void NormalLanes(byte* q0Row, int step, int edgeLimit, int interiorLimit, int hevThreshold, bool macroblock)
    {
        Vector128<short> p3 = Load8(q0Row - 4 * step), p2 = Load8(q0Row - 3 * step), p1 = Load8(q0Row - 2 * step), p0 = Load8(q0Row - step);
        Vector128<short> q0 = Load8(q0Row), q1 = Load8(q0Row + step), q2 = Load8(q0Row + 2 * step), q3 = Load8(q0Row + 3 * step);
        Vector128<short> interior = Vector128.Create((short)interiorLimit);
        Vector128<short> worst = Vector128.Max(
            Vector128.Max(Vector128.Max(Vector128.Abs(p3 - p2), Vector128.Abs(p2 - p1)), Vector128.Abs(p1 - p0)),
            Vector128.Max(Vector128.Max(Vector128.Abs(q3 - q2), Vector128.Abs(q2 - q1)), Vector128.Abs(q1 - q0)));
        Vector128<short> mask = EdgeMask(p1, p0, q0, q1, edgeLimit) & Vector128.LessThanOrEqual(worst, interior);
        if (mask == Vector128<short>.Zero) return;
        Vector128<short> threshold = Vector128.Create((short)hevThreshold);
        Vector128<short> hev = Vector128.GreaterThan(Vector128.Abs(p1 - p0), threshold) | Vector128.GreaterThan(Vector128.Abs(q1 - q0), threshold);
        Vector128<short> three = Vector128.Create((short)3), four = Vector128.Create((short)4);
        Vector128<short> outer = Clamp127(p1 - q1);

        if (macroblock)
        {
            // High edge variance: the common adjustment with outer taps, on p0 and q0 only.
            Vector128<short> a = Clamp127(outer + (q0 - p0) * 3);
            Vector128<short> b = Vector128.ShiftRightArithmetic(Clamp127(a + three), 3);
            a = Vector128.ShiftRightArithmetic(Clamp127(a + four), 3);
            Vector128<short> q0Hev = Clamp255(q0 - a), p0Hev = Clamp255(p0 + b);
            // Otherwise 27/18/9 × w / 128 on three pixels each side.
            Vector128<short> w = Clamp127(outer + (q0 - p0) * 3);
            Vector128<short> round = Vector128.Create((short)63);
            Vector128<short> a0 = Vector128.ShiftRightArithmetic(w * 27 + round, 7);
            Vector128<short> a1 = Vector128.ShiftRightArithmetic(w * 18 + round, 7);
            Vector128<short> a2 = Vector128.ShiftRightArithmetic(w * 9 + round, 7);
            Vector128<short> smooth = mask & ~hev;
            Vector128<short> sharp = mask & hev;
            Store8(q0Row - step, Vector128.ConditionalSelect(sharp, p0Hev, Vector128.ConditionalSelect(smooth, Clamp255(p0 + a0), p0)));
            Store8(q0Row, Vector128.ConditionalSelect(sharp, q0Hev, Vector128.ConditionalSelect(smooth, Clamp255(q0 - a0), q0)));
            Store8(q0Row - 2 * step, Vector128.ConditionalSelect(smooth, Clamp255(p1 + a1), p1));
            Store8(q0Row + step, Vector128.ConditionalSelect(smooth, Clamp255(q1 - a1), q1));
            Store8(q0Row - 3 * step, Vector128.ConditionalSelect(smooth, Clamp255(p2 + a2), p2));
            Store8(q0Row + 2 * step, Vector128.ConditionalSelect(smooth, Clamp255(q2 - a2), q2));
        }
        else
        {
            Vector128<short> a = Clamp127((outer & hev) + (q0 - p0) * 3);
            Vector128<short> b = Vector128.ShiftRightArithmetic(Clamp127(a + three), 3);
            a = Vector128.ShiftRightArithmetic(Clamp127(a + four), 3);
            Store8(q0Row, Vector128.ConditionalSelect(mask, Clamp255(q0 - a), q0));
            Store8(q0Row - step, Vector128.ConditionalSelect(mask, Clamp255(p0 + b), p0));
            Vector128<short> half = Vector128.ShiftRightArithmetic(a + Vector128<short>.One, 1);
            Vector128<short> smooth = mask & ~hev;
            Store8(q0Row - 2 * step, Vector128.ConditionalSelect(smooth, Clamp255(p1 + half), p1));
            Store8(q0Row + step, Vector128.ConditionalSelect(smooth, Clamp255(q1 - half), q1));
        }
    }
}
