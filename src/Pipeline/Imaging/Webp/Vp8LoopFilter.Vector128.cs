using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// The loop filters on 8 segments at a time, one 16-bit lane per segment, with the same integer arithmetic as the
/// scalar versions (so they agree exactly). Segments across a horizontal edge lie side by side in memory and load
/// directly; those across a vertical edge are transposed in registers (SSE2 unpacks) or, without SSE2, through a
/// small stack buffer.
/// </summary>
[SkipLocalsInit] // the stack buffers are written before they are read
internal static unsafe partial class Vp8LoopFilter
{
    /// <summary>True when the vector versions run (128-bit vectors are hardware accelerated).</summary>
    public static bool UseVectors { get; } = Vector128.IsHardwareAccelerated;

    /// <inheritdoc cref="SimpleEdge"/>
    public static void SimpleEdgeVector128(byte* p, int step, int pitch, int count, int edgeLimit)
        => SimpleEdgeVector128(p, step, pitch, count, edgeLimit, Sse2.IsSupported);

    /// <summary>The simple filter with a chosen transpose for vertical edges: SSE2 unpacks, or through a stack buffer.</summary>
    internal static void SimpleEdgeVector128(byte* p, int step, int pitch, int count, int edgeLimit, bool transposeInRegisters)
    {
        if (pitch == 1)
        {
            for (int i = 0; i < count; i += 8) SimpleLanes(p + i, step, edgeLimit);
            return;
        }
        if (transposeInRegisters)
        {
            VerticalEdgeSse2(p, pitch, count, kind: 0, edgeLimit, 0, 0);
            return;
        }
        byte* staging = stackalloc byte[8 * 16];
        Gather(p, pitch, count, staging);
        for (int i = 0; i < count; i += 8) SimpleLanes(staging + 4 * 16 + i, 16, edgeLimit);
        Scatter(staging, p, pitch, count);
    }

    /// <summary>The normal filter, macroblock (<paramref name="macroblock"/>) or subblock edge, 8 segments at a time.</summary>
    public static void NormalEdgeVector128(byte* p, int step, int pitch, int count, int edgeLimit, int interiorLimit, int hevThreshold, bool macroblock)
        => NormalEdgeVector128(p, step, pitch, count, edgeLimit, interiorLimit, hevThreshold, macroblock, Sse2.IsSupported);

    /// <summary>The normal filter with a chosen transpose for vertical edges: SSE2 unpacks, or through a stack buffer.</summary>
    internal static void NormalEdgeVector128(byte* p, int step, int pitch, int count, int edgeLimit, int interiorLimit, int hevThreshold,
        bool macroblock, bool transposeInRegisters)
    {
        if (pitch == 1)
        {
            for (int i = 0; i < count; i += 8) NormalLanes(p + i, step, edgeLimit, interiorLimit, hevThreshold, macroblock);
            return;
        }
        if (transposeInRegisters)
        {
            VerticalEdgeSse2(p, pitch, count, macroblock ? 1 : 2, edgeLimit, interiorLimit, hevThreshold);
            return;
        }
        byte* staging = stackalloc byte[8 * 16];
        Gather(p, pitch, count, staging);
        for (int i = 0; i < count; i += 8) NormalLanes(staging + 4 * 16 + i, 16, edgeLimit, interiorLimit, hevThreshold, macroblock);
        Scatter(staging, p, pitch, count);
    }

