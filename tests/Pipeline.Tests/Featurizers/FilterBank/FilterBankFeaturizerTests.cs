using Pipeline.Featurizers;
using Pipeline.Featurizers.FilterBank;
using Pipeline.Imaging;

namespace Pipeline.Tests.Featurizers.FilterBank;

public sealed class FilterBankFeaturizerTests
{
    private static readonly FilterBankSpec Small = new()
    {
        ImageSize = 20, PatchSize = 4, Stride = 1, Centroids = 12, TrainingPatches = 600, Iterations = 5,
        PyramidLevels = [1, 2, 3], ColorBins = [6, 2, 2], Seed = 7,
    };

    [Fact]
    public void Training_is_deterministic_whatever_the_thread_count_and_depends_on_the_seed()
    {
        Image[] images = SyntheticImages.Make(12, seed: 1);
        using IFeaturizer one = Train(images, Small, threads: 1);
        using IFeaturizer two = Train(images, Small, threads: 2);
        using IFeaturizer three = Train(images, Small, threads: 3);
        Assert.Equal(one.State.ToArray(), two.State.ToArray());
        Assert.Equal(one.State.ToArray(), three.State.ToArray());
        Assert.Equal(one.Fingerprint, two.Fingerprint);
        using IFeaturizer other = Train(images, Small with { Seed = 8 }, threads: 2);
        Assert.NotEqual(one.State.ToArray(), other.State.ToArray());
        Assert.NotEqual(one.Fingerprint, other.Fingerprint);
    }

    [Fact]
    public void Batch_and_single_featurization_agree_and_rebuilding_from_spec_and_state_gives_the_same_features()
    {
        Image[] images = SyntheticImages.Make(9, seed: 2);
        using IFeaturizer trained = Train(images, Small, threads: 2);
        Assert.Equal(Small.Dimension, trained.Dimension);
        Assert.Equal((1 + 4 + 9) * 12 + 24, trained.Dimension);
        var batch = new float[images.Length * trained.Dimension];
        trained.Featurize(images, batch);

        FeaturizerSpec spec = FeaturizerSpec.FromJson(trained.Spec.ToJson());
        using IFeaturizer rebuilt = FeaturizerFactory.Create(spec, trained.State.ToArray(), options: new FeaturizerOptions { Threads = 1 });
        Assert.Equal(trained.Fingerprint, rebuilt.Fingerprint);
        var single = new float[rebuilt.Dimension];
        for (int i = 0; i < images.Length; i++)
        {
            rebuilt.Featurize(images[i], single);
            Assert.Equal(batch.AsSpan(i * single.Length, single.Length).ToArray(), single);
        }
        Assert.All(batch, v => Assert.True(float.IsFinite(v) && v >= 0));
    }

