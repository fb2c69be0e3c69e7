using Pipeline.Featurizers.Pooling;
using Pipeline.Training.Numerics;

namespace Pipeline.Tests.Featurizers.Pooling;

/// <summary>Every pooling against a naive double-precision reference, in both layouts, at every vector width and odd sizes.</summary>
public sealed class SpatialPoolingTests
{
    private static readonly (int C, int H, int W)[] Shapes =
    [
        (1, 1, 1), (3, 1, 1), (1, 7, 7), (17, 7, 7), (5, 3, 5), (33, 2, 9), (64, 13, 13), (20, 1, 31), (16, 31, 1), (40, 4, 4), (7, 9, 2),
    ];

    public static TheoryData<string> Specs => ["gap", "gmp", "concat", "gem", "gem:1", "gem:2.5", "gem:8", "gem:0.5", "spp", "spp:avg", "spp:1,2,4,8", "spp:3,5:avg", "spp:16"];

    [Theory]
    [MemberData(nameof(Specs))]
    public void Matches_the_naive_reference(string text)
    {
        PoolingSpec spec = PoolingSpec.Parse(text);
        var random = new Random(1);
        foreach ((int c, int h, int w) in Shapes)
        {
            float[] chw = RandomMap(random, c * h * w, allowNegative: true);
            float[] hwc = ToChannelsLast(chw, c, h, w);
            double[] expected = Naive(spec, chw, c, h, w);
            foreach (VectorWidth width in VectorWidths.Supported())
            {
                foreach ((float[] data, FeatureLayout layout) in new[] { (chw, FeatureLayout.ChannelsFirst), (hwc, FeatureLayout.ChannelsLast) })
                {
                    var actual = new float[spec.Dimension(c)];
                    SpatialPooling.Pool(spec, new FeatureMap(data, c, h, w, layout), actual, width);
                    for (int i = 0; i < actual.Length; i++)
                    {
                        double tolerance = 2e-6 * Math.Max(1, Math.Abs(expected[i])) * (spec.Method == PoolingMethod.Gem && spec.Power != MathF.Round(spec.Power) ? 4 : 1);
                        Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance,
                            $"{spec} {c}x{h}x{w} {layout} {width}: value {i} is {actual[i]}, expected {expected[i]}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Max_pooling_is_exact_and_every_width_agrees_bit_for_bit_on_integer_powers()
    {
        var random = new Random(2);
        float[] chw = RandomMap(random, 37 * 11 * 5, allowNegative: true);
        foreach (string text in new[] { "gmp", "spp:1,2,4", "gem:3" })
        {
            PoolingSpec spec = PoolingSpec.Parse(text);
            var scalar = new float[spec.Dimension(37)];
            SpatialPooling.Pool(spec, new FeatureMap(chw, 37, 11, 5, FeatureLayout.ChannelsLast), scalar, VectorWidth.Scalar);
            foreach (VectorWidth width in VectorWidths.Supported())
            {
                var vector = new float[scalar.Length];
                // Channels-last accumulates lane by lane in the same order as the scalar loop: identical bits.
                SpatialPooling.Pool(spec, new FeatureMap(chw, 37, 11, 5, FeatureLayout.ChannelsLast), vector, width);
                Assert.Equal(scalar, vector);
            }
        }
    }

    [Fact]
    public void Spp_cells_follow_floor_ceil_and_cover_the_map_even_when_levels_exceed_it()
    {
        for (int size = 1; size <= 9; size++)
        {
            for (int n = 1; n <= 12; n++)
            {
                var covered = new bool[size];
                int previousStart = 0;
                for (int i = 0; i < n; i++)
                {
                    (int start, int end) = SpatialPooling.Cell(i, n, size);
                    Assert.Equal((int)Math.Floor((double)i * size / n), start);
                    Assert.Equal((int)Math.Ceiling((double)(i + 1) * size / n), end);
                    Assert.True(end > start && start >= previousStart && end <= size);
                    for (int k = start; k < end; k++) covered[k] = true;
                    previousStart = start;
                }
                Assert.All(covered, Assert.True);
            }
        }
    }

    [Fact]
    public void Gem_survives_activations_whose_power_overflows_a_float()
    {
        float[] map = [1e6f, 2e6f, 3e6f, 4e6f];
        var result = new float[1];
        SpatialPooling.Pool(PoolingSpec.Parse("gem:16"), new FeatureMap(map, 1, 2, 2, FeatureLayout.ChannelsFirst), result);
        double expected = Math.Pow((Math.Pow(1, 16) + Math.Pow(2, 16) + Math.Pow(3, 16) + Math.Pow(4, 16)) / 4, 1.0 / 16) * 1e6;
        Assert.True(float.IsFinite(result[0]));
        Assert.Equal(expected, result[0], expected * 1e-5);
    }

    [Fact]
    public void Gem_clamps_negative_inputs_to_epsilon_and_p_1_is_the_clamped_mean()
    {
        float[] map = [-5f, 2f, 4f, -1f];
        var result = new float[1];
        SpatialPooling.Pool(PoolingSpec.Parse("gem:1"), new FeatureMap(map, 1, 2, 2, FeatureLayout.ChannelsFirst), result);
        Assert.Equal((2 + 4 + 2e-6) / 4, result[0], 1e-6);
    }

    [Fact]
    public void L2_normalization_gives_unit_length_and_leaves_zero_alone()
    {
        float[] v = [3f, 4f];
        SpatialPooling.L2Normalize(v);
        Assert.Equal([0.6f, 0.8f], v);
        float[] zero = [0f, 0f, 0f];
        SpatialPooling.L2Normalize(zero);
        Assert.Equal([0f, 0f, 0f], zero);
    }

    [Fact]
    public void Rejects_a_destination_of_the_wrong_size()
    {
        float[] map = new float[2 * 3 * 3];
        Assert.Throws<ArgumentException>(() => SpatialPooling.Pool(PoolingSpec.Parse("concat"), new FeatureMap(map, 2, 3, 3, FeatureLayout.ChannelsFirst), new float[2]));
    }

    internal static float[] RandomMap(Random random, int count, bool allowNegative)
    {
        var data = new float[count];
        for (int i = 0; i < count; i++) data[i] = (float)(allowNegative ? random.NextDouble() * 4 - 1 : random.NextDouble() * 3);
        return data;
    }

    internal static float[] ToChannelsLast(float[] chw, int c, int h, int w)
    {
        var hwc = new float[chw.Length];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) hwc[(y * w + x) * c + ch] = chw[(ch * h + y) * w + x];
        return hwc;
    }

    /// <summary>The definitions, written directly: the spec for the pooling code.</summary>
    internal static double[] Naive(PoolingSpec spec, float[] chw, int c, int h, int w)
    {
        double At(int ch, int y, int x) => chw[(ch * h + y) * w + x];
        double Mean(int ch, int y0, int y1, int x0, int x1)
        {
            double s = 0;
            for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) s += At(ch, y, x);
            return s / ((y1 - y0) * (x1 - x0));
        }
        double Max(int ch, int y0, int y1, int x0, int x1)
        {
            double m = double.NegativeInfinity;
            for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) m = Math.Max(m, At(ch, y, x));
            return m;
        }
        var result = new List<double>();
        switch (spec.Method)
        {
            case PoolingMethod.Gap: for (int ch = 0; ch < c; ch++) result.Add(Mean(ch, 0, h, 0, w)); break;
            case PoolingMethod.Gmp: for (int ch = 0; ch < c; ch++) result.Add(Max(ch, 0, h, 0, w)); break;
            case PoolingMethod.Concat:
                for (int ch = 0; ch < c; ch++) result.Add(Mean(ch, 0, h, 0, w));
                for (int ch = 0; ch < c; ch++) result.Add(Max(ch, 0, h, 0, w));
                break;
            case PoolingMethod.Gem:
                for (int ch = 0; ch < c; ch++)
                {
                    double s = 0;
                    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) s += Math.Pow(Math.Max(At(ch, y, x), 1e-6), spec.Power);
                    result.Add(Math.Pow(s / (h * w), 1.0 / spec.Power));
                }
                break;
            case PoolingMethod.Spp:
                foreach (int n in spec.Levels)
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < n; j++)
                        {
                            int y0 = (int)Math.Floor((double)i * h / n), y1 = (int)Math.Ceiling((double)(i + 1) * h / n);
                            int x0 = (int)Math.Floor((double)j * w / n), x1 = (int)Math.Ceiling((double)(j + 1) * w / n);
                            for (int ch = 0; ch < c; ch++) result.Add(spec.SppAverage ? Mean(ch, y0, y1, x0, x1) : Max(ch, y0, y1, x0, x1));
                        }
                break;
        }
        return [.. result];
    }
}
