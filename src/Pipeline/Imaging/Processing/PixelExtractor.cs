using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Imaging.Processing;

/// <summary>
/// Turns Rgb24 pixels into a model's input: floats <c>(sample − offset) × scale</c> or raw bytes, planar (CHW) or
/// interleaved (HWC), RGB, BGR or one luma channel. The loops work on 16 bytes at a time (five pixels when interleaved,
/// sixteen when planar) and widen them at the machine's vector width; the scalar loop finishes the row. Every path
/// computes the same float expression, so the results are bit-identical across <see cref="SimdLevel"/>s.
/// </summary>
internal static unsafe class PixelExtractor
{
    /// <summary>BT.601 luma weights in 16-bit fixed point (they sum to 65536), as libjpeg and PIL's "L" conversion use.</summary>
    public const int LumaRed = 19595, LumaGreen = 38470, LumaBlue = 7471;

    /// <summary>One BT.601 luma sample: <c>(19595·R + 38470·G + 7471·B + 32768) >> 16</c>, i.e. 0.299 R + 0.587 G + 0.114 B rounded half up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Luma(byte r, byte g, byte b) => (byte)((LumaRed * r + LumaGreen * g + LumaBlue * b + 32768) >> 16);

    /// <summary>The number of channels <paramref name="order"/> produces: 3, or 1 for <see cref="ChannelOrder.Gray"/>.</summary>
    public static int Channels(ChannelOrder order) => order == ChannelOrder.Gray ? 1 : 3;

    /// <summary>Writes <paramref name="pixelCount"/> Rgb24 pixels as normalized floats into <paramref name="destination"/> (exactly pixelCount × channels).</summary>
    public static void ToSingle(ReadOnlySpan<byte> rgb, int pixelCount, TensorLayout layout, ChannelOrder order, PixelNormalization normalization,
        Span<float> destination, SimdLevel level = SimdLevel.Vector512)
    {
        Check(rgb.Length, pixelCount, destination.Length, order);
        level = SimdSupport.Clamp(level);
        // Per output channel: the source channel it reads and its constants (the constants follow the color).
        Span<int> source = stackalloc int[3];
        Span<float> offset = stackalloc float[3], scale = stackalloc float[3];
        for (int c = 0; c < 3; c++)
        {
            source[c] = order == ChannelOrder.Bgr ? 2 - c : c;
            offset[c] = normalization.Offset[source[c]];
            scale[c] = normalization.Scale[source[c]];
        }
        fixed (byte* src = rgb)
        fixed (float* dst = destination)
        {
            if (order == ChannelOrder.Gray) GrayToSingle(src, pixelCount, offset[0], scale[0], dst, level);
            else if (layout == TensorLayout.Hwc) InterleavedToSingle(src, pixelCount, order == ChannelOrder.Bgr, source, offset, scale, dst, level);
            else PlanarToSingle(src, pixelCount, order == ChannelOrder.Bgr, source, offset, scale, dst, level);
        }
    }

    /// <summary>Writes <paramref name="pixelCount"/> Rgb24 pixels as bytes (0–255, unnormalized) into <paramref name="destination"/>.</summary>
    public static void ToBytes(ReadOnlySpan<byte> rgb, int pixelCount, TensorLayout layout, ChannelOrder order, Span<byte> destination, SimdLevel level = SimdLevel.Vector512)
    {
        Check(rgb.Length, pixelCount, destination.Length, order);
        level = SimdSupport.Clamp(level);
        if (order == ChannelOrder.Rgb && layout == TensorLayout.Hwc)
        {
            rgb.CopyTo(destination);
            return;
        }
        fixed (byte* src = rgb)
        fixed (byte* dst = destination)
        {
            if (order == ChannelOrder.Gray) GrayToBytes(src, pixelCount, dst, level);
            else if (layout == TensorLayout.Hwc) SwappedToBytes(src, pixelCount, dst, level);
            else PlanarToBytes(src, pixelCount, order == ChannelOrder.Bgr, dst, level);
        }
    }

