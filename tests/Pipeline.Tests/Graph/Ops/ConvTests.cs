using Pipeline.Graph;
using Pipeline.Graph.Ops.Convolution;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Convolution;
using Pipeline.Tensors.Kernels.Gemm;
using Pipeline.Tensors.Parallelism;
using Pipeline.Tests.Tensors.Kernels;
using static Pipeline.Tests.Tensors.Kernels.KernelTestSupport;

namespace Pipeline.Tests.Graph.Ops;

public sealed class ConvTests
{
    public static TheoryData<string> Isas => AllIsas;

    private sealed record Case(int N, int C, int M, int Group, int[] In, int[] K, int[] S, int[] D, int[] PadB, int[] PadE, bool Bias, FusedActivation Act)
    {
        public override string ToString()
            => $"N={N} C={C} M={M} g={Group} in={F(In)} k={F(K)} s={F(S)} d={F(D)} p={F(PadB)}|{F(PadE)} bias={Bias} act={Act}";

        private static string F(int[] v) => string.Join("x", v);
    }

    private static Case RandomCase(Random rng, int rank, bool depthwise)
    {
        int group = depthwise ? 1 + rng.Next(20) : rng.Next(4) == 0 ? 1 + rng.Next(3) : 1;
        int c = depthwise ? group : group * (1 + rng.Next(rank == 2 ? 20 : 6));
        int m = depthwise ? group * (rng.Next(4) == 0 ? 2 : 1) : group * (1 + rng.Next(rank == 2 ? 40 : 8));
        var inSize = new int[rank];
        var k = new int[rank];
        var s = new int[rank];
        var d = new int[rank];
        var pb = new int[rank];
        var pe = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            k[i] = 1 + rng.Next(rank == 3 ? 3 : 5);
            s[i] = 1 + (rng.Next(3) == 0 ? rng.Next(3) : 0);
            d[i] = 1 + (rng.Next(4) == 0 ? 1 : 0);
            pb[i] = rng.Next(3);
            pe[i] = rng.Next(3);
            int extent = (k[i] - 1) * d[i] + 1;
            inSize[i] = Math.Max(1, extent - pb[i] - pe[i]) + rng.Next(rank == 3 ? 6 : rank == 2 ? 30 : 60);
        }
        FusedActivation[] acts = [FusedActivation.None, FusedActivation.Relu, FusedActivation.Relu6, new(ActivationKind.LeakyRelu, Alpha: 0.2f)];
        return new Case(1 + (rng.Next(4) == 0 ? 1 : 0), c, m, group, inSize, k, s, d, pb, pe, rng.Next(2) == 0, acts[rng.Next(acts.Length)]);
    }

    private static void RunCase(Random rng, Case t, int threads, string what)
    {
        int rank = t.In.Length;
        int[] xShape = [t.N, t.C, .. t.In];
        int[] wShape = [t.M, t.C / t.Group, .. t.K];
        float[] x = Random(rng, NaiveReference.Prod(xShape));
        float[] w = Random(rng, NaiveReference.Prod(wShape));
        float[]? b = t.Bias ? Random(rng, t.M) : null;
        int[] pads = [.. t.PadB, .. t.PadE];
        var window = new WindowAttributes(null, t.S, t.D, pads, AutoPad.NotSet);
        Operator op = new ConvOperator(window, t.Group);
        if (t.Act.Kind != ActivationKind.None) op = ((IFusesActivation)op).WithActivation(t.Act);
        using var pool = new WorkerPool(threads);
        Tensor?[] inputs = [Tensor.Create(x, xShape), Tensor.Create(w, wShape), b is null ? null : Tensor.Create(b, t.M)];
        Tensor y = OperatorEvaluator.Evaluate(op, inputs, pool: pool)[0]!;
        int[] outSize = y.ShapeArray()[2..];
        double[] expected = NaiveReference.Conv(x, xShape, w, wShape, b, t.Group, t.S, t.D, t.PadB, outSize, t.Act);
        int k = t.C / t.Group * NaiveReference.Prod(t.K);
        AssertClose(expected, y.AsSpan<float>(), 1e-4, 1e-4 * Math.Sqrt(k), $"{what} {t}");
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Conv2dMatchesNaive(string isa)
    {
        using var scope = Use(isa);
        var rng = new Random(17 + isa.Length);
        for (int round = 0; round < 60; round++) RunCase(rng, RandomCase(rng, 2, false), 1 + round % 3, isa);
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void DepthwiseMatchesNaive(string isa)
    {
        using var scope = Use(isa);
        var rng = new Random(23 + isa.Length);
        for (int round = 0; round < 60; round++) RunCase(rng, RandomCase(rng, 1 + round % 2, true), 1 + round % 2, isa);
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void A_NaN_input_gives_NaN_depthwise_outputs_on_every_isa(string isa)
    {
        // The clamp is fused into the depthwise store; without an activation (and with ReLU6) a NaN must come out NaN.
        using var scope = Use(isa);
        using var pool = new WorkerPool(1);
        foreach (FusedActivation act in new[] { FusedActivation.None, FusedActivation.Relu6 })
            foreach (int stride in new[] { 1, 2 })
            {
                float[] x = Enumerable.Range(0, 2 * 20 * 20).Select(i => (i % 7) * 0.25f).ToArray();
                x[9 * 20 + 9] = float.NaN; // channel 0, row 9, column 9
                var window = new WindowAttributes(null, [stride, stride], [1, 1], [1, 1, 1, 1], AutoPad.NotSet);
                Operator op = new ConvOperator(window, 2);
                if (act.Kind != ActivationKind.None) op = ((IFusesActivation)op).WithActivation(act);
                Tensor?[] inputs = [Tensor.Create(x, 1, 2, 20, 20), Tensor.Create(Enumerable.Repeat(0.5f, 18).ToArray(), 2, 1, 3, 3), null];
                float[] y = OperatorEvaluator.Evaluate(op, inputs, pool: pool)[0]!.AsSpan<float>().ToArray();
                int side = stride == 1 ? 20 : 10, row = 9 / stride;
                Assert.True(float.IsNaN(y[row * side + row]), $"{isa} {act} stride {stride}: {y[row * side + row]}");
                Assert.DoesNotContain(y.Skip(side * side), float.IsNaN); // channel 1 has no NaN
            }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Conv1dAnd3dMatchNaive(string isa)
    {
        using var scope = Use(isa);
        var rng = new Random(5 + isa.Length);
        for (int round = 0; round < 30; round++) RunCase(rng, RandomCase(rng, round % 2 == 0 ? 1 : 3, round % 5 == 0), 1 + round % 2, isa);
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void SmallPlanesRunTransposedAndMatchNaive(string isa)
    {
        using var scope = Use(isa);
        var rng = new Random(41 + isa.Length);
        for (int round = 0; round < 12;)
        {
            int m = SgemmKernel.Current.NR * (2 + rng.Next(3)) + (round % 3 == 0 ? rng.Next(5) : 0);
            int k = 1 + 2 * rng.Next(2), s = 1 + rng.Next(2);
            int[] size = [3 + rng.Next(8), 3 + rng.Next(8)];
            var t = new Case(1 + rng.Next(2), 1 + rng.Next(24), m, 1, size, [k, k], [s, s], [1, 1], [k / 2, k / 2], [k / 2, k / 2],
                rng.Next(2) == 0, round % 2 == 0 ? FusedActivation.Relu : FusedActivation.None);
            var geometry = new ConvGeometry(t.N, t.C, t.M, 1, t.In, t.K, t.S, t.D, t.PadB, t.PadE, AutoPad.NotSet);
            if (!new GemmConvolution(geometry, new float[t.M * t.C * k * k], true, SgemmKernel.Current, 1).Transposed) continue; // fills its tiles
            RunCase(rng, t, 1 + round % 2, isa);
            round++;
        }
    }

    [Fact]
    public unsafe void TransposedConvAccumulatesOntoTheResidual()
    {
        var rng = new Random(12);
        // A plane of NR + 1 positions half-fills its two tiles, and 400 channels fill theirs: the transposed form.
        const int channels = 400;
        int width = SgemmKernel.Current.NR + 1;
        var geometry = new ConvGeometry(2, 9, channels, 1, [1, width], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], AutoPad.NotSet);
        int plane = width;
        float[] x = Random(rng, 2 * 9 * plane), w = Random(rng, channels * 9 * 9), b = Random(rng, channels), residual = Random(rng, 2 * channels * plane);
        var conv = new GemmConvolution(geometry, w, true, SgemmKernel.Current, 2);
        Assert.True(conv.Transposed);
        float[] y = (float[])residual.Clone();
        float[] scratch = new float[conv.ScratchBytes / 4 + 16];
        using var pool = new WorkerPool(2);
        fixed (float* px = x, pb = b, py = y, ps = scratch)
            conv.Run(px, null, pb, py, FusedActivation.Relu, true, pool, (float*)(((nint)ps + 63) & ~(nint)63));
        double[] plain = NaiveReference.Conv(x, [2, 9, 1, width], w, [channels, 9, 3, 3], b, 1, [1, 1], [1, 1], [1, 1], [1, width], default);
        double[] expected = plain.Select((v, i) => Math.Max(0, v + residual[i])).ToArray();
        AssertClose(expected, y, 1e-4, 1e-3);
    }

    [Fact]
    public void PointwiseWithBatchAndGroupsMatchesNaive()
    {
        var rng = new Random(3);
        foreach (int group in new[] { 1, 3 })
            RunCase(rng, new Case(3, 6 * group, 35 * group, group, [9, 13], [1, 1], [1, 1], [1, 1], [0, 0], [0, 0], true, FusedActivation.Relu), 2, "pointwise");
    }

    [Theory]
    [InlineData("SAME_UPPER")]
    [InlineData("SAME_LOWER")]
    [InlineData("VALID")]
    public void AutoPadResolvesPadsAsTheSpecSays(string mode)
    {
        // Input 7, kernel 4, stride 2: SAME gives output 4 with 3 padding (1 at the start for UPPER, 2 for LOWER).
        AutoPad autoPad = mode switch { "SAME_UPPER" => AutoPad.SameUpper, "SAME_LOWER" => AutoPad.SameLower, _ => AutoPad.Valid };
        var rng = new Random(8);
        float[] x = Random(rng, 7 * 7), w = Random(rng, 16);
        var op = new ConvOperator(new WindowAttributes(null, [2, 2], null, null, autoPad), 1);
        Tensor y = OperatorEvaluator.Evaluate(op, [Tensor.Create(x, 1, 1, 7, 7), Tensor.Create(w, 1, 1, 4, 4), null])[0]!;
        int outSize = autoPad == AutoPad.Valid ? 2 : 4;
        int pad = autoPad switch { AutoPad.SameUpper => 1, AutoPad.SameLower => 2, _ => 0 };
        Assert.Equal([1, 1, outSize, outSize], y.ShapeArray());
        double[] expected = NaiveReference.Conv(x, [1, 1, 7, 7], w, [1, 1, 4, 4], null, 1, [2, 2], [1, 1], [pad, pad], [outSize, outSize], default);
        AssertClose(expected, y.AsSpan<float>());
    }

    [Fact]
    public unsafe void RunTimeWeightsArePackedPerRun()
    {
        var rng = new Random(11);
        var geometry = new ConvGeometry(2, 6, 10, 2, [11, 9], [3, 3], [1, 2], [1, 1], [1, 0], [1, 2], AutoPad.NotSet);
        float[] x = Random(rng, 2 * 6 * 11 * 9), w = Random(rng, 10 * 3 * 9), b = Random(rng, 10);
        var conv = new GemmConvolution(geometry, default, false, SgemmKernel.Current, 2);
        float[] y = new float[2 * 10 * geometry.OutputPlane];
        float[] scratch = new float[conv.ScratchBytes / 4 + 16];
        using var pool = new WorkerPool(2);
        fixed (float* px = x, pw = w, pb = b, py = y, ps = scratch)
            conv.Run(px, pw, pb, py, FusedActivation.None, false, pool, (float*)(((nint)ps + 63) & ~(nint)63));
        double[] expected = NaiveReference.Conv(x, [2, 6, 11, 9], w, [10, 3, 3, 3], b, 2, [1, 2], [1, 1], [1, 0], geometry.OutputSize, default);
        AssertClose(expected, y, 1e-4, 1e-3);
    }

    [Fact]
    public void InconsistentShapesFailNamingTheNode()
    {
        var op = new ConvOperator(new WindowAttributes(null, null, null, null, AutoPad.NotSet), 2);
        var e = Assert.Throws<InvalidModelException>(() => OperatorEvaluator.Evaluate(op,
            [Tensor.Zeros(DataType.Float32, 1, 3, 5, 5), Tensor.Zeros(DataType.Float32, 4, 1, 3, 3), null]));
        Assert.Contains("group", e.Message);
        var big = new ConvOperator(new WindowAttributes(null, null, null, null, AutoPad.NotSet), 1);
        Assert.Throws<InvalidModelException>(() => OperatorEvaluator.Evaluate(big,
            [Tensor.Zeros(DataType.Float32, 1, 1, 2, 2), Tensor.Zeros(DataType.Float32, 1, 1, 3, 3), null]));
    }
}
