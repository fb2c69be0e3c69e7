using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// The VP8L colour cache: 2^bits recently seen ARGB colours, each stored at a multiplicative hash of itself. Every
/// decoded pixel is inserted in stream order; a cache symbol reads an entry back (entries start as zero).
/// </summary>
internal static class Vp8LColorCache
{
    private const uint HashMultiplier = 0x1E35A7BD;

    /// <summary>The slot of <paramref name="argb"/> in a cache of 2^<paramref name="bits"/> entries.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Slot(uint argb, int bits) => (int)((argb * HashMultiplier) >> (32 - bits));
}