    private static void Check(int sourceLength, int pixelCount, int destinationLength, ChannelOrder order)
    {
        if (sourceLength != (long)pixelCount * 3) throw new ArgumentException($"Expected {pixelCount} Rgb24 pixels ({pixelCount * 3L} bytes), got {sourceLength} bytes.");
        long needed = (long)pixelCount * Channels(order);
        if (destinationLength != needed) throw new ArgumentException($"The destination must hold exactly {needed} elements, not {destinationLength}.", "destination");
    }

    // ---- interleaved (HWC) ------------------------------------------------------------------------------------------

    /// <summary>Byte shuffles that reverse each RGB triple of a 5-pixel (15-byte) group; byte 15 stays in place.</summary>
    private static Vector128<byte> SwapRedBlue => Vector128.Create((byte)2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9, 14, 13, 12, 15);

    private static Vector128<byte> Identity => Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    private static void InterleavedToSingle(byte* src, int n, bool swap, ReadOnlySpan<int> source, ReadOnlySpan<float> offset, ReadOnlySpan<float> scale, float* dst, SimdLevel level)
    {
        int p = 0;
        if (level != SimdLevel.Scalar)
        {
            // Lane j of a 5-pixel group is channel j % 3 (lane 15, the next pixel's first channel, is rewritten by the next group).
            Span<float> laneOffset = stackalloc float[16], laneScale = stackalloc float[16];
            for (int j = 0; j < 16; j++)
            {
                laneOffset[j] = offset[j % 3];
                laneScale[j] = scale[j % 3];
            }
            var lanes = new LaneConstants(laneOffset, laneScale);
            Vector128<byte> shuffle = swap ? SwapRedBlue : Identity;
            // Each group reads 16 bytes and writes 16 floats from pixel p: both stay inside the image while p + 6 <= n.
            for (; p <= n - 6; p += 5)
            {
                Vector128<byte> bytes = Vector128.Load(src + 3 * p);
                if (swap) bytes = Shuffle(bytes, shuffle);
                StoreNormalized(bytes, dst + 3 * p, lanes, level);
            }
        }
        for (; p < n; p++)
        {
            for (int c = 0; c < 3; c++) dst[3 * p + c] = (src[3 * p + source[c]] - offset[c]) * scale[c];
        }
    }

    private static void SwappedToBytes(byte* src, int n, byte* dst, SimdLevel level)
    {
        int p = 0;
        if (level != SimdLevel.Scalar)
        {
            Vector128<byte> shuffle = SwapRedBlue;
            for (; p <= n - 6; p += 5) Shuffle(Vector128.Load(src + 3 * p), shuffle).Store(dst + 3 * p);
        }
        for (; p < n; p++)
        {
            dst[3 * p] = src[3 * p + 2];
            dst[3 * p + 1] = src[3 * p + 1];
            dst[3 * p + 2] = src[3 * p];
        }
    }

    // ---- planar (CHW) -----------------------------------------------------------------------------------------------

