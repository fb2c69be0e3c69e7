using Pipeline.Graph;
using Pipeline.Graph.Ops.Shape;
using Pipeline.Tensors;
using static Pipeline.Tests.Graph.Ops.OpTestKit;

namespace Pipeline.Tests.Graph.Ops;

/// <summary>Shape and data-movement operators against naive index arithmetic.</summary>
public sealed class ShapeOpsTests
{
    private static Tensor Longs(params long[] values) => Tensor.Create(values, values.Length);

    private static int[] ReshapeShape(int[] input, long[] target, bool allowZero = false)
    {
        Tensor x = Tensor.Zeros(DataType.Float32, input);
        Operator op = Import("Reshape", 14, new() { ["allowzero"] = allowZero ? 1L : 0L }, inputs: 2);
        Tensor y = Run1(op, x, Longs(target));
        return y.ShapeArray();
    }

    [Fact]
    public void ReshapeAppliesZeroAndMinusOne()
    {
        Assert.Equal(new[] { 2, 12 }, ReshapeShape([2, 3, 4], [0, -1]));
        Assert.Equal(new[] { 4, 3, 2 }, ReshapeShape([2, 3, 4], [4, 3, -1]));
        Assert.Equal(new[] { 2, 3, 1, 4 }, ReshapeShape([2, 3, 4], [0, 0, 1, -1]));
        Assert.Equal(new[] { 24 }, ReshapeShape([2, 3, 4], [-1]));
        Assert.Equal(new[] { 3, 4, 0 }, ReshapeShape([0, 3, 4], [3, 4, 0], allowZero: true));
        Assert.Equal(new[] { 0, 3, 4 }, ReshapeShape([0, 3, 4], [0, 3, 4]));
    }

    [Fact]
    public void ReshapeKeepsTheElementsAndAliasesItsInput()
    {
        var random = new Random(1);
        Tensor x = RandomFloat(random, [2, 3, 4]);
        Operator op = Import("Reshape", 13, null, inputs: 2);
        Assert.Equal(0, op.AliasedInput);
        Assert.Equal(x.AsSpan<float>().ToArray(), Run1(op, x, Longs(6, 4)).AsSpan<float>().ToArray());
        Assert.Equal(new[] { 6, 4 }, Run1(Import("Reshape", 4, new() { ["shape"] = new long[] { 6, -1 } }), x).ShapeArray());
    }

    [Theory]
    [InlineData(new long[] { 5, 5 }, "cannot reshape")]
    [InlineData(new long[] { -1, -1 }, "more than one -1")]
    [InlineData(new long[] { 2, -2 }, "invalid dimension")]
    [InlineData(new long[] { 0, 0, 0, 0 }, "rank")]
    [InlineData(new long[] { 7, -1 }, "cannot reshape")]
    public void AReshapeThatDoesNotFitFails(long[] target, string reason)
        => AssertInvalid(() => Run1(Import("Reshape", 14, null, inputs: 2), Tensor.Zeros(DataType.Float32, 2, 3, 4), Longs(target)), reason);

    [Fact]
    public void ReshapeRejectsMinusOneWithAllowZeroZero()
        => AssertInvalid(() => Run1(Import("Reshape", 14, new() { ["allowzero"] = 1L }, inputs: 2), Tensor.Zeros(DataType.Float32, 0, 3), Longs(0, -1)), "-1 and 0");

    [Fact]
    public void FlattenAcceptsEveryAxisFromMinusRankToRank()
    {
        int[] shape = [2, 3, 4, 5];
        Tensor x = Tensor.Zeros(DataType.Float32, shape);
        for (int axis = -4; axis <= 4; axis++)
        {
            int a = axis < 0 ? axis + 4 : axis;
            int outer = shape[..a].Aggregate(1, (p, d) => p * d);
            Assert.Equal(new[] { outer, 120 / outer }, Run1(Import("Flatten", 13, new() { ["axis"] = (long)axis }), x).ShapeArray());
        }
        AssertInvalid(() => Run1(Import("Flatten", 13, new() { ["axis"] = 5L }), x), "axis 5");
    }

