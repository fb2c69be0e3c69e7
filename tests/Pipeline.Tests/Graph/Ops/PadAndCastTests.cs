using Pipeline.Graph;
using Pipeline.Tensors;
using Pipeline.Tensors.Numerics;
using static Pipeline.Tests.Graph.Ops.OpTestKit;

namespace Pipeline.Tests.Graph.Ops;

/// <summary>Pad (every mode, both forms, axes, negative pads) and Cast (every type pair) against naive definitions.</summary>
public sealed class PadAndCastTests
{
    private static int Source(string mode, long i, int n)
    {
        if (i >= 0 && i < n) return (int)i;
        switch (mode)
        {
            case "constant": return -1;
            case "edge": return i < 0 ? 0 : n - 1;
            case "wrap": return (int)(((i % n) + n) % n);
            default:
                // reflect: mirror at both ends, repeatedly, without repeating the edge element
                while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
                return n == 1 ? 0 : (int)i;
        }
    }

    [Theory]
    [InlineData("constant")]
    [InlineData("reflect")]
    [InlineData("edge")]
    [InlineData("wrap")]
    public void PadMatchesTheNaiveDefinition(string mode)
    {
        var random = new Random(mode.Length);
        foreach (DataType type in new[] { DataType.Float32, DataType.Int64, DataType.UInt8 })
        {
            for (int trial = 0; trial < 30; trial++)
            {
                int rank = random.Next(1, 5);
                int[] shape = RandomShape(random, rank, 1, 5);
                var begin = new long[rank];
                var end = new long[rank];
                for (int d = 0; d < rank; d++)
                {
                    int limit = mode == "reflect" ? shape[d] - 1 : shape[d];
                    begin[d] = random.Next(-Math.Min(1, shape[d] - 1), limit + 1);
                    end[d] = random.Next(-Math.Min(1, shape[d] - 1), limit + 1);
                }
                Tensor x = Random(random, type, shape, 1, 100);
                double value = 7;
                Tensor constant = ElementConversion.Convert(Tensor.Create(new[] { value }), type);
                Tensor y = Run1(Import("Pad", 19, new() { ["mode"] = mode }, inputs: 3), x, Tensor.Create([.. begin, .. end], 2 * rank), constant);
                int[] outShape = shape.Select((d, i) => (int)(d + begin[i] + end[i])).ToArray();
                double[] xv = ToDoubles(x);
                var expected = new double[Tensor.ElementCount(outShape)];
                for (long i = 0; i < expected.Length; i++)
                {
                    int[] c = Coordinates(i, outShape);
                    var s = new int[rank];
                    bool inside = true;
                    for (int d = 0; d < rank && inside; d++)
                    {
                        s[d] = Source(mode, c[d] - begin[d], shape[d]);
                        inside = s[d] >= 0;
                    }
                    expected[i] = inside ? xv[Flat(s, shape)] : value;
                }
                AssertClose(type, outShape, expected, y, 0, 0, $"{mode} {Axes(shape)} pads [{string.Join(",", begin)}|{string.Join(",", end)}]");
            }
        }
    }

    [Fact]
    public void PadWithAxesAndTheAttributeForm()
    {
        Tensor x = Tensor.Create(new[] { 1f, 2f, 3f, 4f }, 2, 2);
        Tensor viaAxes = Run1(Import("Pad", 18, null, inputs: 4), x, Tensor.Create(new long[] { 1, 2 }, 2), Tensor.Create(new[] { 9f }), Tensor.Create(new long[] { -1 }, 1));
        Assert.Equal(new[] { 2, 5 }, viaAxes.ShapeArray());
        Assert.Equal(new[] { 9f, 1f, 2f, 9f, 9f, 9f, 3f, 4f, 9f, 9f }, viaAxes.AsSpan<float>().ToArray());

        Tensor attribute = Run1(Import("Pad", 2, new() { ["pads"] = new long[] { 0, 1, 0, 0 }, ["value"] = 5f }), x);
        Assert.Equal(new[] { 5f, 1f, 2f, 5f, 3f, 4f }, attribute.AsSpan<float>().ToArray());

        Tensor noValue = Run1(Import("Pad", 13, null, inputs: 2), x, Tensor.Create(new long[] { 0, 0, 1, 0 }, 4));
        Assert.Equal(new[] { 1f, 2f, 3f, 4f, 0f, 0f }, noValue.AsSpan<float>().ToArray());
        AssertInvalid(() => Run1(Import("Pad", 13, null, inputs: 2), x, Tensor.Create(new long[] { 0, 0, -3, 0 }, 4)), "gives size");
        AssertInvalid(() => Run1(Import("Pad", 13, null, inputs: 2), x, Tensor.Create(new long[] { 1, 2, 3 }, 3)), "entries");
    }

