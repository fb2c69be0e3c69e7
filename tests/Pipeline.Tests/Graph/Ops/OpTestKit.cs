using Pipeline.Graph;
using Pipeline.Graph.Onnx;
using Pipeline.Tensors;
using Pipeline.Tensors.Numerics;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tests.Graph.Ops;

/// <summary>
/// Helpers for operator tests: seeded random tensors, running an operator (directly or through its ONNX import
/// function) with <see cref="OperatorEvaluator"/>, row-major index arithmetic for naive references, and comparisons.
/// </summary>
internal static class OpTestKit
{
    /// <summary>A pool with two threads, so the parallel splits of kernels run too.</summary>
    public static readonly WorkerPool TwoThreads = new(2);

    /// <summary>Runs <paramref name="op"/> on <paramref name="inputs"/> (null = absent optional input).</summary>
    public static Tensor?[] Run(Operator op, Tensor?[] inputs, int outputs = 1, bool parallel = true)
        => OperatorEvaluator.Evaluate(op, inputs, outputs, new NodeIdentity("test", op.Name, 0), parallel ? TwoThreads : null);

    /// <summary>Runs the single-output <paramref name="op"/>.</summary>
    public static Tensor Run1(Operator op, params Tensor?[] inputs) => Run(op, inputs)[0]!;

    /// <summary>Imports an ONNX node of <paramref name="opType"/> at <paramref name="opset"/> with the given attributes.</summary>
    public static Operator Import(string opType, long opset, Dictionary<string, object>? attributes = null, int inputs = 1, int outputs = 1, bool[]? present = null)
    {
        var inputNames = new string[inputs];
        for (int i = 0; i < inputs; i++) inputNames[i] = present is null || present[i] ? $"in{i}" : "";
        var outputNames = new string[outputs];
        for (int i = 0; i < outputs; i++) outputNames[i] = $"out{i}";
        var node = new OnnxNode(new NodeIdentity("test", opType, opset), "", inputNames, outputNames, attributes ?? []);
        OnnxOperatorFactory factory = OnnxOperatorTable.Find(opType) ?? throw new InvalidOperationException($"{opType} is not registered");
        return factory(node);
    }

    /// <summary>A float32 tensor of uniform values in [lo, hi).</summary>
    public static Tensor RandomFloat(Random random, int[] shape, float lo = -3f, float hi = 3f)
    {
        var data = new float[Tensor.ElementCount(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = lo + (hi - lo) * random.NextSingle();
        return Tensor.Create(data, shape);
    }

    /// <summary>A tensor of <paramref name="type"/> with random values that fit the type (small magnitudes for floats).</summary>
    public static Tensor Random(Random random, DataType type, int[] shape, int lo = -100, int hi = 100)
    {
        var values = new double[Tensor.ElementCount(shape)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = type switch
            {
                DataType.Float32 or DataType.Float64 or DataType.Float16 => Math.Round(lo + (hi - lo) * random.NextDouble(), 3),
                DataType.UInt8 or DataType.UInt16 or DataType.UInt32 or DataType.UInt64 => random.Next(0, Math.Max(1, hi)),
                DataType.Bool => random.Next(2),
                _ => random.Next(lo, hi),
            };
        }
        return ElementConversion.Convert(Tensor.Create(values, shape), type);
    }

    /// <summary>Element i of any tensor as a double.</summary>
    public static double At(Tensor t, long i) => ElementConversion.ReadAsDouble(t.Type, t.AsBytes(), i);

    /// <summary>All elements as doubles.</summary>
    public static double[] ToDoubles(Tensor t) => ElementConversion.Convert(t, DataType.Float64).AsSpan<double>().ToArray();

    /// <summary>A random shape of the given rank with dimensions in [lo, hi].</summary>
    public static int[] RandomShape(Random random, int rank, int lo = 1, int hi = 5)
    {
        var s = new int[rank];
        for (int i = 0; i < rank; i++) s[i] = random.Next(lo, hi + 1);
        return s;
    }

    /// <summary>The row-major coordinates of flat index <paramref name="index"/>.</summary>
    public static int[] Coordinates(long index, int[] shape)
    {
        var c = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            c[d] = (int)(index % shape[d]);
            index /= shape[d];
        }
        return c;
    }

    /// <summary>The flat index of <paramref name="coordinates"/>.</summary>
    public static long Flat(int[] coordinates, int[] shape)
    {
        long index = 0;
        for (int d = 0; d < shape.Length; d++) index = index * shape[d] + coordinates[d];
        return index;
    }

    /// <summary>The flat index in a smaller <paramref name="shape"/> that broadcasts to the output of rank <c>coordinates.Length</c>.</summary>
    public static long BroadcastIndex(int[] coordinates, int[] shape)
    {
        long index = 0;
        int offset = coordinates.Length - shape.Length;
        for (int d = 0; d < shape.Length; d++) index = index * shape[d] + (shape[d] == 1 ? 0 : coordinates[d + offset]);
        return index;
    }

    /// <summary>Asserts shape, type and every element within |e − a| ≤ atol + rtol·|e| (NaN matches NaN).</summary>
    public static void AssertClose(DataType type, int[] shape, double[] expected, Tensor actual, double rtol = 1e-5, double atol = 1e-6, string? context = null)
    {
        Assert.Equal(type, actual.Type);
        Assert.Equal(shape, actual.ShapeArray());
        Assert.Equal(expected.Length, actual.Length);
        double[] values = ToDoubles(actual);
        for (int i = 0; i < expected.Length; i++)
        {
            double a = values[i], e = expected[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (e == a) continue;
            Assert.True(Math.Abs(e - a) <= atol + rtol * Math.Abs(e),
                $"{context} element {i} of {Axes(shape)}: expected {e}, got {a}");
        }
    }

    /// <summary>Formats a shape.</summary>
    public static string Axes(int[] shape) => "[" + string.Join(",", shape) + "]";

    /// <summary>Asserts that <paramref name="action"/> fails with an <see cref="InvalidModelException"/> naming the test node.</summary>
    public static InvalidModelException AssertInvalid(Action action, string? reasonContains = null)
    {
        var e = Assert.Throws<InvalidModelException>(action);
        Assert.Equal("test", e.Node);
        if (reasonContains is not null) Assert.Contains(reasonContains, e.Reason);
        return e;
    }
}
