using Pipeline.Tensors;
using static Pipeline.Tests.Graph.Ops.OpTestKit;

namespace Pipeline.Tests.Graph.Ops;

/// <summary>ReduceMean/Max/Min/Sum over random axis sets against a naive double-accumulating reference.</summary>
public sealed class ReductionTests
{
    private static double[] Naive(string op, double[] x, int[] shape, bool[] reduced, out int[] keptShape)
    {
        keptShape = shape.Select((d, i) => reduced[i] ? 1 : d).ToArray();
        long count = Tensor.ElementCount(keptShape);
        var sums = new double[count];
        var counts = new long[count];
        var best = new double[count];
        Array.Fill(best, op == "ReduceMax" ? double.NegativeInfinity : double.PositiveInfinity);
        for (long i = 0; i < x.Length; i++)
        {
            int[] c = Coordinates(i, shape);
            for (int d = 0; d < c.Length; d++) if (reduced[d]) c[d] = 0;
            long o = Flat(c, keptShape);
            sums[o] += x[i];
            counts[o]++;
            best[o] = op == "ReduceMax" ? Math.Max(best[o], x[i]) : Math.Min(best[o], x[i]);
        }
        return op switch
        {
            "ReduceMean" => sums.Select((s, i) => s / counts[i]).ToArray(),
            "ReduceSum" => sums,
            _ => best,
        };
    }

    [Theory]
    [InlineData("ReduceMean", 18)]
    [InlineData("ReduceMean", 13)]
    [InlineData("ReduceMax", 18)]
    [InlineData("ReduceMax", 13)]
    [InlineData("ReduceMin", 18)]
    [InlineData("ReduceSum", 13)]
    [InlineData("ReduceSum", 11)]
    public void ReductionsMatchNaiveLoopsOverRandomAxes(string op, int opset)
    {
        bool axesInput = op == "ReduceSum" ? opset >= 13 : opset >= 18;
        var random = new Random(op.Length * 100 + opset);
        for (int trial = 0; trial < 60; trial++)
        {
            int rank = random.Next(1, 5);
            int[] shape = RandomShape(random, rank, 1, 6);
            if (trial % 7 == 0) shape[random.Next(rank)] = 300 + trial;
            var reduced = new bool[rank];
            var axes = new List<long>();
            for (int d = 0; d < rank; d++)
                if (random.Next(2) == 0) { reduced[d] = true; axes.Add(random.Next(2) == 0 ? d : d - rank); }
            if (axes.Count == 0) reduced.AsSpan().Fill(true); // no axes: every axis
            bool keep = random.Next(2) == 0;
            Tensor x = RandomFloat(random, shape);
            var attributes = new Dictionary<string, object> { ["keepdims"] = keep ? 1L : 0L };
            Tensor y;
            if (axesInput)
                y = axes.Count == 0 ? Run1(Import(op, opset, attributes), x) : Run1(Import(op, opset, attributes, inputs: 2), x, Tensor.Create(axes.ToArray(), axes.Count));
            else
            {
                if (axes.Count > 0) attributes["axes"] = axes.ToArray();
                y = Run1(Import(op, opset, attributes), x);
            }
            double[] expected = Naive(op, ToDoubles(x), shape, reduced, out int[] kept);
            int[] outShape = keep ? kept : shape.Where((_, i) => !reduced[i]).ToArray();
            AssertClose(DataType.Float32, outShape, expected, y, rtol: 1e-5, atol: 1e-5, context: $"{op} {Axes(shape)} axes [{string.Join(",", axes)}]");
        }
    }

    [Fact]
    public void IntegerMeansTruncateAndIntegerMaximaAreExact()
    {
        Tensor x = Tensor.Create(new[] { 1, 2, 4, -7, -8, 9 }, 2, 3);
        Assert.Equal(new[] { 2, -2 }, Run1(Import("ReduceMean", 18, null, inputs: 2), x, Tensor.Create(new long[] { 1 }, 1)).AsSpan<int>().ToArray());
        Assert.Equal(new[] { 1, 2, 9 }, Run1(Import("ReduceMax", 18, new() { ["keepdims"] = 0L }, inputs: 2), x, Tensor.Create(new long[] { 0 }, 1)).AsSpan<int>().ToArray());
    }

    [Fact]
    public void BoolMaximumIsAnyAndMinimumIsAll()
    {
        Tensor x = Tensor.Create(new[] { true, false, false, false, true, true }, 3, 2);
        Tensor axes = Tensor.Create(new long[] { 1 }, 1);
        Assert.Equal(new[] { true, false, true }, Run1(Import("ReduceMax", 20, null, inputs: 2), x, axes).AsSpan<bool>().ToArray());
        Assert.Equal(new[] { false, false, true }, Run1(Import("ReduceMin", 20, null, inputs: 2), x, axes).AsSpan<bool>().ToArray());
    }

    [Fact]
    public void AnEmptySetReducesToTheIdentity()
    {
        Tensor x = Tensor.Zeros(DataType.Float32, 2, 0, 4);
        Tensor axes = Tensor.Create(new long[] { 1 }, 1);
        Tensor max = Run1(Import("ReduceMax", 20, null, inputs: 2), x, axes);
        Assert.Equal(new[] { 2, 1, 4 }, max.ShapeArray());
        Assert.All(max.AsSpan<float>().ToArray(), v => Assert.Equal(float.NegativeInfinity, v));
        Assert.All(Run1(Import("ReduceSum", 13, null, inputs: 2), x, axes).AsSpan<float>().ToArray(), v => Assert.Equal(0f, v));
        Assert.All(Run1(Import("ReduceMean", 18, null, inputs: 2), x, axes).AsSpan<float>().ToArray(), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void NoopWithEmptyAxesIsTheIdentity()
    {
        Tensor x = RandomFloat(new Random(1), [2, 3]);
        Tensor y = Run1(Import("ReduceMean", 18, new() { ["noop_with_empty_axes"] = 1L }), x);
        Assert.Equal(x.AsSpan<float>().ToArray(), y.AsSpan<float>().ToArray());
        Tensor all = Run1(Import("ReduceMean", 18, null, inputs: 2), x, Tensor.Zeros(DataType.Int64, 0));
        Assert.Equal(new[] { 1, 1 }, all.ShapeArray());
    }

    [Fact]
    public void BadAxesFailNamingTheNode()
    {
        AssertInvalid(() => Run1(Import("ReduceMax", 18, null, inputs: 2), Tensor.Zeros(DataType.Float32, 2, 3), Tensor.Create(new long[] { 2 }, 1)), "out of range");
        AssertInvalid(() => Run1(Import("ReduceMax", 13, new() { ["axes"] = new long[] { 0, -2 } }), Tensor.Zeros(DataType.Float32, 2, 3)), "twice");
    }
}