    [Fact]
    public void SqueezeAndUnsqueezeInBothForms()
    {
        Tensor x = Tensor.Zeros(DataType.Float32, 1, 3, 1, 5);
        Assert.Equal(new[] { 3, 5 }, Run1(Import("Squeeze", 13, null, inputs: 1), x).ShapeArray());
        Assert.Equal(new[] { 1, 3, 5 }, Run1(Import("Squeeze", 13, null, inputs: 2), x, Longs(-2)).ShapeArray());
        Assert.Equal(new[] { 3, 1, 5 }, Run1(Import("Squeeze", 11, new() { ["axes"] = new long[] { 0 } }), x).ShapeArray());
        AssertInvalid(() => Run1(Import("Squeeze", 13, null, inputs: 2), x, Longs(1)), "size 3");

        Tensor y = Tensor.Zeros(DataType.Float32, 3, 4, 5);
        Assert.Equal(new[] { 3, 4, 1, 5, 1, 1 }, Run1(Import("Unsqueeze", 13, null, inputs: 2), y, Longs(5, 4, 2)).ShapeArray());
        Assert.Equal(new[] { 1, 3, 4, 5, 1 }, Run1(Import("Unsqueeze", 13, null, inputs: 2), y, Longs(0, -1)).ShapeArray());
        Assert.Equal(new[] { 3, 1, 4, 5 }, Run1(Import("Unsqueeze", 11, new() { ["axes"] = new long[] { 1 } }), y).ShapeArray());
        AssertInvalid(() => Run1(Import("Unsqueeze", 13, null, inputs: 2), y, Longs(1, 1)), "twice");
        AssertInvalid(() => Run1(Import("Unsqueeze", 13, null, inputs: 2), y, Longs(5)), "out of range");
    }

    [Fact]
    public void ConcatJoinsAlongEveryAxis()
    {
        var random = new Random(4);
        foreach (DataType type in new[] { DataType.Float32, DataType.Int64, DataType.UInt8, DataType.Float16 })
        {
            for (int trial = 0; trial < 20; trial++)
            {
                int rank = random.Next(1, 5);
                int axis = random.Next(-rank, rank);
                int a = axis < 0 ? axis + rank : axis;
                int[] baseShape = RandomShape(random, rank, 1, 5);
                int count = random.Next(1, 4);
                var inputs = new Tensor[count];
                for (int k = 0; k < count; k++)
                {
                    int[] s = (int[])baseShape.Clone();
                    s[a] = random.Next(0, 4);
                    inputs[k] = Random(random, type, s);
                }
                Tensor y = Run1(Import("Concat", 13, new() { ["axis"] = (long)axis }, inputs: count), inputs);
                int[] outShape = (int[])baseShape.Clone();
                outShape[a] = inputs.Sum(t => t.Shape[a]);
                var expected = new double[Tensor.ElementCount(outShape)];
                for (long i = 0; i < expected.Length; i++)
                {
                    int[] c = Coordinates(i, outShape);
                    int k = 0;
                    while (c[a] >= inputs[k].Shape[a]) { c[a] -= inputs[k].Shape[a]; k++; }
                    expected[i] = At(inputs[k], Flat(c, inputs[k].ShapeArray()));
                }
                AssertClose(type, outShape, expected, y, 0, 0);
            }
        }
        AssertInvalid(() => Run1(Import("Concat", 13, new() { ["axis"] = 0L }, inputs: 2), Tensor.Zeros(DataType.Float32, 2, 3), Tensor.Zeros(DataType.Float32, 2, 4)), "outside axis");
    }

    private static IEnumerable<int[]> Permutations(int n)
    {
        if (n == 0) { yield return []; yield break; }
        foreach (int[] p in Permutations(n - 1))
            for (int i = 0; i <= p.Length; i++)
            {
                var q = new List<int>(p);
                q.Insert(i, n - 1);
                yield return q.ToArray();
            }
    }

    [Fact]
    public void TransposeMatchesNaiveIndexingForEveryPermutation()
    {
        var random = new Random(6);
        foreach (int rank in new[] { 1, 2, 3, 4, 5 })
            foreach (int[] perm in Permutations(rank))
                foreach (DataType type in new[] { DataType.Float32, DataType.UInt8, DataType.Int64, DataType.Float16 })
                {
                    int[] shape = RandomShape(random, rank, 1, rank <= 3 ? 9 : 4);
                    CheckTranspose(random, type, shape, perm);
                }
    }

