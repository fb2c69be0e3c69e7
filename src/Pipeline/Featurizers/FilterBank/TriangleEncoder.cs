using System.Buffers;
using System.Numerics.Tensors;
using Pipeline.Featurizers.Pooling;
using Pipeline.Training.Numerics;

namespace Pipeline.Featurizers.FilterBank;

/// <summary>
/// Encodes one render densely with a learned filter bank: every patch on the grid is normalized, whitened, compared
/// with every centroid (z_k = ‖W(x − m) − c_k‖), encoded as the triangle activation <c>f_k = max(0, mean(z) − z_k)</c>
/// (Coates and Ng's best encoder: sparse, with about half the features zero), and averaged over the cells of each
/// pyramid level (level n: n × n cells, each patch in exactly one). The work goes through two matrix products per
/// block of patch rows: whitening (D × D) and distances (D × K). Thread-safe; scratch comes from the array pool.
/// </summary>
internal sealed class TriangleEncoder
{
    private const int PatchesPerBlock = 256;

    private readonly FilterBankSpec _spec;
    private readonly Patches _patches;
    private readonly int _k;
    private readonly float[] _whitening;      // Dpad × Dpad: W padded with zeros
    private readonly float[] _whiteningBias;  // Dpad: −W·m, then zeros
    private readonly float[] _centroidsTimesMinus2; // K × Dpad
    private readonly float[] _centroidNorms;  // K: ‖c‖²

    public TriangleEncoder(FilterBankSpec spec, FilterBankState state)
    {
        _spec = spec;
        _patches = new Patches(spec.PatchSize);
        int d = _patches.Length, dp = _patches.Stride;
        _k = state.CentroidCount;
        _whitening = new float[dp * dp];
        _whiteningBias = new float[dp];
        for (int i = 0; i < d; i++)
        {
            state.Whitening.AsSpan(i * d, d).CopyTo(_whitening.AsSpan(i * dp, d));
            double s = 0;
            for (int j = 0; j < d; j++) s += (double)state.Whitening[i * d + j] * state.Mean[j];
            _whiteningBias[i] = (float)-s;
        }
        _centroidsTimesMinus2 = new float[_k * dp];
        _centroidNorms = new float[_k];
        for (int c = 0; c < _k; c++)
        {
            double n = 0;
            for (int j = 0; j < d; j++)
            {
                float v = state.Centroids[c * d + j];
                n += (double)v * v;
                _centroidsTimesMinus2[c * dp + j] = -2f * v;
            }
            _centroidNorms[c] = (float)n;
        }
    }

    /// <summary>Cells × K values.</summary>
    public int Dimension
    {
        get
        {
            int cells = 0;
            foreach (int n in _spec.PyramidLevels) cells += n * n;
            return cells * _k;
        }
    }

    // In index order (TensorPrimitives' reductions may split at an alignment boundary, and features must be reproducible).
    private static float SquaredNorm(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float x in v) s += (double)x * x;
        return (float)s;
    }

    /// <summary>Encodes the <c>ImageSize²</c> Rgb24 <paramref name="render"/> into <paramref name="output"/> (<see cref="Dimension"/> values).</summary>
    public void Encode(ReadOnlySpan<byte> render, Span<float> output)
    {
        int side = _spec.ImageSize, grid = _spec.GridSize, stride = _spec.Stride, k = _k, dp = _patches.Stride;
        int rowsPerBlock = Math.Max(1, PatchesPerBlock / grid);
        int blockPatches = rowsPerBlock * grid;
        float[] x = ArrayPool<float>.Shared.Rent(blockPatches * dp);
        float[] xw = ArrayPool<float>.Shared.Rent(blockPatches * dp);
        float[] distances = ArrayPool<float>.Shared.Rent(blockPatches * k);
        int[] levels = _spec.PyramidLevels;
        Span<int> cellCounts = stackalloc int[Dimension / k];
        cellCounts.Clear();
        output.Clear();
        try
        {
            for (int gy0 = 0; gy0 < grid; gy0 += rowsPerBlock)
            {
                int rows = Math.Min(rowsPerBlock, grid - gy0), n = rows * grid;
                for (int r = 0; r < rows; r++)
                    for (int gx = 0; gx < grid; gx++)
                        _patches.Extract(render, side, gx * stride, (gy0 + r) * stride, x.AsSpan((r * grid + gx) * dp, dp));
                GemmNT.Compute(null, VectorWidths.Best, n, dp, dp, x, dp, _whitening, dp, _whiteningBias, xw, dp);
                GemmNT.Compute(null, VectorWidths.Best, n, k, dp, xw, dp, _centroidsTimesMinus2, dp, _centroidNorms, distances, k);
                for (int p = 0; p < n; p++)
                {
                    Span<float> z = distances.AsSpan(p * k, k);
                    float squared = SquaredNorm(xw.AsSpan(p * dp, dp));
                    TensorPrimitives.Add(z, squared, z);
                    TensorPrimitives.Max(z, 0f, z);
                    TensorPrimitives.Sqrt(z, z);
                    float mean = CellReduction.Segment(new SumReducer(), z, VectorWidths.Best) / k;
                    TensorPrimitives.Subtract(mean, z, z);
                    TensorPrimitives.Max(z, 0f, z);
                    int gy = gy0 + p / grid, gx = p % grid, cellBase = 0;
                    foreach (int level in levels)
                    {
                        int cell = cellBase + gy * level / grid * level + gx * level / grid;
                        Span<float> acc = output.Slice(cell * k, k);
                        TensorPrimitives.Add(acc, z, acc);
                        cellCounts[cell]++;
                        cellBase += level * level;
                    }
                }
            }
            for (int cell = 0; cell < cellCounts.Length; cell++)
            {
                Span<float> acc = output.Slice(cell * k, k);
                TensorPrimitives.Multiply(acc, 1f / cellCounts[cell], acc);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(x);
            ArrayPool<float>.Shared.Return(xw);
            ArrayPool<float>.Shared.Return(distances);
        }
    }
}
