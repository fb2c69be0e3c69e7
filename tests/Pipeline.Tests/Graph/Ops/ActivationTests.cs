using Pipeline.Graph;
using Pipeline.Graph.Ops.Activations;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using static Pipeline.Tests.Graph.Ops.OpTestKit;

namespace Pipeline.Tests.Graph.Ops;

/// <summary>The activation operators and Softmax against their definitions, through their ONNX import functions.</summary>
public sealed class ActivationTests
{
    public static TheoryData<string> Unary() => new() { "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Elu", "Selu", "Tanh", "Exp" };

    private static double Definition(string op, double x) => op switch
    {
        "Relu" => Math.Max(x, 0),
        "LeakyRelu" => x >= 0 ? x : 0.01 * x,
        "Sigmoid" => 1 / (1 + Math.Exp(-x)),
        "HardSigmoid" => Math.Max(0, Math.Min(1, 0.2 * x + 0.5)),
        "HardSwish" => x * Math.Max(0, Math.Min(1, x / 6 + 0.5)),
        "Elu" => x >= 0 ? x : Math.Exp(x) - 1,
        "Selu" => x > 0 ? 1.0507009873554805 * x : 1.0507009873554805 * (1.6732632423543772 * Math.Exp(x) - 1.6732632423543772),
        "Tanh" => Math.Tanh(x),
        "Exp" => Math.Exp(x),
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [MemberData(nameof(Unary))]
    public void UnaryActivationsMatchTheirDefinitionWithDefaults(string op)
    {
        var random = new Random(op.Length);
        foreach (DataType type in new[] { DataType.Float32, DataType.Float64, DataType.Float16 })
        {
            foreach (int n in new[] { 0, 1, 7, 16, 33, 67, 70_001 })
            {
                Tensor x = Random(random, type, [n], -6, 6);
                Tensor y = Run1(Import(op, 22), x);
                double[] expected = ToDoubles(x).Select(v => Definition(op, v)).ToArray();
                double tolerance = type == DataType.Float16 ? 2e-3 : 2e-6;
                AssertClose(type, [n], expected, y, rtol: tolerance, atol: tolerance, context: $"{op} {type}");
            }
        }
    }

    [Fact]
    public void AttributesOverrideTheDefaults()
    {
        Tensor x = Tensor.Create(new[] { -2f, -0.5f, 0f, 0.5f, 2f }, 5);
        float[] Run(string op, Dictionary<string, object> a) => Run1(Import(op, 22, a), x).AsSpan<float>().ToArray();
        Assert.Equal(new[] { -0.2f, -0.05f, 0f, 0.5f, 2f }, Run("LeakyRelu", new() { ["alpha"] = 0.1f }));
        Assert.Equal(new[] { 0f, 0.35f, 0.6f, 0.85f, 1f }, Run("HardSigmoid", new() { ["alpha"] = 0.5f, ["beta"] = 0.6f }).Select(v => MathF.Round(v, 6)).ToArray());
        Assert.Equal(2 * (MathF.Exp(-2) - 1), Run("Elu", new() { ["alpha"] = 2f })[0], 6);
        Assert.Equal(3f * (2f * MathF.Exp(-2) - 2f), Run("Selu", new() { ["alpha"] = 2f, ["gamma"] = 3f })[0], 5);
    }

    [Fact]
    public void ReluAcceptsSignedIntegers()
    {
        Tensor x = Tensor.Create(new sbyte[] { -128, -1, 0, 1, 127 }, 5);
        Assert.Equal(new sbyte[] { 0, 0, 0, 1, 127 }, Run1(Import("Relu", 14), x).AsSpan<sbyte>().ToArray());
    }

    [Fact]
    public void ClipInputFormHandlesEveryBoundCombinationAndType()
    {
        var random = new Random(8);
        foreach (DataType type in new[] { DataType.Float32, DataType.Float64, DataType.Int8, DataType.UInt8, DataType.Int32, DataType.Int64 })
        {
            Tensor x = Random(random, type, [5, 13], -100, 100);
            foreach ((bool hasMin, bool hasMax) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                double lo = 10, hi = 60;
                Tensor? min = hasMin ? Scalar(type, lo) : null;
                Tensor? max = hasMax ? Scalar(type, hi) : null;
                Operator op = Import("Clip", 13, null, inputs: 3, present: [true, hasMin, hasMax]);
                Tensor y = Run(op, [x, min, max])[0]!;
                double[] expected = ToDoubles(x).Select(v => Math.Min(Math.Max(v, hasMin ? lo : double.MinValue), hasMax ? hi : double.MaxValue)).ToArray();
                AssertClose(type, [5, 13], expected, y, rtol: 0, atol: 0, context: $"{type} min={hasMin} max={hasMax}");
            }
        }
    }

    private static Tensor Scalar(DataType type, double v)
    {
        Tensor t = Tensor.Zeros(type);
        Pipeline.Tensors.Numerics.ElementConversion.WriteFromDouble(type, v, t.AsBytes());
        return t;
    }

    [Fact]
    public void ClipWithMinAboveMaxGivesMax()
    {
        Tensor x = Tensor.Create(new[] { -3f, 0f, 3f }, 3);
        Tensor y = Run1(Import("Clip", 13, null, inputs: 3), x, Scalar(DataType.Float32, 2), Scalar(DataType.Float32, 1));
        Assert.Equal(new[] { 1f, 1f, 1f }, y.AsSpan<float>().ToArray());
    }

    [Fact]
    public void ClipAttributeFormBeforeOpset11()
    {
        Tensor x = Tensor.Create(new[] { -3f, 0.5f, 3f, float.MaxValue }, 4);
        Assert.Equal(new[] { -1f, 0.5f, 2f, 2f }, Run1(Import("Clip", 6, new() { ["min"] = -1f, ["max"] = 2f }), x).AsSpan<float>().ToArray());
        Assert.Equal(new[] { -3f, 0.5f, 3f, float.MaxValue }, Run1(Import("Clip", 6), x).AsSpan<float>().ToArray());
    }

    [Fact]
    public void FusableActivationsDescribeThemselves()
    {
        Tensor? None(int i) => null;
        Assert.Equal(FusedActivation.Relu, ((IActivationOperator)Import("Relu", 14)).TryGetActivation(None));
        Assert.Equal(new FusedActivation(ActivationKind.LeakyRelu, Alpha: 0.3f), ((IActivationOperator)Import("LeakyRelu", 16, new() { ["alpha"] = 0.3f })).TryGetActivation(None));
        Assert.Equal(ActivationKind.Sigmoid, ((IActivationOperator)Import("Sigmoid", 13)).TryGetActivation(None)!.Value.Kind);
        Assert.Equal(ActivationKind.HardSwish, ((IActivationOperator)Import("HardSwish", 22)).TryGetActivation(None)!.Value.Kind);

        var clip = (IActivationOperator)Import("Clip", 13, null, inputs: 3);
        Assert.Null(clip.TryGetActivation(None)); // bounds computed at run time cannot be fused
        Tensor?[] constants = [null, Scalar(DataType.Float32, 0), Scalar(DataType.Float32, 6)];
        Assert.Equal(FusedActivation.Relu6, clip.TryGetActivation(i => constants[i]));
        var onlyMax = (IActivationOperator)Import("Clip", 13, null, inputs: 3, present: [true, false, true]);
        Assert.Equal(new FusedActivation(ActivationKind.Clip, float.NegativeInfinity, 6f), onlyMax.TryGetActivation(i => constants[i]));
        Assert.Equal(new FusedActivation(ActivationKind.Clip, 0f, 6f), ((IActivationOperator)Import("Clip", 6, new() { ["min"] = 0f, ["max"] = 6f })).TryGetActivation(None));
        Assert.False(Import("Tanh", 13) is IActivationOperator);
    }

    [Fact]
    public void UnaryOperatorsRunInPlace()
    {
        foreach (string op in Unary()) Assert.True(Import(op, 22).CanRunInPlace(0), op);
        Assert.True(Import("Clip", 13, null, inputs: 3).CanRunInPlace(0));
    }

    /// <summary>Naive softmax of [outer, n, inner] along n, in double.</summary>
    private static double[] NaiveSoftmax(float[] x, long outer, int n, long inner, bool log)
    {
        var y = new double[x.Length];
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                double max = double.NegativeInfinity;
                for (int a = 0; a < n; a++) max = Math.Max(max, x[(o * n + a) * inner + i]);
                double sum = 0;
                for (int a = 0; a < n; a++) sum += Math.Exp(x[(o * n + a) * inner + i] - max);
                for (int a = 0; a < n; a++)
                {
                    double v = x[(o * n + a) * inner + i] - max;
                    y[(o * n + a) * inner + i] = log ? v - Math.Log(sum) : Math.Exp(v) / sum;
                }
            }
        return y;
    }

