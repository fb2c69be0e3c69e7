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

    /// <summary>16 pixels a step; returns how many pixels it converted (a multiple of 16).</summary>
    public static int YCbCrToRgbVector256(byte* y, byte* cb, byte* cr, byte* rgb, int count)
    {
        Vector256<int> center = Vector256.Create(128);
        Vector256<int> half = Vector256.Create(Half);
        Vector256<int> crToR = Vector256.Create(FixCrToR);
        Vector256<int> cbToB = Vector256.Create(FixCbToB);
        Vector256<int> cbToG = Vector256.Create(-FixCbToG);
        Vector256<int> crToG = Vector256.Create(-FixCrToG);
        int i = 0;
        for (; i + 16 <= count; i += 16)
        {
            Vector256<int> y0 = Avx2.ConvertToVector256Int32(y + i), y1 = Avx2.ConvertToVector256Int32(y + i + 8);
            Vector256<int> b0 = Avx2.ConvertToVector256Int32(cb + i) - center, b1 = Avx2.ConvertToVector256Int32(cb + i + 8) - center;
            Vector256<int> r0 = Avx2.ConvertToVector256Int32(cr + i) - center, r1 = Avx2.ConvertToVector256Int32(cr + i + 8) - center;

            Vector128<byte> red = PackToBytes(
                y0 + Avx2.ShiftRightArithmetic(r0 * crToR + half, ScaleBits),
                y1 + Avx2.ShiftRightArithmetic(r1 * crToR + half, ScaleBits));
            Vector128<byte> green = PackToBytes(
                y0 + Avx2.ShiftRightArithmetic(b0 * cbToG + r0 * crToG + half, ScaleBits),
                y1 + Avx2.ShiftRightArithmetic(b1 * cbToG + r1 * crToG + half, ScaleBits));
            Vector128<byte> blue = PackToBytes(
                y0 + Avx2.ShiftRightArithmetic(b0 * cbToB + half, ScaleBits),
                y1 + Avx2.ShiftRightArithmetic(b1 * cbToB + half, ScaleBits));
            StoreInterleaved(red, green, blue, rgb + 3 * i);
        }
        return i;
    }

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

    /// <summary>Saturates 16 ints to bytes, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> PackToBytes(Vector256<int> low, Vector256<int> high)
    {
        // The 256-bit pack interleaves 128-bit lanes; the permute restores order before the final pack.
        Vector256<short> s = Avx2.PackSignedSaturate(low, high);
        s = Avx2.Permute4x64(s.AsInt64(), 0b11_01_10_00).AsInt16();
        return Sse2.PackUnsignedSaturate(s.GetLower(), s.GetUpper());
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
