using Pipeline.Graph;
using Pipeline.Graph.Ops.Convolution;
using Pipeline.Graph.Ops.Pooling;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Parallelism;
using Pipeline.Tests.Tensors.Kernels;
using static Pipeline.Tests.Tensors.Kernels.KernelTestSupport;

namespace Pipeline.Tests.Graph.Ops;

public sealed class PoolTests
{
    [Theory]
    [InlineData("max", 1)]
    [InlineData("max", 2)]
    [InlineData("max", 3)]
    [InlineData("avg", 1)]
    [InlineData("avg", 2)]
    [InlineData("avg", 3)]
    [InlineData("lp", 2)]
    [InlineData("lp", 3)]
    public void RandomWindowsMatchNaive(string kind, int rank) => RandomWindows(kind, rank, rank == 3 ? 15 : 30);

    public static TheoryData<string> Isas => AllIsas;

    [Theory]
    [MemberData(nameof(Isas))]
    public void VectorPathsMatchNaiveOnEveryIsa(string isa)
    {
        using var scope = Use(isa);
        RandomWindows("max", 2, 25);
        RandomWindows("avg", 2, 25);
        RandomWindows("max", 1, 10);
        RandomWindows("avg", 1, 10);
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void StrideTwoRowsOfEveryWidthMatchNaive(string isa)
    {
        // SqueezeNet pools 27×27 to 13×13: rows narrower than one 16-lane vector of outputs, at stride 2.
        using var scope = Use(isa);
        using var pool = new WorkerPool(1);
        var rng = new Random(5);
        foreach (string kind in new[] { "max", "avg" })
            for (int width = 3; width <= 40; width++)
                foreach (int dilation in new[] { 1, 2 })
                {
                    int[] xShape = [1, 3, 5, width + 2 * dilation];
                    AssertPlaneMatchesNaive(kind, Random(rng, NaiveReference.Prod(xShape)), xShape, 3, 2, dilation, [0, 0], [0, 0], ceil: true, pool,
                        $"{isa} {kind} width {xShape[3]} dilation {dilation}");
                }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void PaddedRowsAtStrideOneAndTwoMatchNaive(string isa)
    {
        // Inception's modules pool 13×13, 27×27 and 6×6 maps with a padded 3×3 window at stride 1; ResNet's stem pools
        // 112×112 at stride 2, Inception's in ceil mode, ShuffleNet averages with padding: every row width, kernel width
        // and split of the padding, so the row and its windows end anywhere in a vector.
        using var scope = Use(isa);
        using var pool = new WorkerPool(1);
        var rng = new Random(13);
        foreach (int stride in new[] { 1, 2 })
        foreach ((string kind, bool includePad) in new[] { ("max", false), ("avg", false), ("avg", true) })
        foreach (bool ceil in new[] { false, true })
            for (int width = 1; width <= 70; width++)
                for (int k = 1; k <= 4; k++)
                    for (int padLeft = 0; padLeft < k; padLeft++)
                    {
                        int padRight = Math.Max(rng.Next(k), k - width - padLeft), padTop = rng.Next(k);
                        int[] xShape = [1, 2, 5, width];
                        AssertPlaneMatchesNaive(kind, Random(rng, NaiveReference.Prod(xShape)), xShape, k, stride, 1, [padTop, padLeft], [k - 1 - padTop, padRight],
                            ceil, pool, $"{isa} stride {stride} {kind} include pad {includePad} width {width} k {k} pads {padLeft},{padRight} ceil {ceil}", includePad);
                    }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void WideWindowsOverRowsOfUpToTwoVectorsMatchNaive(string isa)
    {
        // Rows of at most 32 columns at stride 1 keep the row in two registers, which holds for windows up to 17 wide;
        // 17 and 18 (the first too wide) on each side of that limit, rows of 1 to 34 columns, every left pad.
        using var scope = Use(isa);
        using var pool = new WorkerPool(1);
        var rng = new Random(17);
        foreach ((string kind, bool includePad) in new[] { ("max", false), ("avg", false), ("avg", true) })
            foreach (int kW in new[] { 16, 17, 18 })
                for (int width = 1; width <= 34; width++)
                    for (int padLeft = 0; padLeft < kW; padLeft += 1 + rng.Next(3))
                    {
                        int padRight = Math.Max(rng.Next(kW), kW - width - padLeft);
                        int[] xShape = [1, 2, 3, width];
                        float[] x = Random(rng, NaiveReference.Prod(xShape));
                        var window = new WindowAttributes([2, kW], [1, 1], [1, 1], [1, padLeft, 0, padRight], AutoPad.NotSet);
                        var op = new PoolOperator(kind == "max" ? PoolKind.Max : PoolKind.Average, window, false, includePad);
                        Tensor output = OperatorEvaluator.Evaluate(op, [Tensor.Create(x, xShape)], 1, pool: pool)[0]!;
                        var (values, _) = NaivePooling.Pool(kind, x, xShape, [2, kW], [1, 1], [1, 1], [1, padLeft], [0, padRight], output.ShapeArray()[2..], includePad);
                        AssertClose(values, output.AsSpan<float>(), 1e-5, 1e-5, $"{isa} {kind} include pad {includePad} width {width} kW {kW} pads {padLeft},{padRight}");
                    }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void ManyPlanesSplitOverThreadsAreEachPooledOnce(int threads)
    {
        // The planes are grouped into a few items per thread: 515 of them (not a multiple of any item count) must each
        // be pooled exactly once, none left unwritten and nothing written past the output.
        using var pool = new WorkerPool(threads);
        var rng = new Random(3);
        foreach (string kind in new[] { "max", "avg" })
        {
            int[] xShape = [1, 515, 13, 13];
            float[] x = Random(rng, NaiveReference.Prod(xShape));
            var window = new WindowAttributes([3, 3], [1, 1], [1, 1], [1, 1, 1, 1], AutoPad.NotSet);
            var op = new PoolOperator(kind == "max" ? PoolKind.Max : PoolKind.Average, window, false, false);
            Tensor output = OperatorEvaluator.Evaluate(op, [Tensor.Create(x, xShape)], 1, pool: pool)[0]!;
            var (values, _) = NaivePooling.Pool(kind, x, xShape, [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], [13, 13], false);
            AssertClose(values, output.AsSpan<float>(), 1e-5, 1e-5, $"{kind} on {threads} threads");
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void A_window_wholly_in_the_padding_gives_the_reductions_empty_value(string isa)
    {
        // Dilation 2 in height over one row padded by one on each side: both taps of the window's column fall in the
        // padding, so there is no row to reduce (the vector paths once read the rows before the plane here). Max gives
        // −∞ and average 0, as the scalar reference does.
        using var scope = Use(isa);
        using var pool = new WorkerPool(1);
        foreach ((PoolKind kind, bool includePad, float empty) in new[] { (PoolKind.Max, false, float.NegativeInfinity), (PoolKind.Average, false, 0f), (PoolKind.Average, true, 0f) })
            foreach (int stride in new[] { 1, 2 })
            {
                int[] xShape = [1, 2, 1, 4];
                float[] x = [1, 2, 3, 4, 5, 6, 7, 8];
                var window = new WindowAttributes([2, 3], [1, stride], [2, 1], [1, 1, 1, 1], AutoPad.NotSet);
                Tensor output = OperatorEvaluator.Evaluate(new PoolOperator(kind, window, false, includePad), [Tensor.Create(x, xShape)], 1, pool: pool)[0]!;
                Assert.Equal([1, 2, 1, stride == 1 ? 4 : 2], output.ShapeArray());
                Assert.All(output.AsSpan<float>().ToArray(), v => Assert.Equal(empty, v));
            }
    }

    [Theory]
    [InlineData("max")]
    [InlineData("avg")]
    public void A_very_long_row_pools_at_stride_2_without_exhausting_the_stack(string kind)
    {
        // A raw signal of 2 million samples: the vector paths keep per-column state on the stack only for rows up to
        // their bound, so this one must take the tap loop (sized for an 8 MB stack, it overflowed on a worker thread).
        using var pool = new WorkerPool(2);
        var rng = new Random(19);
        int[] xShape = [2, 1, 2_000_001];
        float[] x = Random(rng, NaiveReference.Prod(xShape));
        var window = new WindowAttributes([3], [2], [1], [1, 1], AutoPad.NotSet);
        var op = new PoolOperator(kind == "max" ? PoolKind.Max : PoolKind.Average, window, false, false);
        Tensor output = OperatorEvaluator.Evaluate(op, [Tensor.Create(x, xShape)], 1, pool: pool)[0]!;
        var (values, _) = NaivePooling.Pool(kind, x, xShape, [3], [2], [1], [1], [1], output.ShapeArray()[2..], false);
        AssertClose(values, output.AsSpan<float>(), 1e-5, 1e-5, kind);
    }

    [Theory]
    [InlineData("max")]
    [InlineData("avg")]
    public void A_window_over_the_whole_plane_matches_naive(string kind)
    {
        // MobileNet and ResNet end in a 7×7 AveragePool over a 7×7 map: it runs as a global pool.
        using var pool = new WorkerPool(2);
        var rng = new Random(11);
        foreach (int[] size in new[] { new[] { 7, 7 }, new[] { 1, 13 }, new[] { 5, 3 }, new[] { 9 } })
        {
            int[] xShape = [2, 37, .. size];
            float[] x = Random(rng, NaiveReference.Prod(xShape));
            int[] ones = size.Select(_ => 1).ToArray(), zeros = size.Select(_ => 0).ToArray();
            var window = new WindowAttributes(size, ones, ones, [.. zeros, .. zeros], AutoPad.NotSet);
            var op = new PoolOperator(kind == "max" ? PoolKind.Max : PoolKind.Average, window, false, false, 0, 2f);
            Tensor output = OperatorEvaluator.Evaluate(op, [Tensor.Create(x, xShape)], 1, pool: pool)[0]!;
            Assert.Equal([2, 37, .. ones], output.ShapeArray());
            var (values, _) = NaivePooling.Pool(kind, x, xShape, size, ones, ones, zeros, zeros, ones, false);
            AssertClose(values, output.AsSpan<float>(), 1e-5, 1e-5, $"{kind} {string.Join("x", size)}");
        }
    }

    /// <summary>A square k×k window at the given stride and dilation over 2-d planes, against the naive reference (max exactly).</summary>
    private static void AssertPlaneMatchesNaive(string kind, float[] x, int[] xShape, int k, int stride, int dilation, int[] padsBegin, int[] padsEnd,
        bool ceil, WorkerPool pool, string what, bool countIncludePad = false)
    {
        var window = new WindowAttributes([k, k], [stride, stride], [dilation, dilation], [.. padsBegin, .. padsEnd], AutoPad.NotSet);
        var op = new PoolOperator(kind == "max" ? PoolKind.Max : PoolKind.Average, window, ceil, countIncludePad);
        Tensor output = OperatorEvaluator.Evaluate(op, [Tensor.Create(x, xShape)], 1, pool: pool)[0]!;
        var (values, _) = NaivePooling.Pool(kind, x, xShape, [k, k], [stride, stride], [dilation, dilation], padsBegin, padsEnd, output.ShapeArray()[2..], countIncludePad);
        double tolerance = kind == "max" ? 0 : 1e-5;
        AssertClose(values, output.AsSpan<float>(), tolerance, tolerance, what);
    }

    private static void RandomWindows(string kind, int rank, int rounds)
    {
        var rng = new Random(rank * 31 + kind.Length + (KernelIsa.Override is { } o ? (int)o * 7 : 0));
        using var pool = new WorkerPool(2);
        for (int round = 0; round < rounds; round++)
        {
            var k = new int[rank];
            var s = new int[rank];
            var d = new int[rank];
            var pb = new int[rank];
            var pe = new int[rank];
            var inSize = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                k[i] = 1 + rng.Next(rank == 3 ? 3 : 4);
                s[i] = 1 + rng.Next(3);
                d[i] = rng.Next(4) == 0 ? 2 : 1;
                int extent = (k[i] - 1) * d[i] + 1;
                pb[i] = rng.Next(extent);
                pe[i] = rng.Next(extent);
                inSize[i] = extent + rng.Next(rank == 3 ? 5 : rank == 2 ? 40 : 70);
            }
            bool ceil = rng.Next(2) == 0, includePad = rng.Next(2) == 0;
            int[] xShape = [1 + rng.Next(2), 1 + rng.Next(5), .. inSize];
            float[] x = Random(rng, NaiveReference.Prod(xShape));
            var window = new WindowAttributes(k, s, d, [.. pb, .. pe], AutoPad.NotSet);
            var op = new PoolOperator(kind switch { "max" => PoolKind.Max, "avg" => PoolKind.Average, _ => PoolKind.Lp }, window, ceil, includePad, 0, 2f);
            bool wantIndices = kind == "max" && rng.Next(2) == 0;
            Tensor?[] outputs = OperatorEvaluator.Evaluate(op, [Tensor.Create(x, xShape)], wantIndices ? 2 : 1, pool: pool);
            int[] outSize = outputs[0]!.ShapeArray()[2..];
            for (int i = 0; i < rank; i++)
            {
                int padded = inSize[i] + pb[i] + pe[i], extent = (k[i] - 1) * d[i] + 1;
                int expected = ceil ? (int)Math.Ceiling((padded - extent) / (double)s[i]) + 1 : (padded - extent) / s[i] + 1;
                if (ceil && (expected - 1) * s[i] >= inSize[i] + pb[i]) expected--;
                Assert.Equal(expected, outSize[i]);
            }
            var (values, indices) = NaivePooling.Pool(kind, x, xShape, k, s, d, pb, pe, outSize, includePad);
            string what = $"{kind} in={string.Join("x", inSize)} k={string.Join("x", k)} s={string.Join("x", s)} d={string.Join("x", d)} p={string.Join(",", pb)}|{string.Join(",", pe)} ceil={ceil} inc={includePad}";
            AssertClose(values, outputs[0]!.AsSpan<float>(), 1e-5, 1e-5, what);
            if (wantIndices) Assert.Equal(indices, outputs[1]!.AsSpan<long>().ToArray());
        }
    }

    [Fact]
    public void MaxPoolOnBytesAndColumnMajorIndices()
    {
        var rng = new Random(4);
        byte[] x = new byte[2 * 3 * 7 * 6];
        rng.NextBytes(x);
        var window = new WindowAttributes([3, 2], [2, 1], null, [1, 0, 1, 1], AutoPad.NotSet);
        Tensor?[] outputs = OperatorEvaluator.Evaluate(new PoolOperator(PoolKind.Max, window, false, storageOrder: 1), [Tensor.Create(x, 2, 3, 7, 6)], 2);
        float[] asFloat = x.Select(b => (float)b).ToArray();
        var (values, indices) = NaivePooling.Pool("max", asFloat, [2, 3, 7, 6], [3, 2], [2, 1], [1, 1], [1, 0], [1, 1], outputs[0]!.ShapeArray()[2..], false);
        Assert.Equal(values.Select(v => (byte)v).ToArray(), outputs[0]!.AsSpan<byte>().ToArray());
        // storage_order 1: the index within a plane counts down columns first.
        long[] columnMajor = indices.Select(i => i / 42 * 42 + i % 42 % 6 * 7 + i % 42 / 6).ToArray();
        Assert.Equal(columnMajor, outputs[1]!.AsSpan<long>().ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GlobalPoolsMatchNaive(bool max)
    {
        var rng = new Random(9);
        float[] x = Random(rng, 3 * 5 * 7 * 9);
        Tensor y = OperatorEvaluator.Evaluate(new GlobalPoolOperator(max), [Tensor.Create(x, 3, 5, 7, 9)])[0]!;
        Assert.Equal([3, 5, 1, 1], y.ShapeArray());
        var expected = new double[15];
        for (int p = 0; p < 15; p++)
        {
            var plane = x.Skip(p * 63).Take(63);
            expected[p] = max ? plane.Max() : plane.Average(v => (double)v);
        }
        AssertClose(expected, y.AsSpan<float>(), 1e-5, 1e-6);
    }
}