    /// <summary>Splits 16 RGB pixels (48 bytes) into their 16 red, green and blue bytes.</summary>
    private readonly struct Deinterleave
    {
        private readonly Vector128<byte> _r0, _r1, _r2, _g0, _g1, _g2, _b0, _b1, _b2;

        public Deinterleave()
        {
            _r0 = Mask(0, 0); _r1 = Mask(0, 1); _r2 = Mask(0, 2);
            _g0 = Mask(1, 0); _g1 = Mask(1, 1); _g2 = Mask(1, 2);
            _b0 = Mask(2, 0); _b1 = Mask(2, 1); _b2 = Mask(2, 2);
        }

        /// <summary>Lane j takes byte 3j + channel of the 48, when that byte lies in 16-byte block <paramref name="block"/>; else zero.</summary>
        private static Vector128<byte> Mask(int channel, int block)
        {
            Span<byte> mask = stackalloc byte[16];
            for (int j = 0; j < 16; j++)
            {
                int at = 3 * j + channel;
                mask[j] = at / 16 == block ? (byte)(at % 16) : (byte)0x80;
            }
            return Vector128.Create((ReadOnlySpan<byte>)mask);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Split(byte* p, out Vector128<byte> r, out Vector128<byte> g, out Vector128<byte> b)
        {
            Vector128<byte> a0 = Vector128.Load(p), a1 = Vector128.Load(p + 16), a2 = Vector128.Load(p + 32);
            r = Shuffle(a0, _r0) | Shuffle(a1, _r1) | Shuffle(a2, _r2);
            g = Shuffle(a0, _g0) | Shuffle(a1, _g1) | Shuffle(a2, _g2);
            b = Shuffle(a0, _b0) | Shuffle(a1, _b1) | Shuffle(a2, _b2);
        }
    }

    private static void PlanarToSingle(byte* src, int n, bool swap, ReadOnlySpan<int> source, ReadOnlySpan<float> offset, ReadOnlySpan<float> scale, float* dst, SimdLevel level)
    {
        float* plane0 = dst, plane1 = dst + n, plane2 = dst + 2 * n;
        int p = 0;
        if (level != SimdLevel.Scalar)
        {
            var split = new Deinterleave();
            LaneConstants k0 = LaneConstants.Broadcast(offset[0], scale[0]), k1 = LaneConstants.Broadcast(offset[1], scale[1]), k2 = LaneConstants.Broadcast(offset[2], scale[2]);
            for (; p <= n - 16; p += 16)
            {
                split.Split(src + 3 * p, out Vector128<byte> r, out Vector128<byte> g, out Vector128<byte> b);
                StoreNormalized(swap ? b : r, plane0 + p, k0, level);
                StoreNormalized(g, plane1 + p, k1, level);
                StoreNormalized(swap ? r : b, plane2 + p, k2, level);
            }
        }
        for (; p < n; p++)
        {
            plane0[p] = (src[3 * p + source[0]] - offset[0]) * scale[0];
            plane1[p] = (src[3 * p + source[1]] - offset[1]) * scale[1];
            plane2[p] = (src[3 * p + source[2]] - offset[2]) * scale[2];
        }
    }

    private static void PlanarToBytes(byte* src, int n, bool swap, byte* dst, SimdLevel level)
    {
        byte* plane0 = dst, plane1 = dst + n, plane2 = dst + 2 * n;
        int p = 0;
        if (level != SimdLevel.Scalar)
        {
            var split = new Deinterleave();
            for (; p <= n - 16; p += 16)
            {
                split.Split(src + 3 * p, out Vector128<byte> r, out Vector128<byte> g, out Vector128<byte> b);
                (swap ? b : r).Store(plane0 + p);
                g.Store(plane1 + p);
                (swap ? r : b).Store(plane2 + p);
            }
        }
        int first = swap ? 2 : 0, last = swap ? 0 : 2;
        for (; p < n; p++)
        {
            plane0[p] = src[3 * p + first];
            plane1[p] = src[3 * p + 1];
            plane2[p] = src[3 * p + last];
        }
    }

    // ---- luma (one channel) -----------------------------------------------------------------------------------------

    /// <summary>The luma of 16 pixels, computed in 32-bit integers exactly as <see cref="Luma"/> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Luma16(in Deinterleave split, byte* p)
    {
        split.Split(p, out Vector128<byte> r, out Vector128<byte> g, out Vector128<byte> b);
        Vector128<ushort> rl = Vector128.WidenLower(r), rh = Vector128.WidenUpper(r);
        Vector128<ushort> gl = Vector128.WidenLower(g), gh = Vector128.WidenUpper(g);
        Vector128<ushort> bl = Vector128.WidenLower(b), bh = Vector128.WidenUpper(b);
        Vector128<uint> y0 = Luma4(Vector128.WidenLower(rl), Vector128.WidenLower(gl), Vector128.WidenLower(bl));
        Vector128<uint> y1 = Luma4(Vector128.WidenUpper(rl), Vector128.WidenUpper(gl), Vector128.WidenUpper(bl));
        Vector128<uint> y2 = Luma4(Vector128.WidenLower(rh), Vector128.WidenLower(gh), Vector128.WidenLower(bh));
        Vector128<uint> y3 = Luma4(Vector128.WidenUpper(rh), Vector128.WidenUpper(gh), Vector128.WidenUpper(bh));
        return Vector128.Narrow(Vector128.Narrow(y0, y1), Vector128.Narrow(y2, y3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Luma4(Vector128<uint> r, Vector128<uint> g, Vector128<uint> b)
        => (r * (uint)LumaRed + g * (uint)LumaGreen + b * (uint)LumaBlue + Vector128.Create(32768u)) >>> 16;

    private static void GrayToSingle(byte* src, int n, float offset, float scale, float* dst, SimdLevel level)
    {
        int p = 0;
        if (level != SimdLevel.Scalar)
        {
            var split = new Deinterleave();
            LaneConstants k = LaneConstants.Broadcast(offset, scale);
            for (; p <= n - 16; p += 16) StoreNormalized(Luma16(split, src + 3 * p), dst + p, k, level);
        }
        for (; p < n; p++) dst[p] = (Luma(src[3 * p], src[3 * p + 1], src[3 * p + 2]) - offset) * scale;
    }

    private static void GrayToBytes(byte* src, int n, byte* dst, SimdLevel level)
    {
        int p = 0;
        if (level != SimdLevel.Scalar)
        {
            var split = new Deinterleave();
            for (; p <= n - 16; p += 16) Luma16(split, src + 3 * p).Store(dst + p);
        }
        for (; p < n; p++) dst[p] = Luma(src[3 * p], src[3 * p + 1], src[3 * p + 2]);
    }

    // ---- widening and normalizing 16 bytes --------------------------------------------------------------------------

    /// <summary>The offset and scale of each of 16 lanes, split once into the shapes each vector width loads.</summary>
    private readonly struct LaneConstants
    {
        public readonly Vector512<float> Offset, Scale;

        public LaneConstants(ReadOnlySpan<float> offset, ReadOnlySpan<float> scale)
        {
            Offset = Vector512.Create(offset);
            Scale = Vector512.Create(scale);
        }

        public static LaneConstants Broadcast(float offset, float scale)
        {
            Span<float> o = stackalloc float[16], s = stackalloc float[16];
            o.Fill(offset);
            s.Fill(scale);
            return new LaneConstants(o, s);
        }
    }

    /// <summary>Writes 16 floats <c>(byte − offset) × scale</c>, lane by lane, at the requested width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreNormalized(Vector128<byte> bytes, float* dst, in LaneConstants k, SimdLevel level)
    {
        if (level == SimdLevel.Vector512)
        {
            Vector512<float> x = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(bytes));
            ((x - k.Offset) * k.Scale).Store(dst);
        }
        else if (level == SimdLevel.Vector256)
        {
            Vector256<float> lo = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(bytes));
            Vector256<float> hi = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(bytes, 8)));
            ((lo - k.Offset.GetLower()) * k.Scale.GetLower()).Store(dst);
            ((hi - k.Offset.GetUpper()) * k.Scale.GetUpper()).Store(dst + 8);
        }
        else
        {
            Vector128<ushort> low = Vector128.WidenLower(bytes), high = Vector128.WidenUpper(bytes);
            Vector256<float> o0 = k.Offset.GetLower(), o1 = k.Offset.GetUpper(), s0 = k.Scale.GetLower(), s1 = k.Scale.GetUpper();
            ((Vector128.ConvertToSingle(Vector128.WidenLower(low).AsInt32()) - o0.GetLower()) * s0.GetLower()).Store(dst);
            ((Vector128.ConvertToSingle(Vector128.WidenUpper(low).AsInt32()) - o0.GetUpper()) * s0.GetUpper()).Store(dst + 4);
            ((Vector128.ConvertToSingle(Vector128.WidenLower(high).AsInt32()) - o1.GetLower()) * s1.GetLower()).Store(dst + 8);
            ((Vector128.ConvertToSingle(Vector128.WidenUpper(high).AsInt32()) - o1.GetUpper()) * s1.GetUpper()).Store(dst + 12);
        }
    }

    /// <summary>A byte shuffle where an index with the high bit set yields zero (pshufb, tbl).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Shuffle(Vector128<byte> value, Vector128<byte> indices)
        => Ssse3.IsSupported ? Ssse3.Shuffle(value, indices) : Vector128.Shuffle(value, indices);
}
