using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pipeline.Tensors.Kernels;

/// <summary>Masks for the 16-float AVX-512 vectors that straddle the ends of a row.</summary>
internal static class LaneMasks
{
    /// <summary>
    /// All-ones in lane l when column <paramref name="first"/> + l lies in [0, <paramref name="length"/>), else zero:
    /// which lanes of a vector starting at column <paramref name="first"/> (negative in a left padding) are inside a row
    /// of <paramref name="length"/> columns. One unsigned compare covers both ends.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> InRow(int first, int length)
        => Vector512.LessThan((Vector512<int>.Indices + Vector512.Create(first)).AsUInt32(), Vector512.Create((uint)length)).AsSingle();
}
