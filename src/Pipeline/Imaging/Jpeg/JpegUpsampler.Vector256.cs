using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Imaging.Jpeg;

internal static unsafe partial class JpegUpsampler
{
    /// <summary>
    /// Interior columns 16 at a time, from column 1 while column i+16 still exists (so no edge clamping is needed);
    /// returns the first column left for the scalar code.
    /// </summary>
    public static int FancyH2V1Vector256(byte* input, int width, byte* output)
    {
        Vector256<short> one = Vector256.Create((short)1), two = Vector256.Create((short)2);
        int i = 1;
        for (; i + 16 < width; i += 16)
        {
            Vector256<short> here = Widen(input + i);
            Vector256<short> three = here + here + here;
            Vector256<short> even = Avx2.ShiftRightLogical(three + Widen(input + i - 1) + one, 2);
            Vector256<short> odd = Avx2.ShiftRightLogical(three + Widen(input + i + 1) + two, 2);
            StorePairs(even, odd, output + 2 * i);
        }
        return i;
    }

    public static int FancyH1V2Vector256(byte* near, byte* far, int width, bool upper, byte* output)
    {
        Vector256<short> bias = Vector256.Create((short)(upper ? 1 : 2));
        int i = 0;
        for (; i + 16 <= width; i += 16)
        {
            Vector256<short> n = Widen(near + i);
            Vector256<short> sum = Avx2.ShiftRightLogical(n + n + n + Widen(far + i) + bias, 2);
            Vector256<byte> packed = Avx2.PackUnsignedSaturate(sum, sum);
            Sse2.Store(output + i, Avx2.Permute4x64(packed.AsInt64(), 0b00_00_10_00).AsByte().GetLower());
        }
        return i;
    }

    public static int FancyH2V2Vector256(byte* near, byte* far, int width, byte* output)
    {
        Vector256<short> eight = Vector256.Create((short)8), seven = Vector256.Create((short)7);
        int i = 1;
        for (; i + 16 < width; i += 16)
        {
            Vector256<short> here = ColumnSum(near + i, far + i);
            Vector256<short> three = here + here + here;
            Vector256<short> even = Avx2.ShiftRightLogical(three + ColumnSum(near + i - 1, far + i - 1) + eight, 4);
            Vector256<short> odd = Avx2.ShiftRightLogical(three + ColumnSum(near + i + 1, far + i + 1) + seven, 4);
            StorePairs(even, odd, output + 2 * i);
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Widen(byte* p) => Avx2.ConvertToVector256Int16(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> ColumnSum(byte* near, byte* far)
    {
        Vector256<short> n = Widen(near);
        return n + n + n + Widen(far);
    }

    /// <summary>Stores even[i], odd[i] as bytes 2i, 2i+1 (both hold values 0–255, so a shift and an or interleave them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePairs(Vector256<short> even, Vector256<short> odd, byte* destination)
        => Avx.Store((short*)destination, even | Avx2.ShiftLeftLogical(odd, 8));
}
