using System.Runtime.Intrinsics;

namespace Pipeline.Training.Numerics;

/// <summary>
/// The vector width a kernel call runs at. Production code passes <see cref="VectorWidths.Best"/>; tests pass every narrower
/// width explicitly (no global switch, so tests running in parallel cannot disturb each other).
/// </summary>
internal enum VectorWidth
{
    /// <summary>One float at a time.</summary>
    Scalar = 0,
    /// <summary>Vector128.</summary>
    Bits128 = 128,
    /// <summary>Vector256.</summary>
    Bits256 = 256,
    /// <summary>Vector512.</summary>
    Bits512 = 512,
}

/// <summary>Chooses the widest accelerated width once, at startup.</summary>
internal static class VectorWidths
{
    /// <summary>The widest width this CPU accelerates.</summary>
    public static readonly VectorWidth Best =
        Vector512.IsHardwareAccelerated ? VectorWidth.Bits512
        : Vector256.IsHardwareAccelerated ? VectorWidth.Bits256
        : Vector128.IsHardwareAccelerated ? VectorWidth.Bits128
        : VectorWidth.Scalar;

    /// <summary>Every width this CPU can run, widest first (tests iterate over these).</summary>
    public static IEnumerable<VectorWidth> Supported()
    {
        if (Vector512.IsHardwareAccelerated) yield return VectorWidth.Bits512;
        if (Vector256.IsHardwareAccelerated) yield return VectorWidth.Bits256;
        if (Vector128.IsHardwareAccelerated) yield return VectorWidth.Bits128;
        yield return VectorWidth.Scalar;
    }

    /// <summary><paramref name="requested"/>, lowered to what the CPU accelerates.</summary>
    public static VectorWidth Clamp(VectorWidth requested) => (VectorWidth)Math.Min((int)requested, (int)Best);
}
