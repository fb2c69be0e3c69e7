using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pipeline.Imaging.Png;

/// <summary>
/// The vector reconstructions. Up has no dependency along the row, so it runs at the widest width the CPU has.
/// Sub, Average and Paeth depend on the reconstructed pixel to the left, so for 3- to 8-byte pixels they process one
/// whole pixel per step in 16-bit lanes (branch-free Paeth), loading and storing 8 bytes and writing the bytes past
/// the pixel back unchanged; this needs the rows' padding (<see cref="PngConstants.RowPadding"/>).
/// </summary>
internal static partial class PngFilters
{
    /// <summary>Up at the widest vector width available, then narrower ones, then scalar.</summary>
    public static void UpVector(Span<byte> row, ReadOnlySpan<byte> prior, int length)
    {
        if (Vector512.IsHardwareAccelerated) UpVector512(row, prior, length);
        else if (Vector256.IsHardwareAccelerated) UpVector256(row, prior, length);
        else if (Vector128.IsHardwareAccelerated) UpVector128(row, prior, length);
        else UpScalar(row, prior, 0, length);
    }

    /// <summary>Up, 64 bytes per step, then a scalar tail.</summary>
    public static void UpVector512(Span<byte> row, ReadOnlySpan<byte> prior, int length)
    {
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref byte p = ref MemoryMarshal.GetReference(prior);
        int i = 0;
        for (; i <= length - Vector512<byte>.Count; i += Vector512<byte>.Count)
            (Vector512.LoadUnsafe(ref r, (nuint)i) + Vector512.LoadUnsafe(ref p, (nuint)i)).StoreUnsafe(ref r, (nuint)i);
        UpScalar(row, prior, i, length);
    }

    /// <summary>Up, 32 bytes per step, then a scalar tail.</summary>
    public static void UpVector256(Span<byte> row, ReadOnlySpan<byte> prior, int length)
    {
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref byte p = ref MemoryMarshal.GetReference(prior);
        int i = 0;
        for (; i <= length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            (Vector256.LoadUnsafe(ref r, (nuint)i) + Vector256.LoadUnsafe(ref p, (nuint)i)).StoreUnsafe(ref r, (nuint)i);
        UpScalar(row, prior, i, length);
    }

    /// <summary>Up, 16 bytes per step, then a scalar tail.</summary>
    public static void UpVector128(Span<byte> row, ReadOnlySpan<byte> prior, int length)
    {
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref byte p = ref MemoryMarshal.GetReference(prior);
        int i = 0;
        for (; i <= length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            (Vector128.LoadUnsafe(ref r, (nuint)i) + Vector128.LoadUnsafe(ref p, (nuint)i)).StoreUnsafe(ref r, (nuint)i);
        UpScalar(row, prior, i, length);
    }

    /// <summary>Sub for 3- to 8-byte pixels, a pixel per step. Needs padded rows.</summary>
    public static void SubVector128(Span<byte> row, int length, int bpp)
    {
        CheckPerPixel(row.Length, row.Length, length, bpp);
        ref byte r = ref MemoryMarshal.GetReference(row);
        Vector128<byte> keep = PixelMask(bpp);
        Vector128<byte> a = Vector128<byte>.Zero;
        for (int i = 0; i < length; i += bpp)
        {
            Vector128<byte> x = Load8(ref r, i);
            Vector128<byte> recon = x + a;
            Store8(ref r, i, Vector128.ConditionalSelect(keep, recon, x));
            a = recon;
        }
    }

    /// <summary>Average for 3- to 8-byte pixels, a pixel per step in 16-bit lanes. Needs padded rows.</summary>
    public static void AverageVector128(Span<byte> row, ReadOnlySpan<byte> prior, int length, int bpp)
    {
        CheckPerPixel(row.Length, prior.Length, length, bpp);
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref byte p = ref MemoryMarshal.GetReference(prior);
        Vector128<byte> keep = PixelMask(bpp);
        Vector128<ushort> a = Vector128<ushort>.Zero;
        for (int i = 0; i < length; i += bpp)
        {
            Vector128<byte> x = Load8(ref r, i);
            Vector128<ushort> b = Vector128.WidenLower(Load8(ref p, i));
            Vector128<ushort> recon = (Vector128.WidenLower(x) + ((a + b) >> 1)) & Vector128.Create((ushort)0xFF);
            Store8(ref r, i, Vector128.ConditionalSelect(keep, Vector128.Narrow(recon, recon), x));
            a = recon;
        }
    }

    /// <summary>Paeth for 3- to 8-byte pixels, a pixel per step in 16-bit lanes, without branches. Needs padded rows.</summary>
    public static void PaethVector128(Span<byte> row, ReadOnlySpan<byte> prior, int length, int bpp)
    {
        CheckPerPixel(row.Length, prior.Length, length, bpp);
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref byte p = ref MemoryMarshal.GetReference(prior);
        Vector128<byte> keep = PixelMask(bpp);
        Vector128<short> a = Vector128<short>.Zero, c = Vector128<short>.Zero;
        for (int i = 0; i < length; i += bpp)
        {
            Vector128<byte> x = Load8(ref r, i);
            Vector128<short> b = Vector128.WidenLower(Load8(ref p, i)).AsInt16();
            Vector128<short> pa = Vector128.Abs(b - c);
            Vector128<short> pb = Vector128.Abs(a - c);
            Vector128<short> pc = Vector128.Abs(a + b - c - c);
            Vector128<short> pickA = Vector128.LessThanOrEqual(pa, pb) & Vector128.LessThanOrEqual(pa, pc);
            Vector128<short> predictor = Vector128.ConditionalSelect(pickA, a,
                Vector128.ConditionalSelect(Vector128.LessThanOrEqual(pb, pc), b, c));
            Vector128<short> recon = (Vector128.WidenLower(x).AsInt16() + predictor) & Vector128.Create((short)0xFF);
            Store8(ref r, i, Vector128.ConditionalSelect(keep, Vector128.Narrow(recon.AsUInt16(), recon.AsUInt16()), x));
            a = recon;
            c = b;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Load8(ref byte source, int index)
        => Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, index))).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8(ref byte destination, int index, Vector128<byte> value)
        => Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, index), value.AsUInt64().ToScalar());

    // 0xFF in the lanes of the current pixel; the lanes after it keep the raw bytes of the next pixel.
    private static Vector128<byte> PixelMask(int bpp)
        => Vector128.LessThan(Vector128<byte>.Indices, Vector128.Create((byte)bpp));

    private static void CheckPerPixel(int rowLength, int priorLength, int length, int bpp)
    {
        // A per-pixel step reads and writes 8 bytes from the pixel's start: the last pixel needs 8 − bpp bytes of padding.
        if (bpp is < 3 or > 8 || length % bpp != 0 || rowLength < length + 8 || priorLength < length + 8)
            throw new ArgumentException($"Per-pixel unfiltering needs 3- to 8-byte pixels and 8 bytes of row padding (bpp {bpp}, length {length}, row {rowLength}, prior {priorLength}).");
    }
}