    [Theory]
    [InlineData("Softmax", 13)]
    [InlineData("Softmax", 11)]
    [InlineData("LogSoftmax", 13)]
    [InlineData("LogSoftmax", 11)]
    public void SoftmaxNormalizesAlongItsAxisForEachOpsetRule(string op, int opset)
    {
        var random = new Random(opset);
        for (int trial = 0; trial < 40; trial++)
        {
            int rank = random.Next(1, 5);
            int[] shape = RandomShape(random, rank, 1, 7);
            if (trial % 5 == 0) shape[^1] = 1000 + trial;
            int axis = random.Next(-rank, rank);
            Tensor x = RandomFloat(random, shape, -30, 30);
            Tensor y = Run1(Import(op, opset, new() { ["axis"] = (long)axis }), x);
            int a = axis < 0 ? axis + rank : axis;
            long outer = shape[..a].Aggregate(1L, (p, d) => p * d);
            long rest = shape[a..].Aggregate(1L, (p, d) => p * d);
            double[] expected = opset >= 13
                ? NaiveSoftmax(x.AsSpan<float>().ToArray(), outer, shape[a], rest / shape[a], op == "LogSoftmax")
                : NaiveSoftmax(x.AsSpan<float>().ToArray(), outer, (int)rest, 1, op == "LogSoftmax");
            AssertClose(DataType.Float32, shape, expected, y, rtol: 1e-5, atol: 1e-6, context: $"{op}-{opset} axis {axis}");
        }
    }

    [Fact]
    public void SoftmaxDefaultAxisDependsOnTheOpset()
    {
        var random = new Random(2);
        Tensor x = RandomFloat(random, [2, 3, 4]);
        float[] old = Run1(Import("Softmax", 11), x).AsSpan<float>().ToArray();   // flatten at axis 1: rows of 12
        float[] current = Run1(Import("Softmax", 13), x).AsSpan<float>().ToArray(); // axis -1: rows of 4
        Assert.Equal(1.0, old.Take(12).Sum(), 5);
        Assert.Equal(1.0, current.Take(4).Sum(), 5);
    }

    [Fact]
    public void SoftmaxIsStableForLargeNumbers()
    {
        Tensor x = Tensor.Create(new[] { 10000f, 10001f, 10002f, 10003f }, 1, 4);
        float[] y = Run1(Import("Softmax", 13), x).AsSpan<float>().ToArray();
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0.6439142, y[3], 5);
    }

    [Fact]
    public void SoftmaxRejectsAnAxisOutOfRange()
        => AssertInvalid(() => Run1(Import("Softmax", 13, new() { ["axis"] = 3L }), Tensor.Zeros(DataType.Float32, 2, 2)), "axis 3");
}