    [Theory]
    [InlineData(new[] { 1, 64, 56, 56 }, new[] { 0, 2, 3, 1 })]   // NCHW → NHWC
    [InlineData(new[] { 2, 56, 56, 64 }, new[] { 0, 3, 1, 2 })]   // NHWC → NCHW
    [InlineData(new[] { 1, 3, 77, 33 }, new[] { 0, 2, 3, 1 })]    // partial tiles
    [InlineData(new[] { 1, 2, 58, 28, 28 }, new[] { 0, 2, 1, 3, 4 })] // channel shuffle
    [InlineData(new[] { 17, 1, 31 }, new[] { 2, 1, 0 })]
    [InlineData(new[] { 2, 13, 5, 9 }, new[] { 0, 2, 3, 1 })]     // 8×8 register blocks with ragged edges on both sides
    [InlineData(new[] { 1, 45, 3, 13 }, new[] { 0, 3, 1, 2 })]
    [InlineData(new[] { 37, 21 }, new[] { 1, 0 })]
    [InlineData(new[] { 1, 224, 224, 3 }, new[] { 0, 3, 1, 2 })]  // an image's channels first: gathered, many row chunks
    [InlineData(new[] { 3, 45, 7, 5 }, new[] { 0, 3, 1, 2 })]     // gathered rows with a ragged end, several images
    [InlineData(new[] { 2, 4099, 16 }, new[] { 0, 2, 1 })]        // the widest gathered case, across a chunk boundary
    [InlineData(new[] { 2, 17, 1 }, new[] { 0, 2, 1 })]
    public void TransposeFastPathsMatchNaiveIndexing(int[] shape, int[] perm) => CheckTranspose(new Random(3), DataType.Float32, shape, perm);

    private static void CheckTranspose(Random random, DataType type, int[] shape, int[] perm)
    {
        Tensor x = Random(random, type, shape);
        Tensor y = Run1(Import("Transpose", 13, new() { ["perm"] = perm.Select(p => (long)p).ToArray() }), x);
        int[] outShape = perm.Select(p => shape[p]).ToArray();
        double[] xv = ToDoubles(x);
        var expected = new double[x.Length];
        for (long i = 0; i < expected.Length; i++)
        {
            int[] c = Coordinates(i, outShape);
            var source = new int[shape.Length];
            for (int d = 0; d < perm.Length; d++) source[perm[d]] = c[d];
            expected[i] = xv[Flat(source, shape)];
        }
        AssertClose(type, outShape, expected, y, 0, 0, $"perm [{string.Join(",", perm)}] of {Axes(shape)}");
    }

    [Fact]
    public void TransposeDefaultsToReversedAxesAndRejectsBadPerms()
    {
        Assert.Equal(new[] { 4, 3, 2 }, Run1(Import("Transpose", 13), Tensor.Zeros(DataType.Float32, 2, 3, 4)).ShapeArray());
        AssertInvalid(() => Run1(Import("Transpose", 13, new() { ["perm"] = new long[] { 0, 0, 1 } }), Tensor.Zeros(DataType.Float32, 2, 3, 4)), "twice");
        AssertInvalid(() => Run1(Import("Transpose", 13, new() { ["perm"] = new long[] { 0, 1 } }), Tensor.Zeros(DataType.Float32, 2, 3, 4)), "entries");
    }

