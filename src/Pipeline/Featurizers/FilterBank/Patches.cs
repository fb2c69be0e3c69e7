namespace Pipeline.Featurizers.FilterBank;

/// <summary>
/// Square RGB patches cut from an S × S Rgb24 render and their brightness/contrast normalization (Coates and Ng,
/// 2011, §3.1): each patch loses its own mean and is divided by <c>sqrt(variance + ε)</c> (pixel units 0–255, ε = 10),
/// so that filters see local structure and colour contrast rather than exposure. A patch is stored as
/// <see cref="Stride"/> floats: rows of the patch, each row's pixels left to right, R, G, B per pixel, then zero
/// padding up to a multiple of 16 (whole 512-bit vectors in the matrix products).
/// </summary>
internal readonly struct Patches
{
    public const float ContrastEpsilon = 10f;

    public Patches(int patchSize)
    {
        Size = patchSize;
        Length = patchSize * patchSize * 3;
        Stride = (Length + 15) / 16 * 16;
    }

    /// <summary>The side of a patch in pixels.</summary>
    public int Size { get; }

    /// <summary>The values of a patch: side² × 3.</summary>
    public int Length { get; }

    /// <summary>The floats a stored patch takes (its length, padded).</summary>
    public int Stride { get; }

    /// <summary>Copies the patch whose top-left pixel is (x, y) of the <paramref name="side"/>-wide render into <paramref name="destination"/> and normalizes it.</summary>
    public void Extract(ReadOnlySpan<byte> render, int side, int x, int y, Span<float> destination)
    {
        int rowBytes = Size * 3;
        int i = 0;
        float sum = 0;
        for (int dy = 0; dy < Size; dy++)
        {
            ReadOnlySpan<byte> row = render.Slice(((y + dy) * side + x) * 3, rowBytes);
            for (int k = 0; k < rowBytes; k++)
            {
                float v = row[k];
                destination[i++] = v;
                sum += v;
            }
        }
        float mean = sum / Length;
        float squares = 0;
        for (int k = 0; k < Length; k++)
        {
            float d = destination[k] - mean;
            destination[k] = d;
            squares += d * d;
        }
        float scale = 1f / MathF.Sqrt(squares / Length + ContrastEpsilon);
        for (int k = 0; k < Length; k++) destination[k] *= scale;
        destination[Length..Stride].Clear();
    }
}
