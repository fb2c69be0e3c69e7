using Pipeline.Graph.Ops;
using Pipeline.Graph.Ops.Elementwise;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Parallelism;
using static Pipeline.Tests.Graph.Ops.OpTestKit;

namespace Pipeline.Tests.Graph.Ops;

/// <summary>Add, Sub, Mul, Div, Sum, Mean and PRelu against naive broadcasting loops.</summary>
public sealed class ElementwiseTests
{
    private static readonly DataType[] AllTypes =
    [
        DataType.Float32, DataType.Float64, DataType.Float16, DataType.Int8, DataType.UInt8, DataType.Int16, DataType.UInt16,
        DataType.Int32, DataType.UInt32, DataType.Int64, DataType.UInt64,
    ];

    /// <summary>Two shapes that broadcast: dims of 1 on either side, rank mismatch, odd sizes.</summary>
    private static (int[] Out, int[] A, int[] B) RandomBroadcast(Random random)
    {
        int rank = random.Next(0, 5);
        int[] output = new int[rank];
        for (int i = 0; i < rank; i++) output[i] = random.Next(4) == 0 ? random.Next(6, 40) : random.Next(1, 6);
        int[] Derive()
        {
            int r = random.Next(0, rank + 1);
            var s = new int[r];
            for (int i = 0; i < r; i++) s[i] = random.Next(3) == 0 ? 1 : output[rank - r + i];
            return s;
        }
        int[] a = Derive(), b = Derive();
        return (Broadcast(a, b), a, b);
    }