    [Fact]
    public void Encoding_matches_the_naive_definition()
    {
        Image[] images = SyntheticImages.Make(6, seed: 3);
        foreach (FilterBankSpec spec in new[] { Small, Small with { Stride = 3, PyramidLevels = [2, 5] }, Small with { ImageSize = 23, PatchSize = 5, ColorBins = [] } })
        {
            using var featurizer = (FilterBankFeaturizer)Train(images, spec, threads: 2);
            FilterBankState state = featurizer.LearnedState;
            var actual = new float[featurizer.Dimension];
            foreach (Image image in images)
            {
                byte[] render = new byte[spec.ImageSize * spec.ImageSize * 3];
                spec.Preprocessing.Apply(image, render.AsSpan());
                featurizer.Featurize(image, actual);
                double[] expected = NaiveEncoding(spec, state, render);
                for (int i = 0; i < expected.Length; i++)
                    Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-3 * (1 + Math.Abs(expected[i])), $"feature {i}: {actual[i]} vs {expected[i]} ({spec.ToJson()})");
            }
        }
    }

    [Fact]
    public void Color_histogram_matches_floating_point_hsv_binning()
    {
        var random = new Random(9);
        byte[] pixels = new byte[3 * 4000];
        random.NextBytes(pixels);
        // Include the edge cases: black, white, greys and pure hues.
        byte[] special = [0, 0, 0, 255, 255, 255, 128, 128, 128, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0, 255, 0, 255, 1, 0, 0];
        special.CopyTo(pixels, 0);
        var histogram = new float[12 * 4 * 3];
        ColorHistogram.Compute(pixels, 12, 4, 3, histogram);
        var expected = new double[histogram.Length];
        for (int i = 0; i < pixels.Length / 3; i++)
        {
            double r = pixels[3 * i], g = pixels[3 * i + 1], b = pixels[3 * i + 2];
            double max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), c = max - min;
            double h = c == 0 ? 0 : max == r ? ((g - b) / c % 6 + 6) % 6 : max == g ? (b - r) / c + 2 : (r - g) / c + 4;
            int hb = Math.Min((int)Math.Floor(h / 6 * 12 + 1e-9), 11);
            int sb = max == 0 ? 0 : Math.Min((int)Math.Floor(c / max * 4 + 1e-9), 3);
            int vb = (int)Math.Floor(max * 3 / 256);
            expected[(hb * 4 + sb) * 3 + vb] += 1.0 / (pixels.Length / 3);
        }
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], histogram[i], 1e-6);
        Assert.Equal(1.0, histogram.Sum(), 1e-5);
    }

    [Fact]
    public void Patch_normalization_removes_the_mean_and_scales_by_the_regularized_deviation()
    {
        byte[] render = new byte[8 * 8 * 3];
        for (int i = 0; i < render.Length; i++) render[i] = (byte)(i * 37 % 251);
        var patches = new Patches(3);
        var patch = new float[patches.Stride];
        patches.Extract(render, 8, 2, 4, patch);
        var raw = new List<double>();
        for (int dy = 0; dy < 3; dy++) for (int dx = 0; dx < 3; dx++) for (int c = 0; c < 3; c++) raw.Add(render[((4 + dy) * 8 + 2 + dx) * 3 + c]);
        double mean = raw.Average(), variance = raw.Sum(v => (v - mean) * (v - mean)) / raw.Count;
        for (int i = 0; i < raw.Count; i++) Assert.Equal((raw[i] - mean) / Math.Sqrt(variance + 10), patch[i], 1e-4);
        Assert.All(patch.AsSpan(27).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(32, patches.Stride);
    }

    [Fact]
    public void State_round_trips_and_rejects_corrupt_truncated_mismatched_or_newer_bytes()
    {
        using var featurizer = (FilterBankFeaturizer)Train(SyntheticImages.Make(4, seed: 4), Small, threads: 1);
        byte[] bytes = featurizer.State.ToArray();
        FilterBankState back = FilterBankState.Deserialize(bytes, 48, 12);
        Assert.Equal(bytes, back.Serialize());

        Assert.Throws<InvalidDataException>(() => FilterBankState.Deserialize(bytes.AsSpan(0, bytes.Length - 1), 48, 12));
        Assert.Throws<InvalidDataException>(() => FilterBankState.Deserialize(bytes, 48, 13));
        Assert.Throws<InvalidDataException>(() => FilterBankState.Deserialize([], 48, 12));
        byte[] flipped = (byte[])bytes.Clone();
        flipped[100] ^= 1;
        Assert.Contains("SHA-256", Assert.Throws<InvalidDataException>(() => FilterBankState.Deserialize(flipped, 48, 12)).Message);
        byte[] newer = (byte[])bytes.Clone();
        newer[4] = 2;
        Assert.Contains("upgrade", Assert.Throws<InvalidDataException>(() => FilterBankState.Deserialize(newer, 48, 12)).Message);
        Assert.Throws<InvalidDataException>(() => FeaturizerFactory.Create(Small with { Centroids = 13 }, bytes));

        var random = new Random(1);
        for (int i = 0; i < 200; i++)
        {
            byte[] mutated = (byte[])bytes.Clone();
            mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            if (mutated.AsSpan().SequenceEqual(bytes)) continue;
            Assert.Throws<InvalidDataException>(() => FilterBankState.Deserialize(mutated, 48, 12));
        }
    }

    [Fact]
    public void Spec_json_is_camel_case_round_trips_and_rejects_unknown_or_newer()
    {
        string json = Small.ToJson();
        Assert.StartsWith("{\"kind\":\"filterBank\"", json);
        Assert.Contains("\"imageSize\":20", json);
        Assert.Contains("\"resizeMode\":\"fill\"", json);
        Assert.Equal(json, FeaturizerSpec.FromJson(json).ToJson());
        Assert.Throws<System.Text.Json.JsonException>(() => FeaturizerSpec.FromJson(json.Replace("\"imageSize\"", "\"imageSise\"")));
        Assert.Throws<System.Text.Json.JsonException>(() => FeaturizerSpec.FromJson(json.Replace("\"version\":1", "\"version\":2")));
        Assert.Throws<System.Text.Json.JsonException>(() => FeaturizerSpec.FromJson(json.Replace("\"centroids\":12", "\"centroids\":1")));
        Assert.Throws<System.Text.Json.JsonException>(() => FeaturizerSpec.FromJson(json.Replace("filterBank", "magic")));
        // Ways the serializer or the spec's own arithmetic failed untyped: no kind, a null list, a dimension past int.
        Assert.Throws<System.Text.Json.JsonException>(() => FeaturizerSpec.FromJson(json.Replace("\"kind\":\"filterBank\",", "")));
        Assert.Throws<System.Text.Json.JsonException>(() => FeaturizerSpec.FromJson("{\"kind\":\"backbone\",\"taps\":null}"));
        string huge = (Small with { ImageSize = 512, PatchSize = 2, Stride = 1, Centroids = 8192, TrainingPatches = 8192, PyramidLevels = [511, 511, 511, 511] }).ToJson();
        Assert.Contains("at most 1,048,576 features", Assert.Throws<System.Text.Json.JsonException>(() => FeaturizerSpec.FromJson(huge)).Message);
    }

    [Fact]
    public void Training_rejects_too_few_patches_and_empty_input()
    {
        Assert.Throws<ArgumentException>(() => Train([], Small));
        Assert.Throws<ArgumentException>(() => Train(SyntheticImages.Make(1, 1), Small with { TrainingPatches = 12, Centroids = 12 } with { Centroids = 13 }));
    }

    private static IFeaturizer Train(IReadOnlyList<Image> images, FilterBankSpec spec, int threads = 0)
        => FeaturizerFactory.TrainFilterBank(images, spec, new FeaturizerOptions { Threads = threads }, TestContext.Current.CancellationToken);

    /// <summary>The encoding written directly from the paper, in double precision.</summary>
    private static double[] NaiveEncoding(FilterBankSpec spec, FilterBankState state, byte[] render)
    {
        int s = spec.ImageSize, p = spec.PatchSize, d = p * p * 3, k = state.CentroidCount, grid = spec.GridSize;
        int cells = spec.PyramidLevels.Sum(n => n * n);
        var sums = new double[cells * k];
        var counts = new int[cells];
        var x = new double[d];
        var w = new double[d];
        var z = new double[k];
        for (int gy = 0; gy < grid; gy++)
            for (int gx = 0; gx < grid; gx++)
            {
                int i = 0;
                for (int dy = 0; dy < p; dy++) for (int dx = 0; dx < p; dx++) for (int c = 0; c < 3; c++)
                    x[i++] = render[((gy * spec.Stride + dy) * s + gx * spec.Stride + dx) * 3 + c];
                double mean = x.Average(), variance = x.Sum(v => (v - mean) * (v - mean)) / d;
                for (i = 0; i < d; i++) x[i] = (x[i] - mean) / Math.Sqrt(variance + 10);
                for (i = 0; i < d; i++)
                {
                    double t = 0;
                    for (int j = 0; j < d; j++) t += state.Whitening[i * d + j] * (x[j] - state.Mean[j]);
                    w[i] = t;
                }
                for (int c = 0; c < k; c++)
                {
                    double t = 0;
                    for (int j = 0; j < d; j++) t += Math.Pow(w[j] - state.Centroids[c * d + j], 2);
                    z[c] = Math.Sqrt(t);
                }
                double mu = z.Average();
                int cellBase = 0;
                foreach (int n in spec.PyramidLevels)
                {
                    int cell = cellBase + gy * n / grid * n + gx * n / grid;
                    for (int c = 0; c < k; c++) sums[cell * k + c] += Math.Max(0, mu - z[c]);
                    counts[cell]++;
                    cellBase += n * n;
                }
            }
        var result = new List<double>();
        for (int cell = 0; cell < cells; cell++) for (int c = 0; c < k; c++) result.Add(sums[cell * k + c] / counts[cell]);
        if (spec.ColorBins.Length == 3)
        {
            var histogram = new float[spec.ColorBins[0] * spec.ColorBins[1] * spec.ColorBins[2]];
            ColorHistogram.Compute(render, spec.ColorBins[0], spec.ColorBins[1], spec.ColorBins[2], histogram);
            result.AddRange(histogram.Select(v => (double)v));
        }
        return spec.SquareRoot ? result.Select(Math.Sqrt).ToArray() : [.. result];
    }
}
