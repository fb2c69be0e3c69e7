using Pipeline.Training.Numerics;

namespace Pipeline.Featurizers.Pooling;

/// <summary>
/// Applies a <see cref="PoolingSpec"/> to one feature map. The output order is: for the global poolings one value per
/// channel (concat: the C means, then the C maxima); for SPP, level by level, cell by cell in row-major order, one value
/// per channel inside each cell. SPP cell (i, j) of level n covers rows [⌊i·H/n⌋, ⌈(i+1)·H/n⌉) and columns
/// [⌊j·W/n⌋, ⌈(j+1)·W/n⌉): He et al.'s floor/ceil windows, written so that they never come out empty, also when n
/// exceeds the map (neighbouring cells then share rows or columns). Thread-safe; allocates nothing.
/// </summary>
internal static class SpatialPooling
{
    /// <summary>Pools <paramref name="map"/> into <paramref name="destination"/> (exactly <c>spec.Dimension(C)</c> values).</summary>
    public static void Pool(PoolingSpec spec, FeatureMap map, Span<float> destination) => Pool(spec, map, destination, VectorWidths.Best);

    /// <inheritdoc cref="Pool(PoolingSpec, FeatureMap, Span{float})"/>
    internal static void Pool(PoolingSpec spec, FeatureMap map, Span<float> destination, VectorWidth width)
    {
        int c = map.Channels;
        if (destination.Length != spec.Dimension(c))
            throw new ArgumentException($"Pooling '{spec}' of {c} channels gives {spec.Dimension(c)} values; the destination holds {destination.Length}.", nameof(destination));
        width = VectorWidths.Clamp(width);
        int h = map.Height, w = map.Width;
        switch (spec.Method)
        {
            case PoolingMethod.Gap:
                Average(map, 0, h, 0, w, destination, width);
                break;
            case PoolingMethod.Gmp:
                CellReduction.Reduce(new MaxReducer(), map, 0, h, 0, w, destination, width);
                break;
            case PoolingMethod.Concat:
                Average(map, 0, h, 0, w, destination[..c], width);
                CellReduction.Reduce(new MaxReducer(), map, 0, h, 0, w, destination[c..], width);
                break;
            case PoolingMethod.Gem:
                GeneralizedMean(map, spec.Power, destination, width);
                break;
            case PoolingMethod.Spp:
                int offset = 0;
                foreach (int n in spec.Levels)
                {
                    for (int i = 0; i < n; i++)
                    {
                        (int y0, int y1) = Cell(i, n, h);
                        for (int j = 0; j < n; j++)
                        {
                            (int x0, int x1) = Cell(j, n, w);
                            Span<float> cell = destination.Slice(offset, c);
                            if (spec.SppAverage) Average(map, y0, y1, x0, x1, cell, width);
                            else CellReduction.Reduce(new MaxReducer(), map, y0, y1, x0, x1, cell, width);
                            offset += c;
                        }
                    }
                }
                break;
            default:
                throw new ArgumentException($"Pooling method {spec.Method} is unknown.", nameof(spec));
        }
    }

    /// <summary>The half-open range of cell <paramref name="index"/> out of <paramref name="cells"/> along an axis of <paramref name="size"/>.</summary>
    internal static (int Start, int End) Cell(int index, int cells, int size)
        => ((int)((long)index * size / cells), (int)(((long)(index + 1) * size + cells - 1) / cells));

    /// <summary>Scales <paramref name="values"/> to unit Euclidean length (a zero vector stays zero). The sum of squares is in double, in index order.</summary>
    public static void L2Normalize(Span<float> values)
    {
        double sum = 0;
        foreach (float v in values) sum += (double)v * v;
        if (!(sum > 0)) return;
        float scale = (float)(1.0 / Math.Sqrt(sum));
        for (int i = 0; i < values.Length; i++) values[i] *= scale;
    }

    private static void Average(FeatureMap map, int y0, int y1, int x0, int x1, Span<float> destination, VectorWidth width)
    {
        CellReduction.Reduce(new SumReducer(), map, y0, y1, x0, x1, destination, width);
        float inverse = 1f / ((y1 - y0) * (x1 - x0));
        for (int c = 0; c < map.Channels; c++) destination[c] *= inverse;
    }

    private static void GeneralizedMean(FeatureMap map, float p, Span<float> destination, VectorWidth width)
    {
        CellReduction.Reduce(new PowerSumReducer(p), map, 0, map.Height, 0, map.Width, destination, width);
        int count = map.Height * map.Width;
        double inverseP = 1.0 / p;
        for (int c = 0; c < map.Channels; c++)
        {
            float mean = destination[c] / count;
            destination[c] = float.IsFinite(mean) ? (float)Math.Pow(mean, inverseP) : GeneralizedMeanInDouble(map, c, p);
        }
    }

    /// <summary>The same channel in double precision, for activations so large that x^p overflows a float.</summary>
    private static float GeneralizedMeanInDouble(FeatureMap map, int channel, float p)
    {
        // Scale by the channel's maximum so that even double cannot overflow: (mean (x/m)^p)^(1/p) · m.
        double max = PowerSumReducer.Epsilon;
        for (int y = 0; y < map.Height; y++)
            for (int x = 0; x < map.Width; x++) max = Math.Max(max, map[channel, y, x]);
        double sum = 0;
        for (int y = 0; y < map.Height; y++)
            for (int x = 0; x < map.Width; x++) sum += Math.Pow(Math.Max(map[channel, y, x], PowerSumReducer.Epsilon) / max, p);
        return (float)(Math.Pow(sum / (map.Height * map.Width), 1.0 / p) * max);
    }
}
