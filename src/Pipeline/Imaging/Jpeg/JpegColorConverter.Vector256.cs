using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Imaging.Jpeg;

internal static unsafe partial class JpegColorConverter
{
    // pshufb masks that interleave three 16-byte planes into 48 bytes of RGB: output chunk j takes plane c's
    // byte p at position 3p + c - 16j (0x80 elsewhere gives zero).
    private static readonly Vector128<byte>[] InterleaveMasks = BuildInterleaveMasks();
    private static readonly Vector128<byte>[] GrayMasks = BuildGrayMasks();

    /// <summary>
    /// 16 pixels a step in 16-bit lanes; returns how many pixels it converted (a multiple of 16). The products that
    /// need more than 16 bits are split so the result equals the scalar formula exactly:
    /// 1.402·Cr = Cr + 0.402·Cr and 1.772·Cb = 2·Cb − 0.228·Cb, where (mulhi(2x, FIX(f)) + 1) &gt;&gt; 1 equals
    /// (FIX(f)·x + ½) &gt;&gt; 16; green uses a 32-bit multiply-add with −0.71414 = 0.28586 − 1.
    /// </summary>
    public static int YCbCrToRgbVector256(byte* y, byte* cb, byte* cr, byte* rgb, int count)
    {
        Vector256<short> center = Vector256.Create((short)128);
        Vector256<short> one = Vector256.Create((short)1);
        Vector256<short> crToR = Vector256.Create((short)(FixCrToR - 65536));        // 0.40200
        Vector256<short> cbToB = Vector256.Create((short)(FixCbToB - 2 * 65536));    // -0.22800
        // (Cb, Cr) pairs for the multiply-add: -0.34414 and +0.28586.
        Vector256<short> toGreen = Vector256.Create(((65536 - FixCrToG) << 16) | (-FixCbToG & 0xFFFF)).AsInt16();
        Vector256<int> half = Vector256.Create(Half);
        int i = 0;
        for (; i + 16 <= count; i += 16)
        {
            Vector256<short> luma = Avx2.ConvertToVector256Int16(y + i);
            Vector256<short> b = Avx2.ConvertToVector256Int16(cb + i) - center;
            Vector256<short> r = Avx2.ConvertToVector256Int16(cr + i) - center;

            Vector256<short> red = luma + r + Avx2.ShiftRightArithmetic(Avx2.MultiplyHigh(r + r, crToR) + one, 1);
            Vector256<short> blue = luma + b + b + Avx2.ShiftRightArithmetic(Avx2.MultiplyHigh(b + b, cbToB) + one, 1);
            Vector256<int> greenLow = Avx2.ShiftRightArithmetic(Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(b, r), toGreen) + half, ScaleBits);
            Vector256<int> greenHigh = Avx2.ShiftRightArithmetic(Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(b, r), toGreen) + half, ScaleBits);
            Vector256<short> green = luma - r + Avx2.PackSignedSaturate(greenLow, greenHigh); // unpack/pack per lane keep the order

            StoreInterleaved(Narrow(red), Narrow(green), Narrow(blue), rgb + 3 * i);
        }
        return i;
    }

    /// <summary>Saturates 16 shorts to bytes, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Narrow(Vector256<short> v)
        => Avx2.Permute4x64(Avx2.PackUnsignedSaturate(v, v).AsInt64(), 0b00_00_10_00).AsByte().GetLower();

    public static int GrayToRgbVector256(byte* y, byte* rgb, int count)
    {
        Vector128<byte> m0 = GrayMasks[0], m1 = GrayMasks[1], m2 = GrayMasks[2];
        int i = 0;
        for (; i + 16 <= count; i += 16)
        {
            Vector128<byte> v = Sse2.LoadVector128(y + i);
            byte* d = rgb + 3 * i;
            Sse2.Store(d, Ssse3.Shuffle(v, m0));
            Sse2.Store(d + 16, Ssse3.Shuffle(v, m1));
            Sse2.Store(d + 32, Ssse3.Shuffle(v, m2));
        }
        return i;
    }

    public static int PlanarToRgbVector256(byte* r, byte* g, byte* b, byte* rgb, int count)
    {
        int i = 0;
        for (; i + 16 <= count; i += 16)
            StoreInterleaved(Sse2.LoadVector128(r + i), Sse2.LoadVector128(g + i), Sse2.LoadVector128(b + i), rgb + 3 * i);
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreInterleaved(Vector128<byte> r, Vector128<byte> g, Vector128<byte> b, byte* destination)
    {
        Vector128<byte>[] m = InterleaveMasks;
        Sse2.Store(destination, Ssse3.Shuffle(r, m[0]) | Ssse3.Shuffle(g, m[1]) | Ssse3.Shuffle(b, m[2]));
        Sse2.Store(destination + 16, Ssse3.Shuffle(r, m[3]) | Ssse3.Shuffle(g, m[4]) | Ssse3.Shuffle(b, m[5]));
        Sse2.Store(destination + 32, Ssse3.Shuffle(r, m[6]) | Ssse3.Shuffle(g, m[7]) | Ssse3.Shuffle(b, m[8]));
    }

    private static Vector128<byte>[] BuildInterleaveMasks()
    {
        var masks = new Vector128<byte>[9];
        Span<byte> bytes = stackalloc byte[16];
        for (int chunk = 0; chunk < 3; chunk++)
        {
            for (int plane = 0; plane < 3; plane++)
            {
                for (int i = 0; i < 16; i++)
                {
                    int position = chunk * 16 + i;
                    bytes[i] = position % 3 == plane ? (byte)(position / 3) : (byte)0x80;
                }
                masks[chunk * 3 + plane] = Vector128.Create((ReadOnlySpan<byte>)bytes);
            }
        }
        return masks;
    }

    private static Vector128<byte>[] BuildGrayMasks()
    {
        var masks = new Vector128<byte>[3];
        Span<byte> bytes = stackalloc byte[16];
        for (int chunk = 0; chunk < 3; chunk++)
        {
            for (int i = 0; i < 16; i++) bytes[i] = (byte)((chunk * 16 + i) / 3);
            masks[chunk] = Vector128.Create((ReadOnlySpan<byte>)bytes);
        }
        return masks;
    }
}
