using Pipeline.Tensors;
using Pipeline.Tensors.Numerics;
using static Pipeline.Tests.Graph.Ops.OpTestKit;

namespace Pipeline.Tests.Graph.Ops;

/// <summary>QuantizeLinear / DequantizeLinear per tensor, per axis and blocked, against the formulas.</summary>
public sealed class QuantizationTests
{
    private static readonly (DataType Type, int Min, int Max)[] Targets =
    [
        (DataType.UInt8, 0, 255), (DataType.Int8, -128, 127), (DataType.UInt16, 0, 65535), (DataType.Int16, -32768, 32767),
        (DataType.UInt4, 0, 15), (DataType.Int4, -8, 7), (DataType.UInt2, 0, 3), (DataType.Int2, -2, 1),
    ];

    /// <summary>Scale index of element i: per tensor (−1 block), per axis (block 0) or blocked.</summary>
    private static long ScaleIndex(long i, int[] shape, int axis, int block, int[] scaleShape)
    {
        if (scaleShape.Length == 0) return 0;
        int[] c = Coordinates(i, shape);
        if (block == 0) return c[axis];
        c[axis] /= block;
        return Flat(c, scaleShape);
    }

    private static (int[] Shape, int Axis, int Block, int[] ScaleShape) RandomLayout(Random random, string mode)
    {
        int rank = random.Next(1, 4);
        int[] shape = RandomShape(random, rank, 1, 7);
        int axis = random.Next(rank);
        return mode switch
        {
            "tensor" => (shape, axis, 0, []),
            "axis" => (shape, axis, 0, [shape[axis]]),
            _ => ((Func<(int[], int, int, int[])>)(() =>
            {
                int block = random.Next(1, 4);
                int[] s = (int[])shape.Clone();
                s[axis] = (shape[axis] + block - 1) / block;
                return (shape, axis, block, s);
            }))(),
        };
    }

    [Theory]
    [InlineData("tensor")]
    [InlineData("axis")]
    [InlineData("blocked")]
    public void QuantizeRoundsHalfToEvenAddsTheZeroPointAndSaturates(string mode)
    {
        var random = new Random(mode.Length);
        foreach ((DataType type, int min, int max) in Targets)
        {
            for (int trial = 0; trial < 10; trial++)
            {
                (int[] shape, int axis, int block, int[] scaleShape) = RandomLayout(random, mode);
                Tensor x = RandomFloat(random, shape, -40, 40);
                // Exact ties: x = (k + 0.5) · scale for some elements.
                Tensor scale = RandomFloat(random, scaleShape, 0.25f, 2f);
                for (int i = 0; i < x.Length; i += 3)
                    x.AsSpan<float>()[i] = (random.Next(-20, 20) + 0.5f) * scale.AsSpan<float>()[(int)ScaleIndex(i, shape, axis, block, scaleShape)];
                var zeroValues = Enumerable.Range(0, (int)Tensor.ElementCount(scaleShape)).Select(_ => (double)random.Next(min, max + 1)).ToArray();
                Tensor zero = ElementConversion.Convert(Tensor.Create(zeroValues, scaleShape), type);
                var attributes = new Dictionary<string, object> { ["axis"] = (long)(axis - (random.Next(2) == 0 ? shape.Length : 0)) };
                if (block > 0) attributes["block_size"] = (long)block;
                Tensor y = Run1(Import("QuantizeLinear", 25, attributes, inputs: 3), x, scale, zero);
                var expected = new double[x.Length];
                for (long i = 0; i < x.Length; i++)
                {
                    long s = ScaleIndex(i, shape, axis, block, scaleShape);
                    float scaled = x.AsSpan<float>()[(int)i] / scale.AsSpan<float>()[(int)s];
                    expected[i] = Math.Clamp(Math.Round((double)scaled, MidpointRounding.ToEven) + zeroValues[s], min, max);
                }
                AssertClose(type, shape, expected, y, 0, 0, $"{mode} {type} {Axes(shape)} axis {axis} block {block}");
            }
        }
    }

