using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Imaging.Processing;

/// <summary>
/// The vector width a preprocessing kernel runs at. Every kernel has all four paths and gives bit-identical results on
/// each (same operations, same summation order, fused multiply-adds throughout), so tests can force each path and
/// compare it with the scalar one.
/// </summary>
internal enum SimdLevel
{
    Scalar = 0,
    Vector128 = 1,
    Vector256 = 2,
    Vector512 = 3,
}

/// <summary>The widest <see cref="SimdLevel"/> this machine runs natively, chosen once at startup.</summary>
internal static class SimdSupport
{
    /// <summary>The best level: 512 with AVX-512F, 256 with AVX2 + FMA, 128 where Vector128 is accelerated, else scalar.</summary>
    public static SimdLevel Best { get; } = Detect();

    /// <summary><paramref name="requested"/>, lowered to what the machine supports.</summary>
    public static SimdLevel Clamp(SimdLevel requested) => requested < Best ? requested : Best;

    private static SimdLevel Detect()
    {
        if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated) return SimdLevel.Vector512;
        if (Avx2.IsSupported && Fma.IsSupported) return SimdLevel.Vector256;
        if (Vector128.IsHardwareAccelerated) return SimdLevel.Vector128;
        return SimdLevel.Scalar;
    }
}