    /// <summary>
    /// A vertical edge of 8 or 16 segments (one per row, p3 at <paramref name="p"/> − 4): the rows are transposed into
    /// 8 vectors of 16 lanes (p3..q3), filtered (kind 0 simple, 1 macroblock, 2 subblock) and transposed back.
    /// </summary>
    private static void VerticalEdgeSse2(byte* p, int pitch, int count, int kind, int edgeLimit, int interiorLimit, int hevThreshold)
    {
        byte* first = p - 4;
        Vector128<byte> Row(int i) => i < count ? Vector128.CreateScalar(*(ulong*)(first + i * pitch)).AsByte() : Vector128<byte>.Zero;

        // Rows → columns: interleave bytes of row pairs, then 16-bit, 32-bit and 64-bit groups.
        Vector128<byte> a0 = Sse2.UnpackLow(Row(0), Row(1)), a1 = Sse2.UnpackLow(Row(2), Row(3));
        Vector128<byte> a2 = Sse2.UnpackLow(Row(4), Row(5)), a3 = Sse2.UnpackLow(Row(6), Row(7));
        Vector128<byte> a4 = Sse2.UnpackLow(Row(8), Row(9)), a5 = Sse2.UnpackLow(Row(10), Row(11));
        Vector128<byte> a6 = Sse2.UnpackLow(Row(12), Row(13)), a7 = Sse2.UnpackLow(Row(14), Row(15));
        Vector128<ushort> b0 = Sse2.UnpackLow(a0.AsUInt16(), a1.AsUInt16()), b1 = Sse2.UnpackHigh(a0.AsUInt16(), a1.AsUInt16());
        Vector128<ushort> b2 = Sse2.UnpackLow(a2.AsUInt16(), a3.AsUInt16()), b3 = Sse2.UnpackHigh(a2.AsUInt16(), a3.AsUInt16());
        Vector128<ushort> b4 = Sse2.UnpackLow(a4.AsUInt16(), a5.AsUInt16()), b5 = Sse2.UnpackHigh(a4.AsUInt16(), a5.AsUInt16());
        Vector128<ushort> b6 = Sse2.UnpackLow(a6.AsUInt16(), a7.AsUInt16()), b7 = Sse2.UnpackHigh(a6.AsUInt16(), a7.AsUInt16());
        // Columns 0–1, 2–3, 4–5, 6–7 of rows 0–7 (d) and rows 8–15 (e).
        Vector128<uint> d01 = Sse2.UnpackLow(b0.AsUInt32(), b2.AsUInt32()), d23 = Sse2.UnpackHigh(b0.AsUInt32(), b2.AsUInt32());
        Vector128<uint> d45 = Sse2.UnpackLow(b1.AsUInt32(), b3.AsUInt32()), d67 = Sse2.UnpackHigh(b1.AsUInt32(), b3.AsUInt32());
        Vector128<uint> e01 = Sse2.UnpackLow(b4.AsUInt32(), b6.AsUInt32()), e23 = Sse2.UnpackHigh(b4.AsUInt32(), b6.AsUInt32());
        Vector128<uint> e45 = Sse2.UnpackLow(b5.AsUInt32(), b7.AsUInt32()), e67 = Sse2.UnpackHigh(b5.AsUInt32(), b7.AsUInt32());
        Vector128<byte> c0 = Sse2.UnpackLow(d01.AsUInt64(), e01.AsUInt64()).AsByte(), c1 = Sse2.UnpackHigh(d01.AsUInt64(), e01.AsUInt64()).AsByte();
        Vector128<byte> c2 = Sse2.UnpackLow(d23.AsUInt64(), e23.AsUInt64()).AsByte(), c3 = Sse2.UnpackHigh(d23.AsUInt64(), e23.AsUInt64()).AsByte();
        Vector128<byte> c4 = Sse2.UnpackLow(d45.AsUInt64(), e45.AsUInt64()).AsByte(), c5 = Sse2.UnpackHigh(d45.AsUInt64(), e45.AsUInt64()).AsByte();
        Vector128<byte> c6 = Sse2.UnpackLow(d67.AsUInt64(), e67.AsUInt64()).AsByte(), c7 = Sse2.UnpackHigh(d67.AsUInt64(), e67.AsUInt64()).AsByte();

        bool changed = FilterHalf(Vector128.WidenLower(c0).AsInt16(), Vector128.WidenLower(c1).AsInt16(), Vector128.WidenLower(c2).AsInt16(),
            Vector128.WidenLower(c3).AsInt16(), Vector128.WidenLower(c4).AsInt16(), Vector128.WidenLower(c5).AsInt16(),
            Vector128.WidenLower(c6).AsInt16(), Vector128.WidenLower(c7).AsInt16(), kind, edgeLimit, interiorLimit, hevThreshold,
            out Vector128<short> lo1, out Vector128<short> lo2, out Vector128<short> lo3, out Vector128<short> lo4, out Vector128<short> lo5, out Vector128<short> lo6);
        Vector128<short> hi1 = default, hi2 = default, hi3 = default, hi4 = default, hi5 = default, hi6 = default;
        if (count > 8)
        {
            changed |= FilterHalf(Vector128.WidenUpper(c0).AsInt16(), Vector128.WidenUpper(c1).AsInt16(), Vector128.WidenUpper(c2).AsInt16(),
                Vector128.WidenUpper(c3).AsInt16(), Vector128.WidenUpper(c4).AsInt16(), Vector128.WidenUpper(c5).AsInt16(),
                Vector128.WidenUpper(c6).AsInt16(), Vector128.WidenUpper(c7).AsInt16(), kind, edgeLimit, interiorLimit, hevThreshold,
                out hi1, out hi2, out hi3, out hi4, out hi5, out hi6);
        }
        if (!changed) return;
        c1 = Vector128.Narrow(lo1.AsUInt16(), hi1.AsUInt16());
        c2 = Vector128.Narrow(lo2.AsUInt16(), hi2.AsUInt16());
        c3 = Vector128.Narrow(lo3.AsUInt16(), hi3.AsUInt16());
        c4 = Vector128.Narrow(lo4.AsUInt16(), hi4.AsUInt16());
        c5 = Vector128.Narrow(lo5.AsUInt16(), hi5.AsUInt16());
        c6 = Vector128.Narrow(lo6.AsUInt16(), hi6.AsUInt16());

        // Columns → rows, the same network backwards.
        Vector128<byte> f01l = Sse2.UnpackLow(c0, c1), f01h = Sse2.UnpackHigh(c0, c1);
        Vector128<byte> f23l = Sse2.UnpackLow(c2, c3), f23h = Sse2.UnpackHigh(c2, c3);
        Vector128<byte> f45l = Sse2.UnpackLow(c4, c5), f45h = Sse2.UnpackHigh(c4, c5);
        Vector128<byte> f67l = Sse2.UnpackLow(c6, c7), f67h = Sse2.UnpackHigh(c6, c7);
        StoreRows(first, pitch, 0, count, Sse2.UnpackLow(f01l.AsUInt16(), f23l.AsUInt16()), Sse2.UnpackLow(f45l.AsUInt16(), f67l.AsUInt16()));
        StoreRows(first, pitch, 4, count, Sse2.UnpackHigh(f01l.AsUInt16(), f23l.AsUInt16()), Sse2.UnpackHigh(f45l.AsUInt16(), f67l.AsUInt16()));
        StoreRows(first, pitch, 8, count, Sse2.UnpackLow(f01h.AsUInt16(), f23h.AsUInt16()), Sse2.UnpackLow(f45h.AsUInt16(), f67h.AsUInt16()));
        StoreRows(first, pitch, 12, count, Sse2.UnpackHigh(f01h.AsUInt16(), f23h.AsUInt16()), Sse2.UnpackHigh(f45h.AsUInt16(), f67h.AsUInt16()));
    }

