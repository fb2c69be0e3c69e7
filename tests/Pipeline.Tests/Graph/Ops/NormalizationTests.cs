using Pipeline.Graph.Ops.Normalization;
using Pipeline.Tensors;
using static Pipeline.Tests.Graph.Ops.OpTestKit;

namespace Pipeline.Tests.Graph.Ops;

/// <summary>BatchNormalization (inference and training mode) and LRN against their formulas in double.</summary>
public sealed class NormalizationTests
{
    [Fact]
    public void BatchNormalizationInferenceAppliesTheStatisticsPerChannel()
    {
        var random = new Random(1);
        foreach (int[] shape in new[] { new[] { 2, 3 }, new[] { 1, 5, 7 }, new[] { 2, 3, 4, 5 }, new[] { 1, 17, 9, 9 }, new[] { 3, 4, 2, 3, 2 } })
        {
            int c = shape[1];
            Tensor x = RandomFloat(random, shape);
            Tensor scale = RandomFloat(random, [c]), bias = RandomFloat(random, [c]), mean = RandomFloat(random, [c]);
            Tensor variance = RandomFloat(random, [c], 0.1f, 2f);
            var op = (BatchNormalizationOperator)Import("BatchNormalization", 15, new() { ["epsilon"] = 1e-3f }, inputs: 5);
            Assert.Equal(1e-3f, op.Epsilon);
            Assert.False(op.TrainingMode);
            Assert.IsAssignableFrom<Pipeline.Graph.IBatchNormalization>(op); // the compiler folds it into a preceding Conv through this
            Tensor y = Run1(op, x, scale, bias, mean, variance);
            long spatial = x.Length / (shape[0] * c);
            double[] expected = ToDoubles(x).Select((v, i) =>
            {
                int ch = (int)(i / spatial % c);
                return (v - mean.AsSpan<float>()[ch]) / Math.Sqrt(variance.AsSpan<float>()[ch] + 1e-3) * scale.AsSpan<float>()[ch] + bias.AsSpan<float>()[ch];
            }).ToArray();
            AssertClose(DataType.Float32, shape, expected, y, rtol: 1e-5, atol: 1e-5);
        }
    }

    [Fact]
    public void BatchNormalizationTrainingModeUsesBatchStatistics()
    {
        var random = new Random(2);
        int[] shape = [3, 4, 5, 2];
        Tensor x = RandomFloat(random, shape);
        Tensor scale = RandomFloat(random, [4]), bias = RandomFloat(random, [4]), mean = RandomFloat(random, [4]);
        Tensor variance = RandomFloat(random, [4], 0.1f, 2f);
        var op = Import("BatchNormalization", 15, new() { ["training_mode"] = 1L, ["momentum"] = 0.8f }, inputs: 5, outputs: 3);
        Tensor?[] outputs = Run(op, [x, scale, bias, mean, variance], outputs: 3);
        double[] xv = ToDoubles(x);
        var batchMean = new double[4];
        var batchVariance = new double[4];
        for (int c = 0; c < 4; c++)
        {
            var values = xv.Where((_, i) => i / 10 % 4 == c).ToArray();
            batchMean[c] = values.Average();
            batchVariance[c] = values.Select(v => (v - batchMean[c]) * (v - batchMean[c])).Average();
        }
        double[] expected = xv.Select((v, i) =>
        {
            int c = i / 10 % 4;
            return (v - batchMean[c]) / Math.Sqrt(batchVariance[c] + 1e-5) * scale.AsSpan<float>()[c] + bias.AsSpan<float>()[c];
        }).ToArray();
        AssertClose(DataType.Float32, shape, expected, outputs[0]!, 1e-5, 1e-5);
        AssertClose(DataType.Float32, [4], batchMean.Select((m, c) => mean.AsSpan<float>()[c] * 0.8 + m * 0.2).ToArray(), outputs[1]!, 1e-5, 1e-6);
        AssertClose(DataType.Float32, [4], batchVariance.Select((v, c) => variance.AsSpan<float>()[c] * 0.8 + v * 0.2).ToArray(), outputs[2]!, 1e-5, 1e-6);
    }

    [Fact]
    public void BatchNormalizationRejectsMismatchedStatistics()
        => AssertInvalid(() => Run1(Import("BatchNormalization", 15, null, inputs: 5), Tensor.Zeros(DataType.Float32, 1, 3, 2, 2),
            Tensor.Zeros(DataType.Float32, 3), Tensor.Zeros(DataType.Float32, 3), Tensor.Zeros(DataType.Float32, 4), Tensor.Zeros(DataType.Float32, 3)), "input 3");

    [Theory]
    [InlineData(3, 0.0002f, 0.5f, 2f)]
    [InlineData(5, 0.0001f, 0.75f, 1f)]
    [InlineData(4, 0.001f, 0.6f, 1.5f)]
    [InlineData(1, 0.01f, 0.75f, 1f)]
    [InlineData(5, 2f, 0.75f, 0.5f)]
    public void LrnSumsSquaresOverTheChannelWindow(int size, float alpha, float beta, float bias)
    {
        var random = new Random(size);
        int[] shape = [2, 7, 5, 7]; // 35 values per plane: whole vectors at every width, and a tail
        Tensor x = RandomFloat(random, shape, -10, 10);
        Tensor y = Run1(Import("LRN", 13, new() { ["size"] = (long)size, ["alpha"] = alpha, ["beta"] = beta, ["bias"] = bias }), x);
        double[] xv = ToDoubles(x);
        var expected = new double[xv.Length];
        for (long i = 0; i < xv.Length; i++)
        {
            int[] c = Coordinates(i, shape);
            double sum = 0;
            for (int k = Math.Max(0, c[1] - (size - 1) / 2); k <= Math.Min(6, c[1] + (int)Math.Ceiling((size - 1) / 2.0)); k++)
            {
                int[] o = (int[])c.Clone();
                o[1] = k;
                double v = xv[Flat(o, shape)];
                sum += v * v;
            }
            expected[i] = xv[i] / Math.Pow(bias + alpha / size * sum, beta);
        }
        AssertClose(DataType.Float32, shape, expected, y, rtol: 2e-6, atol: 1e-6);
    }
}