    [Fact]
    public void GatherPicksAlongTheAxisWithNegativeIndices()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 40; trial++)
        {
            int rank = random.Next(1, 4);
            int[] shape = RandomShape(random, rank, 1, 6);
            int axis = random.Next(-rank, rank);
            int a = axis < 0 ? axis + rank : axis;
            int[] indexShape = RandomShape(random, random.Next(0, 3), 1, 4);
            bool wide = random.Next(2) == 0;
            long[] idx = Enumerable.Range(0, (int)Tensor.ElementCount(indexShape)).Select(_ => (long)random.Next(-shape[a], shape[a])).ToArray();
            Tensor indices = wide ? Tensor.Create(idx, indexShape) : Tensor.Create(idx.Select(v => (int)v).ToArray(), indexShape);
            Tensor data = RandomFloat(random, shape);
            Tensor y = Run1(Import("Gather", 13, new() { ["axis"] = (long)axis }, inputs: 2), data, indices);
            int[] outShape = [.. shape[..a], .. indexShape, .. shape[(a + 1)..]];
            var expected = new double[Tensor.ElementCount(outShape)];
            for (long i = 0; i < expected.Length; i++)
            {
                int[] c = Coordinates(i, outShape);
                int[] ic = c[a..(a + indexShape.Length)];
                long index = idx[Flat(ic, indexShape)];
                int[] source = [.. c[..a], (int)(index < 0 ? index + shape[a] : index), .. c[(a + indexShape.Length)..]];
                expected[i] = data.AsSpan<float>()[(int)Flat(source, shape)];
            }
            AssertClose(DataType.Float32, outShape, expected, y, 0, 0);
        }
    }

    [Fact]
    public void AnIndexOutOfRangeFailsTheRunNamingTheNode()
    {
        Tensor data = Tensor.Zeros(DataType.Float32, 3, 2);
        AssertInvalid(() => Run1(Import("Gather", 13, null, inputs: 2), data, Longs(3)), "index 3");
        AssertInvalid(() => Run1(Import("Gather", 13, null, inputs: 2), data, Longs(-4)), "index -4");
        AssertInvalid(() => Run1(Import("GatherElements", 13, null, inputs: 2), data, Tensor.Create(new long[] { 0, 5 }, 1, 2)), "index 5");
    }

    [Fact]
    public void GatherElementsReplacesTheAxisCoordinate()
    {
        var random = new Random(8);
        for (int trial = 0; trial < 40; trial++)
        {
            int rank = random.Next(1, 4);
            int[] shape = RandomShape(random, rank, 1, 5);
            int axis = random.Next(-rank, rank);
            int a = axis < 0 ? axis + rank : axis;
            int[] indexShape = shape.Select((d, i) => i == a ? random.Next(1, 6) : random.Next(1, d + 1)).ToArray();
            long[] idx = Enumerable.Range(0, (int)Tensor.ElementCount(indexShape)).Select(_ => (long)random.Next(-shape[a], shape[a])).ToArray();
            Tensor data = RandomFloat(random, shape);
            Tensor y = Run1(Import("GatherElements", 13, new() { ["axis"] = (long)axis }, inputs: 2), data, Tensor.Create(idx, indexShape));
            var expected = new double[idx.Length];
            for (long i = 0; i < expected.Length; i++)
            {
                int[] c = Coordinates(i, indexShape);
                c[a] = (int)(idx[i] < 0 ? idx[i] + shape[a] : idx[i]);
                expected[i] = data.AsSpan<float>()[(int)Flat(c, shape)];
            }
            AssertClose(DataType.Float32, indexShape, expected, y, 0, 0);
        }
    }

    [Fact]
    public void ExpandBroadcastsInBothDirections()
    {
        var random = new Random(9);
        Tensor x = RandomFloat(random, [3, 1]);
        Tensor y = Run1(Import("Expand", 13, null, inputs: 2), x, Longs(2, 1, 6));
        Assert.Equal(new[] { 2, 3, 6 }, y.ShapeArray());
        for (int i = 0; i < 36; i++) Assert.Equal(x.AsSpan<float>()[i / 6 % 3], y.AsSpan<float>()[i]);
        Assert.Equal(new[] { 3, 4 }, Run1(Import("Expand", 13, null, inputs: 2), x, Longs(1, 4)).ShapeArray());
        AssertInvalid(() => Run1(Import("Expand", 13, null, inputs: 2), x, Longs(2, 2)), "cannot be expanded");
    }

    [Fact]
    public void ShapeSlicesWithClampedStartAndEnd()
    {
        Tensor x = Tensor.Zeros(DataType.Float32, 3, 4, 5);
        long[] Shape(long? start, long? end)
        {
            var attributes = new Dictionary<string, object>();
            if (start is { } s) attributes["start"] = s;
            if (end is { } e) attributes["end"] = e;
            return Run1(Import("Shape", 15, attributes), x).AsSpan<long>().ToArray();
        }
        Assert.Equal(new long[] { 3, 4, 5 }, Shape(null, null));
        Assert.Equal(new long[] { 4, 5 }, Shape(1, null));
        Assert.Equal(new long[] { 3, 4 }, Shape(null, -1));
        Assert.Equal(new long[] { 3, 4, 5 }, Shape(-10, 10));
        Assert.Equal(Array.Empty<long>(), Shape(2, 1));
        Assert.Equal(new long[] { 3, 4, 5 }, Run1(Import("Shape", 13, new() { ["start"] = 1L }), x).AsSpan<long>().ToArray());
    }

    [Fact]
    public void ConstantAndConstantOfShape()
    {
        Assert.Equal(new[] { 1.5f, 2f }, Run(Import("Constant", 13, new() { ["value_floats"] = new[] { 1.5f, 2f } }, inputs: 0), [])[0]!.AsSpan<float>().ToArray());
        Assert.Equal(new long[] { 7 }, Run(Import("Constant", 13, new() { ["value_int"] = 7L }, inputs: 0), [])[0]!.AsSpan<long>().ToArray());
        Tensor value = Tensor.Create(new[] { 1, 2, 3, 4 }, 2, 2);
        Assert.Same(value, ((ConstantOperator)Import("Constant", 13, new() { ["value"] = value }, inputs: 0)).Value);

        Tensor ones = Run1(Import("ConstantOfShape", 20, new() { ["value"] = Tensor.Create(new[] { 1f }, 1) }), Longs(4, 3, 2));
        Assert.Equal(new[] { 4, 3, 2 }, ones.ShapeArray());
        Assert.All(ones.AsSpan<float>().ToArray(), v => Assert.Equal(1f, v));
        Tensor zeros = Run1(Import("ConstantOfShape", 20), Longs(0));
        Assert.Equal(DataType.Float32, zeros.Type);
        Assert.Equal(0, zeros.Length);
        Tensor ints = Run1(Import("ConstantOfShape", 20, new() { ["value"] = Tensor.Create(new[] { 7L }, 1) }), Longs(2, 3));
        Assert.All(ints.AsSpan<long>().ToArray(), v => Assert.Equal(7L, v));
        AssertInvalid(() => Run1(Import("ConstantOfShape", 20), Longs(-1)), "invalid dimension");
    }

    [Fact]
    public void DropoutIsTheIdentityWithAnAllOnesMask()
    {
        var random = new Random(10);
        Tensor x = RandomFloat(random, [3, 4]);
        Operator plain = Import("Dropout", 13);
        Assert.Equal(0, plain.AliasedInput);
        Operator withMask = Import("Dropout", 13, null, outputs: 2);
        Assert.Equal(-1, withMask.AliasedInput);
        Tensor?[] outputs = Run(withMask, [x], outputs: 2);
        Assert.Equal(x.AsSpan<float>().ToArray(), outputs[0]!.AsSpan<float>().ToArray());
        Assert.Equal(DataType.Bool, outputs[1]!.Type);
        Assert.All(outputs[1]!.AsSpan<bool>().ToArray(), Assert.True);
        Tensor?[] old = Run(Import("Dropout", 7, new() { ["ratio"] = 0.3f }, outputs: 2), [x], outputs: 2);
        Assert.Equal(DataType.Float32, old[1]!.Type);
        var training = Import("Dropout", 13, null, inputs: 3);
        AssertInvalid(() => Run1(training, x, Tensor.Create(new[] { 0.5f }), Tensor.Create(new[] { true })), "training-mode");
        Assert.Equal(x.AsSpan<float>().ToArray(), Run1(training, x, Tensor.Create(new[] { 0.5f }), Tensor.Create(new[] { false })).AsSpan<float>().ToArray());
    }

    [Fact]
    public void IdentityAliasesItsInput()
    {
        Tensor x = Tensor.Create(new[] { 1, 2, 3 }, 3);
        Assert.Equal(0, Import("Identity", 13).AliasedInput);
        Assert.Equal(new[] { 1, 2, 3 }, Run1(Import("Identity", 13), x).AsSpan<int>().ToArray());
    }
}