    /// <summary>Stores rows <paramref name="row"/>..+3: columns 0–3 of each are in <paramref name="left"/>, 4–7 in <paramref name="right"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRows(byte* first, int pitch, int row, int count, Vector128<ushort> left, Vector128<ushort> right)
    {
        if (row >= count) return;
        Vector128<ulong> r01 = Sse2.UnpackLow(left.AsUInt32(), right.AsUInt32()).AsUInt64();
        Vector128<ulong> r23 = Sse2.UnpackHigh(left.AsUInt32(), right.AsUInt32()).AsUInt64();
        *(ulong*)(first + row * pitch) = r01.ToScalar();
        *(ulong*)(first + (row + 1) * pitch) = r01.GetElement(1);
        *(ulong*)(first + (row + 2) * pitch) = r23.ToScalar();
        *(ulong*)(first + (row + 3) * pitch) = r23.GetElement(1);
    }

    /// <summary>Filters 8 segments given as columns p3..q3; outputs p2..q2 and whether anything changed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FilterHalf(Vector128<short> p3, Vector128<short> p2, Vector128<short> p1, Vector128<short> p0,
        Vector128<short> q0, Vector128<short> q1, Vector128<short> q2, Vector128<short> q3, int kind, int edgeLimit, int interiorLimit, int hevThreshold,
        out Vector128<short> p2Out, out Vector128<short> p1Out, out Vector128<short> p0Out, out Vector128<short> q0Out, out Vector128<short> q1Out, out Vector128<short> q2Out)
    {
        bool changed = kind == 0
            ? SimpleCore(p1, ref p0, ref q0, q1, edgeLimit)
            : NormalCore(p3, ref p2, ref p1, ref p0, ref q0, ref q1, ref q2, q3, edgeLimit, interiorLimit, hevThreshold, kind == 1);
        (p2Out, p1Out, p0Out, q0Out, q1Out, q2Out) = (p2, p1, p0, q0, q1, q2);
        return changed;
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
        if (!SimpleCore(p1, ref p0, ref q0, q1, edgeLimit)) return;
        Store8(q0Row, q0);
        Store8(q0Row - step, p0);
    }

    private static void NormalLanes(byte* q0Row, int step, int edgeLimit, int interiorLimit, int hevThreshold, bool macroblock)
    {
        Vector128<short> p3 = Load8(q0Row - 4 * step), p2 = Load8(q0Row - 3 * step), p1 = Load8(q0Row - 2 * step), p0 = Load8(q0Row - step);
        Vector128<short> q0 = Load8(q0Row), q1 = Load8(q0Row + step), q2 = Load8(q0Row + 2 * step), q3 = Load8(q0Row + 3 * step);
        if (!NormalCore(p3, ref p2, ref p1, ref p0, ref q0, ref q1, ref q2, q3, edgeLimit, interiorLimit, hevThreshold, macroblock)) return;
        Store8(q0Row - 2 * step, p1);
        Store8(q0Row - step, p0);
        Store8(q0Row, q0);
        Store8(q0Row + step, q1);
        if (!macroblock) return;
        Store8(q0Row - 3 * step, p2);
        Store8(q0Row + 2 * step, q2);
    }

    /// <summary>The simple filter on 8 segments held in registers; false when no segment changes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SimpleCore(Vector128<short> p1, ref Vector128<short> p0, ref Vector128<short> q0, Vector128<short> q1, int edgeLimit)
    {
        Vector128<short> mask = EdgeMask(p1, p0, q0, q1, edgeLimit);
        if (mask == Vector128<short>.Zero) return false;
        Vector128<short> a = Clamp127(Clamp127(p1 - q1) + (q0 - p0) * 3);
        Vector128<short> b = Vector128.ShiftRightArithmetic(Clamp127(a + Vector128.Create((short)3)), 3);
        a = Vector128.ShiftRightArithmetic(Clamp127(a + Vector128.Create((short)4)), 3);
        q0 = Vector128.ConditionalSelect(mask, Clamp255(q0 - a), q0);
        p0 = Vector128.ConditionalSelect(mask, Clamp255(p0 + b), p0);
        return true;
    }

    /// <summary>The normal filter on 8 segments held in registers; false when no segment changes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool NormalCore(Vector128<short> p3, ref Vector128<short> p2, ref Vector128<short> p1, ref Vector128<short> p0,
        ref Vector128<short> q0, ref Vector128<short> q1, ref Vector128<short> q2, Vector128<short> q3,
        int edgeLimit, int interiorLimit, int hevThreshold, bool macroblock)
    {
        Vector128<short> interior = Vector128.Create((short)interiorLimit);
        Vector128<short> worst = Vector128.Max(
            Vector128.Max(Vector128.Max(Vector128.Abs(p3 - p2), Vector128.Abs(p2 - p1)), Vector128.Abs(p1 - p0)),
            Vector128.Max(Vector128.Max(Vector128.Abs(q3 - q2), Vector128.Abs(q2 - q1)), Vector128.Abs(q1 - q0)));
        Vector128<short> mask = EdgeMask(p1, p0, q0, q1, edgeLimit) & Vector128.LessThanOrEqual(worst, interior);
        if (mask == Vector128<short>.Zero) return false;
        Vector128<short> threshold = Vector128.Create((short)hevThreshold);
        Vector128<short> hev = Vector128.GreaterThan(Vector128.Abs(p1 - p0), threshold) | Vector128.GreaterThan(Vector128.Abs(q1 - q0), threshold);
        Vector128<short> three = Vector128.Create((short)3), four = Vector128.Create((short)4);
        Vector128<short> outer = Clamp127(p1 - q1);
        Vector128<short> smooth = mask & ~hev;

        if (macroblock)
        {
            // High edge variance: the common adjustment with outer taps, on p0 and q0 only.
            Vector128<short> a = Clamp127(outer + (q0 - p0) * 3);
            Vector128<short> b = Vector128.ShiftRightArithmetic(Clamp127(a + three), 3);
            Vector128<short> aq = Vector128.ShiftRightArithmetic(Clamp127(a + four), 3);
            Vector128<short> q0Hev = Clamp255(q0 - aq), p0Hev = Clamp255(p0 + b);
            // Otherwise 27/18/9 × w / 128 on three pixels each side (w is the same clamped sum as a).
            Vector128<short> round = Vector128.Create((short)63);
            Vector128<short> a0 = Vector128.ShiftRightArithmetic(a * 27 + round, 7);
            Vector128<short> a1 = Vector128.ShiftRightArithmetic(a * 18 + round, 7);
            Vector128<short> a2 = Vector128.ShiftRightArithmetic(a * 9 + round, 7);
            Vector128<short> sharp = mask & hev;
            p0 = Vector128.ConditionalSelect(sharp, p0Hev, Vector128.ConditionalSelect(smooth, Clamp255(p0 + a0), p0));
            q0 = Vector128.ConditionalSelect(sharp, q0Hev, Vector128.ConditionalSelect(smooth, Clamp255(q0 - a0), q0));
            p1 = Vector128.ConditionalSelect(smooth, Clamp255(p1 + a1), p1);
            q1 = Vector128.ConditionalSelect(smooth, Clamp255(q1 - a1), q1);
            p2 = Vector128.ConditionalSelect(smooth, Clamp255(p2 + a2), p2);
            q2 = Vector128.ConditionalSelect(smooth, Clamp255(q2 - a2), q2);
        }
        else
        {
            Vector128<short> a = Clamp127((outer & hev) + (q0 - p0) * 3);
            Vector128<short> b = Vector128.ShiftRightArithmetic(Clamp127(a + three), 3);
            a = Vector128.ShiftRightArithmetic(Clamp127(a + four), 3);
            Vector128<short> half = Vector128.ShiftRightArithmetic(a + Vector128<short>.One, 1);
            q0 = Vector128.ConditionalSelect(mask, Clamp255(q0 - a), q0);
            p0 = Vector128.ConditionalSelect(mask, Clamp255(p0 + b), p0);
            p1 = Vector128.ConditionalSelect(smooth, Clamp255(p1 + half), p1);
            q1 = Vector128.ConditionalSelect(smooth, Clamp255(q1 - half), q1);
        }
        return true;
    }
}
