using Pipeline.Graph;
using Pipeline.Graph.Ops.Matrix;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Parallelism;
using Pipeline.Tests.Tensors.Kernels;
using static Pipeline.Tests.Tensors.Kernels.KernelTestSupport;

namespace Pipeline.Tests.Graph.Ops;

public sealed class MatrixTests
{
    public static TheoryData<string> Isas => AllIsas;

    [Theory]
    [MemberData(nameof(Isas))]
    public void GemmMatchesNaiveForEveryAttributeAndBiasShape(string isa)
    {
        using var scope = Use(isa);
        var rng = new Random(61 + isa.Length);
        using var pool = new WorkerPool(2);
        for (int round = 0; round < 40; round++)
        {
            int m = 1 + rng.Next(40), n = 1 + rng.Next(70), k = 1 + rng.Next(90);
            bool ta = rng.Next(2) == 0, tb = rng.Next(2) == 0;
            float alpha = rng.Next(2) == 0 ? 1f : 0.5f + (float)rng.NextDouble(), beta = rng.Next(2) == 0 ? 1f : (float)rng.NextDouble() - 0.5f;
            int[][] cShapes = [[], [n], [1, n], [m, 1], [m, n], [1, 1], [1]];
            int[]? cShape = rng.Next(5) == 0 ? null : cShapes[rng.Next(cShapes.Length)];
            float[] a = Random(rng, m * k), b = Random(rng, k * n);
            float[]? c = cShape is null ? null : Random(rng, NaiveReference.Prod(cShape));
            var act = rng.Next(3) == 0 ? FusedActivation.Relu : FusedActivation.None;
            Operator op = new GemmOperator(alpha, beta, ta, tb);
            if (act.Kind != ActivationKind.None) op = ((IFusesActivation)op).WithActivation(act);
            Tensor y = OperatorEvaluator.Evaluate(op, [Tensor.Create(a, ta ? [k, m] : [m, k]), Tensor.Create(b, tb ? [n, k] : [k, n]),
                c is null ? null : Tensor.Create(c, cShape!)], pool: pool)[0]!;
            Assert.Equal([m, n], y.ShapeArray());
            var expected = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++) sum += (double)a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
                    sum *= alpha;
                    if (c is not null)
                    {
                        int ci = cShape!.Length == 2 ? (cShape[0] == 1 ? 0 : i) * cShape[1] + (cShape[1] == 1 ? 0 : j) : cShape.Length == 1 && cShape[0] == n && n > 1 ? j : 0;
                        sum += beta * c[ci];
                    }
                    expected[i * n + j] = act.Apply((float)sum);
                }
            AssertClose(expected, y.AsSpan<float>(), 1e-4, 1e-4 * Math.Sqrt(k), $"{isa} {m}x{n}x{k} tA={ta} tB={tb} C=[{string.Join(",", cShape ?? [])}]");
        }
    }

    [Theory]
    [InlineData(new[] { 5 }, new[] { 5 })]
    [InlineData(new[] { 7 }, new[] { 2, 7, 3 })]
    [InlineData(new[] { 4, 7 }, new[] { 7, 3 })]
    [InlineData(new[] { 2, 4, 7 }, new[] { 2, 7, 3 })]
    [InlineData(new[] { 2, 3, 4, 7 }, new[] { 2, 3, 7, 5 })]
    [InlineData(new[] { 2, 3, 4, 7 }, new[] { 7 })]
    [InlineData(new[] { 3, 1, 4, 7 }, new[] { 2, 7, 5 })]
    [InlineData(new[] { 1, 4, 7 }, new[] { 3, 7, 5 })]
    [InlineData(new[] { 3, 17, 33 }, new[] { 33, 40 })]
    public void MatMulBroadcastsLikeNumpy(int[] aShape, int[] bShape)
    {
        var rng = new Random(aShape.Length * 10 + bShape.Length);
        float[] a = Random(rng, NaiveReference.Prod(aShape)), b = Random(rng, NaiveReference.Prod(bShape));
        using var pool = new WorkerPool(2);
        Tensor y = OperatorEvaluator.Evaluate(new MatMulOperator(), [Tensor.Create(a, aShape), Tensor.Create(b, bShape)], pool: pool)[0]!;

        // numpy: promote 1-d operands, broadcast the batch, multiply, drop the promoted axes.
        int[] pa = aShape.Length == 1 ? [1, aShape[0]] : aShape, pb = bShape.Length == 1 ? [bShape[0], 1] : bShape;
        int m = pa[^2], k = pa[^1], n = pb[^1];
        int rank = Math.Max(pa.Length, pb.Length) - 2;
        int[] batch = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - (pa.Length - 2)) >= 0 ? pa[i - (rank - (pa.Length - 2))] : 1;
            int db = i - (rank - (pb.Length - 2)) >= 0 ? pb[i - (rank - (pb.Length - 2))] : 1;
            batch[i] = Math.Max(da, db);
        }
        var expectedShape = new List<int>(batch);
        if (aShape.Length > 1) expectedShape.Add(m);
        if (bShape.Length > 1) expectedShape.Add(n);
        Assert.Equal(expectedShape.ToArray(), y.ShapeArray());
        int count = NaiveReference.Prod(batch);
        var expected = new double[count * m * n];
        var idx = new int[rank];
        for (int t = 0; t < count; t++)
        {
            NaiveReference.Unravel(t, batch, idx);
            long ao = Offset(idx, pa), bo = Offset(idx, pb);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double)a[ao + i * k + p] * b[bo + p * n + j];
                    expected[(t * m + i) * n + j] = s;
                }
        }
        AssertClose(expected, y.AsSpan<float>());

        static long Offset(int[] index, int[] shape)
        {
            int batchRank = shape.Length - 2;
            long offset = 0;
            for (int d = 0; d < batchRank; d++)
            {
                int i = index[index.Length - batchRank + d];
                offset = offset * shape[d] + (shape[d] == 1 ? 0 : i);
            }
            return offset * shape[^2] * shape[^1];
        }
    }

    [Fact]
    public void MismatchedShapesFailNamingTheNode()
    {
        Assert.Throws<InvalidModelException>(() => OperatorEvaluator.Evaluate(new MatMulOperator(),
            [Tensor.Zeros(DataType.Float32, 2, 3), Tensor.Zeros(DataType.Float32, 4, 5)]));
        Assert.Throws<InvalidModelException>(() => OperatorEvaluator.Evaluate(new MatMulOperator(),
            [Tensor.Zeros(DataType.Float32, 2, 2, 3), Tensor.Zeros(DataType.Float32, 3, 3, 5)]));
        Assert.Throws<InvalidModelException>(() => OperatorEvaluator.Evaluate(new GemmOperator(1, 1, false, false),
            [Tensor.Zeros(DataType.Float32, 2, 3), Tensor.Zeros(DataType.Float32, 3, 4), Tensor.Zeros(DataType.Float32, 3)]));
    }
}
