using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Tensors.Kernels;

/// <summary>The instruction sets the compute kernels are written for, narrowest first.</summary>
internal enum Isa
{
    /// <summary>Plain scalar code: the fallback that runs everywhere.</summary>
    Scalar,
    /// <summary>128-bit vectors (SSE/NEON), with fused multiply-add where the hardware has it.</summary>
    Vector128,
    /// <summary>AVX2 with FMA3: 256-bit vectors, 16 registers.</summary>
    Avx2,
    /// <summary>AVX-512F: 512-bit vectors, 32 registers.</summary>
    Avx512,
}

/// <summary>
/// Which <see cref="Isa"/> the kernels use. Detected once from the hardware (and the DOTNET_EnableXxx switches);
/// <see cref="Override"/> narrows it so that tests can run every code path in one process. Kernels read
/// <see cref="Current"/> when they are created (weights are packed for one tile shape), not per call.
/// </summary>
internal static class KernelIsa
{
    /// <summary>The widest instruction set this process may use.</summary>
    public static Isa Detected { get; } = Detect();

    private static readonly AsyncLocal<Isa?> OverrideValue = new();

    /// <summary>
    /// Forces a narrower instruction set for kernels created from now on in this async flow (null: <see cref="Detected"/>).
    /// Values wider than <see cref="Detected"/> are clamped to it. For tests only: being async-local, it does not leak
    /// into tests that run in parallel.
    /// </summary>
    public static Isa? Override
    {
        get => OverrideValue.Value;
        set => OverrideValue.Value = value;
    }

    /// <summary>The instruction set new kernels use.</summary>
    public static Isa Current => Override is { } forced && forced < Detected ? forced : Detected;

    /// <summary>True when <paramref name="isa"/> can run here (tests skip the ones that cannot).</summary>
    public static bool IsAvailable(Isa isa) => isa <= Detected;

    private static Isa Detect()
    {
        if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated && Fma.IsSupported) return Isa.Avx512;
        if (Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated) return Isa.Avx2;
        if (Vector128.IsHardwareAccelerated) return Isa.Vector128;
        return Isa.Scalar;
    }
}