    private static int[] Broadcast(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - rank + a.Length];
            int db = i < rank - b.Length ? 1 : b[i - rank + b.Length];
            r[i] = Math.Max(da, db);
        }
        return r;
    }

    /// <summary>The naive result of one element, wrapped to the type like numpy.</summary>
    private static double Expected(ArithmeticKind kind, DataType type, double a, double b)
    {
        switch (type)
        {
            case DataType.Float32:
            {
                float x = (float)a, y = (float)b;
                return kind switch { ArithmeticKind.Add => x + y, ArithmeticKind.Sub => x - y, ArithmeticKind.Mul => x * y, _ => x / y };
            }
            case DataType.Float16:
            {
                float x = (float)a, y = (float)b;
                return (double)(Half)(kind switch { ArithmeticKind.Add => x + y, ArithmeticKind.Sub => x - y, ArithmeticKind.Mul => x * y, _ => x / y });
            }
            case DataType.Float64:
                return kind switch { ArithmeticKind.Add => a + b, ArithmeticKind.Sub => a - b, ArithmeticKind.Mul => a * b, _ => a / b };
            case DataType.UInt64:
            {
                ulong x = (ulong)a, y = (ulong)b;
                return unchecked(kind switch { ArithmeticKind.Add => x + y, ArithmeticKind.Sub => x - y, ArithmeticKind.Mul => x * y, _ => y == 0 ? 0 : x / y });
            }
            default:
            {
                long x = (long)a, y = (long)b;
                long r = unchecked(kind switch { ArithmeticKind.Add => x + y, ArithmeticKind.Sub => x - y, ArithmeticKind.Mul => x * y, _ => y == 0 ? 0 : x / y });
                return Wrap(type, r);
            }
        }
    }

    private static double Wrap(DataType type, long v) => type switch
    {
        DataType.Int8 => (sbyte)v,
        DataType.UInt8 => (byte)v,
        DataType.Int16 => (short)v,
        DataType.UInt16 => (ushort)v,
        DataType.Int32 => (int)v,
        DataType.UInt32 => (uint)v,
        _ => v,
    };

    [Theory]
    [InlineData("Add")]
    [InlineData("Sub")]
    [InlineData("Mul")]
    [InlineData("Div")]
    public void ArithmeticMatchesNaiveBroadcastingOnEveryType(string name)
    {
        ArithmeticKind kind = Enum.Parse<ArithmeticKind>(name);
        var random = new Random(100 + (int)kind);
        foreach (DataType type in AllTypes)
        {
            for (int trial = 0; trial < 25; trial++)
            {
                (int[] shape, int[] sa, int[] sb) = RandomBroadcast(random);
                Tensor a = Random(random, type, sa, -60, 60);
                Tensor b = Random(random, type, sb, -60, 60);
                if (kind == ArithmeticKind.Div) b = NonZero(b);
                Tensor result = Run1(new ArithmeticOperator(kind), a, b);
                double[] av = ToDoubles(a), bv = ToDoubles(b);
                var expected = new double[Tensor.ElementCount(shape)];
                for (long i = 0; i < expected.Length; i++)
                {
                    int[] c = Coordinates(i, shape);
                    expected[i] = Expected(kind, type, av[BroadcastIndex(c, sa)], bv[BroadcastIndex(c, sb)]);
                }
                AssertClose(type, shape, expected, result, rtol: type == DataType.Float16 ? 1e-3 : 1e-12, atol: 0,
                    context: $"{kind} {type} {Axes(sa)} {Axes(sb)}");
            }
        }
    }

    private static Tensor NonZero(Tensor t)
    {
        Span<byte> bytes = t.AsBytes();
        int size = DataTypes.SizeOf(t.Type);
        for (int i = 0; i < t.Length; i++)
            if (At(t, i) == 0) Pipeline.Tensors.Numerics.ElementConversion.WriteFromDouble(t.Type, 3, bytes.Slice(i * size, size));
        return t;
    }

    [Fact]
    public void EveryLengthAndBroadcastFormOfFloatAdd()
    {
        var random = new Random(7);
        for (int n = 0; n <= 67; n++)
        {
            Tensor a = RandomFloat(random, [n]);
            Tensor b = RandomFloat(random, [n]);
            Tensor s = RandomFloat(random, [1]);
            float[] x = a.AsSpan<float>().ToArray(), y = b.AsSpan<float>().ToArray();
            float v = s.AsSpan<float>()[0];
            Assert.Equal(x.Zip(y, (p, q) => p + q).ToArray(), Run1(new ArithmeticOperator(ArithmeticKind.Add), a, b).AsSpan<float>().ToArray());
            Assert.Equal(x.Select(p => p - v).ToArray(), Run1(new ArithmeticOperator(ArithmeticKind.Sub), a, s).AsSpan<float>().ToArray());
            Assert.Equal(x.Select(p => v / p).ToArray(), Run1(new ArithmeticOperator(ArithmeticKind.Div), s, a).AsSpan<float>().ToArray());
        }
    }

    [Fact]
    public void AFusedActivationAppliesToTheResult()
    {
        var random = new Random(12);
        var activations = new[] { FusedActivation.Relu, FusedActivation.Relu6, new FusedActivation(ActivationKind.LeakyRelu, Alpha: 0.1f) };
        foreach (FusedActivation activation in activations)
        {
            Tensor a = RandomFloat(random, [2, 3, 37]);
            Tensor b = RandomFloat(random, [3, 1]);
            Tensor c = RandomFloat(random, [37]);
            var add = (Pipeline.Graph.IFusesActivation)new ArithmeticOperator(ArithmeticKind.Add);
            Assert.Equal(ActivationKind.None, add.Activation.Kind);
            Tensor sum = Run1(add.WithActivation(activation), a, b);
            var sum3 = (Pipeline.Graph.IFusesActivation)new VariadicOperator(mean: false);
            Tensor total = Run1(sum3.WithActivation(activation), a, b, c);
            Tensor mean = Run1(((Pipeline.Graph.IFusesActivation)new VariadicOperator(mean: true)).WithActivation(activation), a, b, c);
            var expected = new double[a.Length];
            var expectedTotal = new double[a.Length];
            var expectedMean = new double[a.Length];
            for (int i = 0; i < a.Length; i++)
            {
                float x = a.AsSpan<float>()[i], y = b.AsSpan<float>()[i / 37 % 3], z = c.AsSpan<float>()[i % 37];
                expected[i] = activation.Apply(x + y);
                expectedTotal[i] = activation.Apply(x + y + z);
                expectedMean[i] = activation.Apply((x + y + z) / 3);
            }
            AssertClose(DataType.Float32, [2, 3, 37], expected, sum, 0, 0, activation.ToString());
            AssertClose(DataType.Float32, [2, 3, 37], expectedTotal, total, 0, 0, activation.ToString());
            AssertClose(DataType.Float32, [2, 3, 37], expectedMean, mean, 1e-6, 1e-7, activation.ToString());
        }
        Tensor ints = Run1(((Pipeline.Graph.IFusesActivation)new ArithmeticOperator(ArithmeticKind.Sub)).WithActivation(FusedActivation.Relu),
            Tensor.Create(new[] { 1, 5, -3 }, 3), Tensor.Create(new[] { 2, 2, 2 }, 3));
        Assert.Equal(new[] { 0, 3, 0 }, ints.AsSpan<int>().ToArray());
    }

    [Fact]
    public void IntegerDivisionTruncatesAndNeverThrows()
    {
        Tensor a = Tensor.Create(new[] { 7, -7, 7, -7, int.MinValue, 5 }, 6);
        Tensor b = Tensor.Create(new[] { 2, 2, -2, -2, -1, 0 }, 6);
        Tensor q = Run1(new ArithmeticOperator(ArithmeticKind.Div), a, b);
        Assert.Equal(new[] { 3, -3, -3, 3, int.MinValue, 0 }, q.AsSpan<int>().ToArray());
    }

    [Fact]
    public unsafe void RunsInPlaceOnEitherInput()
    {
        var random = new Random(3);
        Tensor a = RandomFloat(random, [3, 37]);
        Tensor row = RandomFloat(random, [37]);
        float[] expected = new float[a.Length];
        for (int i = 0; i < expected.Length; i++) expected[i] = a.AsSpan<float>()[i] * row.AsSpan<float>()[i % 37];
        BroadcastLayout layout = BroadcastLayout.Create([3, 37], new[] { 3, 37 }, new[] { 37 });
        fixed (float* x = a.AsSpan<float>())
        fixed (float* y = row.AsSpan<float>())
            BroadcastBinaryKernel<float, MultiplyOperation<float>>.Execute(layout, x, y, x, TwoThreads);
        Assert.Equal(expected, a.AsSpan<float>().ToArray());
    }

    [Fact]
    public void LargeTensorsSplitOverThreadsGiveTheSameResult()
    {
        var random = new Random(11);
        Tensor a = RandomFloat(random, [3, 70001]);
        Tensor b = RandomFloat(random, [70001]);
        Tensor serial = Run(new ArithmeticOperator(ArithmeticKind.Add), [a, b], parallel: false)[0]!;
        Tensor parallel = Run1(new ArithmeticOperator(ArithmeticKind.Add), a, b);
        Assert.Equal(serial.AsSpan<float>().ToArray(), parallel.AsSpan<float>().ToArray());
    }

    [Fact]
    public void IncompatibleShapesFailNamingTheNode()
    {
        AssertInvalid(() => Run1(new ArithmeticOperator(ArithmeticKind.Add), Tensor.Zeros(DataType.Float32, 2, 3), Tensor.Zeros(DataType.Float32, 4)), "cannot be broadcast");
        AssertInvalid(() => Run1(new ArithmeticOperator(ArithmeticKind.Add), Tensor.Zeros(DataType.Float32, 2), Tensor.Zeros(DataType.Int32, 2)), "type");
        AssertInvalid(() => Run1(new VariadicOperator(mean: false), Tensor.Zeros(DataType.Float32, 3), Tensor.Zeros(DataType.Float32, 2, 2)));
        AssertInvalid(() => Run1(new PReluOperator(false), Tensor.Zeros(DataType.Float32, 2, 3), Tensor.Zeros(DataType.Float32, 2)));
    }

    [Fact]
    public void EmptyTensorsBroadcastToEmptyOutputs()
    {
        Tensor r = Run1(new ArithmeticOperator(ArithmeticKind.Mul), Tensor.Zeros(DataType.Float32, 0, 3), Tensor.Zeros(DataType.Float32, 3));
        Assert.Equal(new[] { 0, 3 }, r.ShapeArray());
    }

    [Fact]
    public void LegacyBroadcastAlignsAtTheAxis()
    {
        // Opset 6: B of shape [3] broadcast onto A [2, 3, 4] at axis 1.
        var op = Import("Add", 6, new() { ["broadcast"] = 1L, ["axis"] = 1L }, inputs: 2);
        var random = new Random(5);
        Tensor a = RandomFloat(random, [2, 3, 4]);
        Tensor b = RandomFloat(random, [3]);
        Tensor r = Run1(op, a, b);
        for (int i = 0; i < 24; i++)
            Assert.Equal(a.AsSpan<float>()[i] + b.AsSpan<float>()[i / 4 % 3], r.AsSpan<float>()[i]);
        AssertInvalid(() => Run1(Import("Add", 6, null, inputs: 2), a, b), "broadcast=1");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SumAndMeanAccumulateEveryInputWithBroadcasting(bool mean)
    {
        var random = new Random(mean ? 21 : 20);
        for (int trial = 0; trial < 30; trial++)
        {
            int count = random.Next(1, 5);
            (int[] shape, _, _) = RandomBroadcast(random);
            var inputs = new Tensor[count];
            var shapes = new int[count][];
            for (int k = 0; k < count; k++)
            {
                int r = random.Next(0, shape.Length + 1);
                shapes[k] = new int[r];
                for (int i = 0; i < r; i++) shapes[k][i] = random.Next(3) == 0 ? 1 : shape[shape.Length - r + i];
                inputs[k] = RandomFloat(random, shapes[k]);
            }
            int[] output = shapes.Aggregate(Array.Empty<int>(), Broadcast);
            Tensor result = Run1(new VariadicOperator(mean), inputs);
            var expected = new double[Tensor.ElementCount(output)];
            for (long i = 0; i < expected.Length; i++)
            {
                int[] c = Coordinates(i, output);
                float s = inputs[0].AsSpan<float>()[(int)BroadcastIndex(c, shapes[0])];
                for (int k = 1; k < count; k++) s += inputs[k].AsSpan<float>()[(int)BroadcastIndex(c, shapes[k])];
                expected[i] = mean ? s / count : s;
            }
            AssertClose(DataType.Float32, output, expected, result, rtol: 1e-6, atol: 1e-6);
        }
    }

    [Fact]
    public void PReluBroadcastsTheSlopeOntoTheInput()
    {
        var random = new Random(9);
        foreach (DataType type in new[] { DataType.Float32, DataType.Float64, DataType.Int32, DataType.Int64 })
        {
            for (int trial = 0; trial < 20; trial++)
            {
                int[] shape = RandomShape(random, random.Next(1, 5), 1, 9);
                int r = random.Next(0, shape.Length + 1);
                int[] slopeShape = shape[(shape.Length - r)..].Select(d => random.Next(2) == 0 ? 1 : d).ToArray();
                Tensor x = Random(random, type, shape, -20, 20);
                Tensor slope = Random(random, type, slopeShape, -3, 3);
                Tensor y = Run1(new PReluOperator(false), x, slope);
                double[] xv = ToDoubles(x), sv = ToDoubles(slope);
                var expected = new double[x.Length];
                for (long i = 0; i < expected.Length; i++)
                {
                    double v = xv[i];
                    expected[i] = v >= 0 ? v : v * sv[BroadcastIndex(Coordinates(i, shape), slopeShape)];
                }
                AssertClose(type, shape, expected, y, rtol: 1e-6, atol: 0);
            }
        }
    }

    [Fact]
    public void PReluBeforeOpset7AppliesAOneDimensionalSlopePerChannel()
    {
        Tensor x = Tensor.Create(new float[] { -1, -1, -1, -1, -1, -1 }, 1, 3, 2);
        Tensor slope = Tensor.Create(new float[] { 1, 2, 3 }, 3);
        Tensor y = Run1(Import("PRelu", 6, null, inputs: 2), x, slope);
        Assert.Equal(new float[] { -1, -1, -2, -2, -3, -3 }, y.AsSpan<float>().ToArray());
    }
}
