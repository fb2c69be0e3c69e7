using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// The fancy upsampling and YUV → RGB conversion for 8 chroma pairs (16 output pixels per row) at a time: chroma
/// mixes in 16-bit lanes; the conversion with SSE2's unsigned multiply-high in 16-bit lanes ((c · x) >> 8 is the high
/// half of (x &lt;&lt; 8) · c), or portably in 32-bit lanes (19077·255 does not fit 16 bits); then a byte shuffle that
/// interleaves odd and even pixels and R, G, B into 48 output bytes.
/// </summary>
internal static unsafe partial class Vp8YuvToRgb
{
    /// <summary>The code that converts the middle of each row.</summary>
    internal enum Kernel
    {
        /// <summary>One pixel at a time: the reference.</summary>
        Scalar,

        /// <summary>Portable Vector128, the conversion in 32-bit lanes.</summary>
        Vector128,

        /// <summary>Vector128 with SSE2's 16-bit multiply-high for the conversion.</summary>
        Sse2,
    }

    /// <summary>True when a vector kernel runs (128-bit vectors are hardware accelerated).</summary>
    public static bool UseVectors { get; } = System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated;

    /// <summary>The fastest kernel this machine runs.</summary>
    internal static Kernel BestKernel { get; } =
        System.Runtime.Intrinsics.X86.Sse2.IsSupported && UseVectors ? Kernel.Sse2 : UseVectors ? Kernel.Vector128 : Kernel.Scalar;

    // For output vector k (bytes 16k..16k+15 of 48) and channel c: the byte of the packed [8 odd pixels, 8 even pixels]
    // channel vector that lands there, or 0xFF (shuffled in as 0) where another channel's byte goes.
    private static readonly Vector128<byte>[] InterleaveIndices = BuildInterleaveIndices();

    private static Vector128<byte>[] BuildInterleaveIndices()
    {
        var result = new Vector128<byte>[9];
        Span<byte> bytes = stackalloc byte[16];
        for (int k = 0; k < 3; k++)
        {
            for (int c = 0; c < 3; c++)
            {
                for (int i = 0; i < 16; i++)
                {
                    int b = 16 * k + i, pixel = b / 3;
                    bytes[i] = b % 3 == c ? (byte)((pixel & 1) * 8 + (pixel >> 1)) : (byte)0xFF;
                }
                result[3 * k + c] = Vector128.Create((ReadOnlySpan<byte>)bytes);
            }
        }
        return result;
    }