    private static readonly DataType[] CastTypes =
    [
        DataType.Float32, DataType.Float64, DataType.Float16, DataType.BFloat16, DataType.Int8, DataType.UInt8, DataType.Int16,
        DataType.UInt16, DataType.Int32, DataType.UInt32, DataType.Int64, DataType.UInt64, DataType.Bool, DataType.Int4,
        DataType.UInt4, DataType.Int2, DataType.UInt2, DataType.Float4E2M1,
    ];

    /// <summary>The value a cast produces, by the rules: floats round, integers truncate toward zero and wrap to the width.</summary>
    private static double CastValue(double v, DataType to)
    {
        static double Wrap(double v, int bits, bool signed)
        {
            long t = double.IsNaN(v) ? 0 : (long)Math.Truncate(v);
            long mask = (1L << bits) - 1;
            long u = t & mask;
            return signed && u >= 1L << (bits - 1) ? u - (1L << bits) : u;
        }
        return to switch
        {
            DataType.Float32 => (float)v,
            DataType.Float64 => v,
            DataType.Float16 => (double)(Half)v,
            DataType.BFloat16 => NearestBFloat16((float)v),
            DataType.Float4E2M1 => NearestFloat4(v),
            DataType.Bool => v != 0 ? 1 : 0,
            DataType.Int8 => Wrap(v, 8, true),
            DataType.UInt8 => Wrap(v, 8, false),
            DataType.Int16 => Wrap(v, 16, true),
            DataType.UInt16 => Wrap(v, 16, false),
            DataType.Int32 => Wrap(v, 32, true),
            DataType.UInt32 => Wrap(v, 32, false),
            DataType.Int4 => Wrap(v, 4, true),
            DataType.UInt4 => Wrap(v, 4, false),
            DataType.Int2 => Wrap(v, 2, true),
            DataType.UInt2 => Wrap(v, 2, false),
            DataType.UInt64 => (double)unchecked((ulong)(long)Math.Truncate(v)),
            _ => Math.Truncate(v),
        };
    }

