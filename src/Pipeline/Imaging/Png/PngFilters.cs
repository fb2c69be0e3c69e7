namespace Pipeline.Imaging.Png;

/// <summary>
/// Undoes PNG filter method 0 on one scanline (spec §9.2): None, Sub, Up, Average, Paeth. <c>row</c> holds the
/// filtered bytes (without the filter-type byte) and is reconstructed in place; <c>prior</c> is the previous
/// reconstructed scanline of the same pass, all zeros for the first. The scalar methods here are the specification
/// and the fallback; PngFilters.Simd.cs holds the vector versions, tested against these at every remainder.
/// </summary>
internal static partial class PngFilters
{
    /// <summary>
    /// Reconstructs <paramref name="length"/> bytes of <paramref name="row"/>. When both spans extend at least
    /// <see cref="PngConstants.RowPadding"/> bytes past <paramref name="length"/>, the vector paths may read and
    /// rewrite (unchanged) bytes of that padding.
    /// </summary>
    public static void Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> prior, int length, int bpp)
    {
        bool padded = row.Length >= length + PngConstants.RowPadding && prior.Length >= length + PngConstants.RowPadding;
        bool perPixelVector = padded && bpp >= 3 && System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated;
        switch (filter)
        {
            case PngConstants.FilterNone:
                return;
            case PngConstants.FilterSub:
                if (perPixelVector) SubVector128(row, length, bpp);
                else SubScalar(row, length, bpp);
                return;
            case PngConstants.FilterUp:
                UpVector(row, prior, length);
                return;
            case PngConstants.FilterAverage:
                if (perPixelVector) AverageVector128(row, prior, length, bpp);
                else AverageScalar(row, prior, length, bpp);
                return;
            case PngConstants.FilterPaeth:
                if (perPixelVector) PaethVector128(row, prior, length, bpp);
                else PaethScalar(row, prior, length, bpp);
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(filter), filter, "PNG filter types are 0 to 4.");
        }
    }

    /// <summary>The reference reconstruction of any filter type, byte by byte, as the specification writes it.</summary>
    public static void UnfilterScalar(byte filter, Span<byte> row, ReadOnlySpan<byte> prior, int length, int bpp)
    {
        switch (filter)
        {
            case PngConstants.FilterNone: return;
            case PngConstants.FilterSub: SubScalar(row, length, bpp); return;
            case PngConstants.FilterUp: UpScalar(row, prior, 0, length); return;
            case PngConstants.FilterAverage: AverageScalar(row, prior, length, bpp); return;
            case PngConstants.FilterPaeth: PaethScalar(row, prior, length, bpp); return;
            default: throw new ArgumentOutOfRangeException(nameof(filter), filter, "PNG filter types are 0 to 4.");
        }
    }

    /// <summary>Sub: Recon(x) = Filt(x) + Recon(a), a being the byte one pixel to the left (0 before the row).</summary>
    public static void SubScalar(Span<byte> row, int length, int bpp)
    {
        for (int i = bpp; i < length; i++)
            row[i] = (byte)(row[i] + row[i - bpp]);
    }

    /// <summary>Up: Recon(x) = Filt(x) + Recon(b), b being the byte above; from <paramref name="start"/> on.</summary>
    public static void UpScalar(Span<byte> row, ReadOnlySpan<byte> prior, int start, int length)
    {
        for (int i = start; i < length; i++)
            row[i] = (byte)(row[i] + prior[i]);
    }

    /// <summary>Average: Recon(x) = Filt(x) + floor((Recon(a) + Recon(b)) / 2), summed without overflow.</summary>
    public static void AverageScalar(Span<byte> row, ReadOnlySpan<byte> prior, int length, int bpp)
    {
        int i = 0;
        for (; i < bpp && i < length; i++)
            row[i] = (byte)(row[i] + (prior[i] >> 1));
        for (; i < length; i++)
            row[i] = (byte)(row[i] + ((row[i - bpp] + prior[i]) >> 1));
    }

    /// <summary>Paeth: Recon(x) = Filt(x) + PaethPredictor(a, b, c), c being the byte above-left.</summary>
    public static void PaethScalar(Span<byte> row, ReadOnlySpan<byte> prior, int length, int bpp)
    {
        int i = 0;
        // With a = c = 0 the predictor always picks b.
        for (; i < bpp && i < length; i++)
            row[i] = (byte)(row[i] + prior[i]);
        for (; i < length; i++)
            row[i] = (byte)(row[i] + PaethPredictor(row[i - bpp], prior[i], prior[i - bpp]));
    }

    /// <summary>The predictor of spec §9.4: whichever of a, b, c is closest to a + b − c, ties going a, then b.</summary>
    public static int PaethPredictor(int a, int b, int c)
    {
        int pa = Math.Abs(b - c);         // |p − a| with p = a + b − c
        int pb = Math.Abs(a - c);         // |p − b|
        int pc = Math.Abs(a + b - c - c); // |p − c|
        if (pa <= pb && pa <= pc) return a;
        return pb <= pc ? b : c;
    }
}