    [Theory]
    [InlineData("tensor")]
    [InlineData("axis")]
    [InlineData("blocked")]
    public void DequantizeSubtractsTheZeroPointAndScales(string mode)
    {
        var random = new Random(mode.Length + 10);
        foreach ((DataType type, int min, int max) in Targets)
        {
            (int[] shape, int axis, int block, int[] scaleShape) = RandomLayout(random, mode);
            var q = Enumerable.Range(0, (int)Tensor.ElementCount(shape)).Select(_ => (double)random.Next(min, max + 1)).ToArray();
            var z = Enumerable.Range(0, (int)Tensor.ElementCount(scaleShape)).Select(_ => (double)random.Next(min, max + 1)).ToArray();
            Tensor scale = RandomFloat(random, scaleShape, 0.1f, 3f);
            var attributes = new Dictionary<string, object> { ["axis"] = (long)axis };
            if (block > 0) attributes["block_size"] = (long)block;
            Tensor y = Run1(Import("DequantizeLinear", 25, attributes, inputs: 3),
                ElementConversion.Convert(Tensor.Create(q, shape), type), scale, ElementConversion.Convert(Tensor.Create(z, scaleShape), type));
            double[] expected = q.Select((v, i) =>
            {
                long s = ScaleIndex(i, shape, axis, block, scaleShape);
                return (double)((float)(v - z[s]) * scale.AsSpan<float>()[(int)s]);
            }).ToArray();
            AssertClose(DataType.Float32, shape, expected, y, 0, 0, $"{mode} {type}");
        }
    }

    [Fact]
    public void DefaultsAreUInt8WithZeroPointZeroAndNaNSaturatesLow()
    {
        Tensor x = Tensor.Create(new[] { 0f, 2f, 3f, 1000f, -254f, float.NaN, float.PositiveInfinity }, 7);
        Tensor y = Run1(Import("QuantizeLinear", 13, null, inputs: 2), x, Tensor.Create(new[] { 2f }));
        Assert.Equal(DataType.UInt8, y.Type);
        Assert.Equal(new byte[] { 0, 1, 2, 255, 0, 0, 255 }, y.AsSpan<byte>().ToArray());
        Tensor symmetric = Run1(Import("QuantizeLinear", 21, new() { ["output_dtype"] = (long)DataType.Int8 }, inputs: 2), x, Tensor.Create(new[] { 2f }));
        Assert.Equal(new sbyte[] { 0, 1, 2, 127, -127, -128, 127 }, symmetric.AsSpan<sbyte>().ToArray());
    }

    [Fact]
    public void Float4QuantizationRoundsToTheNearestCode()
    {
        Tensor x = Tensor.Create(new[] { 0f, 2.5f, 4.8f, 8.6f, -30f, 1.5f }, 6);
        Tensor y = Run1(Import("QuantizeLinear", 25, new() { ["output_dtype"] = (long)DataType.Float4E2M1 }, inputs: 2), x, Tensor.Create(new[] { 2f }));
        // x / 2 = 0, 1.25, 2.4, 4.3, -15, 0.75 → 0, 1 (tie to even), 2, 4, -6 (saturated), 1 (tie to even)
        Assert.Equal(new byte[] { 0, 2, 4, 6, 15, 2 }, y.AsSpan<byte>().ToArray());
        Tensor back = Run1(Import("DequantizeLinear", 25, null, inputs: 2), y, Tensor.Create(new[] { 2f }));
        Assert.Equal(new[] { 0f, 2f, 4f, 8f, -12f, 2f }, back.AsSpan<float>().ToArray());
    }

    [Fact]
    public void DequantizeToFloat16FollowsTheScaleType()
    {
        Tensor y = Run1(Import("DequantizeLinear", 21, null, inputs: 2), Tensor.Create(new byte[] { 0, 10, 255 }, 3), Tensor.Create(new[] { (Half)0.5f }));
        Assert.Equal(new[] { (Half)0f, (Half)5f, (Half)127.5f }, y.AsSpan<Half>().ToArray());
    }

    [Fact]
    public void MismatchedScaleShapesFail()
    {
        Tensor x = Tensor.Zeros(DataType.Float32, 2, 4);
        AssertInvalid(() => Run1(Import("QuantizeLinear", 21, new() { ["axis"] = 1L }, inputs: 2), x, Tensor.Zeros(DataType.Float32, 3)), "per-axis");
        AssertInvalid(() => Run1(Import("QuantizeLinear", 21, new() { ["axis"] = 1L, ["block_size"] = 3L }, inputs: 2), x, Tensor.Zeros(DataType.Float32, 2, 1)), "blocked");
        AssertInvalid(() => Run1(Import("QuantizeLinear", 21, null, inputs: 3), x, Tensor.Zeros(DataType.Float32, 4), Tensor.Zeros(DataType.UInt8, 2)), "zero point");
    }
}