    /// <summary>The bfloat16 nearest to x by comparing its two truncation neighbours (ties to the even one).</summary>
    private static double NearestBFloat16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        float lo = BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000u), hi = BitConverter.UInt32BitsToSingle((bits & 0xFFFF0000u) + 0x10000u);
        double dl = Math.Abs((double)x - lo), dh = Math.Abs((double)hi - x);
        if (dl != dh) return dl < dh ? lo : hi;
        return ((bits >> 16) & 1) == 0 ? lo : hi;
    }

    /// <summary>The E2M1 value nearest to v by search over the eight magnitudes (ties to even codes, saturating).</summary>
    private static double NearestFloat4(double v)
    {
        double[] m = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
        double a = Math.Min(Math.Abs(v), 6);
        int best = 0;
        for (int i = 1; i < m.Length; i++)
        {
            double d = Math.Abs(a - m[i]), bd = Math.Abs(a - m[best]);
            if (d < bd || d == bd && i % 2 == 0) best = i;
        }
        return v < 0 ? -m[best] : m[best];
    }

    [Fact]
    public void CastConvertsBetweenEveryPairOfTypes()
    {
        double[] values = [0, 1, -1, 2.5, -2.5, 3.75, 100, -100, 7, 0.25, 300, -129];
        foreach (DataType from in CastTypes)
        {
            // The source holds the values as that type represents them.
            // (Unsigned 64-bit sources stay small: a wrapped −1 is not exactly representable as the double the reference uses.)
            double[] chosen = from == DataType.UInt64 ? values.Select(Math.Abs).ToArray() : values;
            Tensor source = ElementConversion.Convert(Tensor.Create(chosen, chosen.Length), from);
            double[] held = ToDoubles(source);
            foreach (DataType to in CastTypes)
            {
                Tensor y = Run1(Import("Cast", 25, new() { ["to"] = (long)to }), source);
                double[] expected = held.Select(v => from == DataType.UInt64 && to == DataType.Float64 ? v : CastValue(v, to)).ToArray();
                AssertClose(to, [values.Length], expected, y, 0, 0, $"{from} → {to}");
            }
        }
    }

    [Fact]
    public void FloatToHalfAndBFloat16RoundToNearestEven()
    {
        // 1 + 2^-11 is halfway between two float16 neighbours; it rounds to the even one (1.0).
        float[] x = [1f + MathF.Pow(2, -11), 1f + 3 * MathF.Pow(2, -11), 65520f, 1e-8f];
        Tensor h = Run1(Import("Cast", 13, new() { ["to"] = (long)DataType.Float16 }), Tensor.Create(x, 4));
        Assert.Equal(new[] { (Half)1f, (Half)(1f + MathF.Pow(2, -9)), Half.PositiveInfinity, (Half)0f }, h.AsSpan<Half>().ToArray());
        Assert.Equal(0x3F80, BFloat16.FromSingle(1f + MathF.Pow(2, -8)));      // tie → even
        Assert.Equal(0x3F82, BFloat16.FromSingle(1f + 3 * MathF.Pow(2, -8)));  // tie → even (up)
        Assert.True(float.IsNaN(BFloat16.ToSingle(BFloat16.FromSingle(float.NaN))));
    }

    [Fact]
    public void Float4E2M1RoundsToEvenCodesAndSaturates()
    {
        float[] magnitudes = [0, 0.5f, 1, 1.5f, 2, 3, 4, 6];
        for (byte code = 0; code < 16; code++)
        {
            float expected = (code & 8) != 0 ? -magnitudes[code & 7] : magnitudes[code & 7];
            Assert.Equal(expected, Float4E2M1.Decode(code));
            Assert.Equal(code, Float4E2M1.Encode(expected) is var e && expected == 0 && code == 8 ? (byte)8 : Float4E2M1.Encode(expected));
        }
        (double Value, byte Code)[] cases =
        [
            (0.25, 0), (0.2501, 1), (0.75, 2), (1.25, 2), (1.75, 4), (2.5, 4), (3.5, 6), (5, 6), (5.01, 7), (1e9, 7),
            (double.PositiveInfinity, 7), (double.NegativeInfinity, 15), (-0.0, 8), (-3.5, 14), (double.NaN, 8),
        ];
        foreach ((double v, byte code) in cases) Assert.True(code == Float4E2M1.Encode(v), $"{v} → {Float4E2M1.Encode(v)}, expected {code}");
    }

    [Fact]
    public void CastBeforeOpset6NamesTheTypeAsAString()
    {
        Tensor y = Run1(Import("Cast", 1, new() { ["to"] = "INT32" }), Tensor.Create(new[] { 2.7f, -2.7f }, 2));
        Assert.Equal(new[] { 2, -2 }, y.AsSpan<int>().ToArray());
        Assert.Throws<InvalidModelException>(() => Import("Cast", 1, new() { ["to"] = "STRING" }));
    }

    [Fact]
    public void CastRejectsAnUnknownTargetType()
    {
        var e = Assert.Throws<InvalidModelException>(() => Import("Cast", 13, new() { ["to"] = 17L }));
        Assert.Contains("not supported", e.Reason);
    }
}