    /// <summary>
    /// Converts pixels 2x − 1 and 2x of the row pair for x = 1, 2, … in runs of 8 while the run stays inside the row;
    /// returns the first x left for the scalar loop.
    /// </summary>
    private static int UpsampleRunVector128(byte* topY, byte* bottomY, byte* topU, byte* topV, byte* curU, byte* curV,
        byte* topRgb, byte* bottomRgb, int lastPair, bool sse2)
    {
        int x = 1;
        for (; x + 7 <= lastPair; x += 8)
        {
            Vector128<short> tlU = Load8(topU + x - 1), tU = Load8(topU + x), lU = Load8(curU + x - 1), cU = Load8(curU + x);
            Vector128<short> tlV = Load8(topV + x - 1), tV = Load8(topV + x), lV = Load8(curV + x - 1), cV = Load8(curV + x);
            Vector128<short> avgU = tlU + tU + lU + cU + Vector128.Create((short)8), avgV = tlV + tV + lV + cV + Vector128.Create((short)8);
            Vector128<short> d12U = (avgU + ((tU + lU) << 1)) >> 3, d12V = (avgV + ((tV + lV) << 1)) >> 3;
            Vector128<short> d03U = (avgU + ((tlU + cU) << 1)) >> 3, d03V = (avgV + ((tlV + cV) << 1)) >> 3;
            int o = 2 * x - 1;
            StoreRun(topY + o, (d12U + tlU) >> 1, (d12V + tlV) >> 1, (d03U + tU) >> 1, (d03V + tV) >> 1, topRgb + 3 * o, sse2);
            if (bottomY != null)
                StoreRun(bottomY + o, (d03U + lU) >> 1, (d03V + lV) >> 1, (d12U + cU) >> 1, (d12V + cV) >> 1, bottomRgb + 3 * o, sse2);
        }
        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Load8(byte* a) => Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)a).AsByte()).AsInt16();

    /// <summary>16 pixels from <paramref name="y"/>: the odd ones (0, 2, …) with the first chroma pair, the even ones with the second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRun(byte* y, Vector128<short> uOdd, Vector128<short> vOdd, Vector128<short> uEven, Vector128<short> vEven, byte* rgb,
        bool sse2)
    {
        Vector128<ushort> pairs = Vector128.Load((ushort*)y);
        Vector128<short> yOdd = (pairs & Vector128.Create((ushort)0xFF)).AsInt16(), yEven = (pairs >> 8).AsInt16();
        Vector128<short> rOdd, gOdd, bOdd, rEven, gEven, bEven;
        if (sse2)
        {
            Convert8Sse2(yOdd, uOdd, vOdd, out rOdd, out gOdd, out bOdd);
            Convert8Sse2(yEven, uEven, vEven, out rEven, out gEven, out bEven);
        }
        else
        {
            Convert8(yOdd, uOdd, vOdd, out rOdd, out gOdd, out bOdd);
            Convert8(yEven, uEven, vEven, out rEven, out gEven, out bEven);
        }
        Vector128<byte> r = Vector128.Narrow(rOdd.AsUInt16(), rEven.AsUInt16());
        Vector128<byte> g = Vector128.Narrow(gOdd.AsUInt16(), gEven.AsUInt16());
        Vector128<byte> b = Vector128.Narrow(bOdd.AsUInt16(), bEven.AsUInt16());
        Vector128<byte>[] idx = InterleaveIndices;
        for (int k = 0; k < 3; k++)
        {
            Vector128<byte> outBytes = Vector128.Shuffle(r, idx[3 * k]) | Vector128.Shuffle(g, idx[3 * k + 1]) | Vector128.Shuffle(b, idx[3 * k + 2]);
            outBytes.Store(rgb + 16 * k);
        }
    }

    /// <summary>libwebp's YUV → RGB on 8 pixels: (c · x) >> 8 per term, the sum >> 6, clamped to 0..255.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Convert8(Vector128<short> y, Vector128<short> u, Vector128<short> v,
        out Vector128<short> r, out Vector128<short> g, out Vector128<short> b)
    {
        (Vector128<int> yLo, Vector128<int> yHi) = Vector128.Widen(y);
        (Vector128<int> uLo, Vector128<int> uHi) = Vector128.Widen(u);
        (Vector128<int> vLo, Vector128<int> vHi) = Vector128.Widen(v);
        Vector128<int> lumaLo = (yLo * 19077) >> 8, lumaHi = (yHi * 19077) >> 8;
        r = Pack(lumaLo + ((vLo * 26149) >> 8) - Vector128.Create(14234), lumaHi + ((vHi * 26149) >> 8) - Vector128.Create(14234));
        g = Pack(lumaLo - ((uLo * 6419) >> 8) - ((vLo * 13320) >> 8) + Vector128.Create(8708),
            lumaHi - ((uHi * 6419) >> 8) - ((vHi * 13320) >> 8) + Vector128.Create(8708));
        b = Pack(lumaLo + ((uLo * 33050) >> 8) - Vector128.Create(17685), lumaHi + ((uHi * 33050) >> 8) - Vector128.Create(17685));
    }

    /// <summary>
    /// <see cref="Convert8"/> in 16-bit lanes: each (c · x) >> 8 is the high half of (x &lt;&lt; 8) · c. R and G stay within
    /// −14234..30814; B can reach 51922, so it is summed unsigned and its −17685 subtracted with saturation at 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Convert8Sse2(Vector128<short> y, Vector128<short> u, Vector128<short> v,
        out Vector128<short> r, out Vector128<short> g, out Vector128<short> b)
    {
        Vector128<ushort> y8 = y.AsUInt16() << 8, u8 = u.AsUInt16() << 8, v8 = v.AsUInt16() << 8;
        Vector128<ushort> luma = Sse2.MultiplyHigh(y8, Vector128.Create((ushort)19077));
        Vector128<short> max = Vector128.Create((short)255);
        Vector128<short> red = (luma + Sse2.MultiplyHigh(v8, Vector128.Create((ushort)26149))).AsInt16() - Vector128.Create((short)14234);
        Vector128<short> green = luma.AsInt16() - Sse2.MultiplyHigh(u8, Vector128.Create((ushort)6419)).AsInt16()
            - Sse2.MultiplyHigh(v8, Vector128.Create((ushort)13320)).AsInt16() + Vector128.Create((short)8708);
        Vector128<ushort> blue = Sse2.SubtractSaturate(luma + Sse2.MultiplyHigh(u8, Vector128.Create((ushort)33050)), Vector128.Create((ushort)17685));
        r = Vector128.Min(Vector128.Max(red >> 6, Vector128<short>.Zero), max);
        g = Vector128.Min(Vector128.Max(green >> 6, Vector128<short>.Zero), max);
        b = Vector128.Min((blue >> 6).AsInt16(), max);
    }

    /// <summary>Drops the 6 fraction bits, clamps to 0..255 and packs 2 × 4 values into 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Pack(Vector128<int> lo, Vector128<int> hi)
    {
        Vector128<int> max = Vector128.Create(255);
        lo = Vector128.Min(Vector128.Max(lo >> 6, Vector128<int>.Zero), max);
        hi = Vector128.Min(Vector128.Max(hi >> 6, Vector128<int>.Zero), max);
        return Vector128.Narrow(lo, hi);
    }
}
