using Pipeline.Graph;
using Pipeline.Graph.Ops.Convolution;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Convolution;
using Pipeline.Tensors.Kernels.Gemm;
using Pipeline.Tensors.Parallelism;
using static Pipeline.Tests.Tensors.Kernels.KernelTestSupport;

namespace Pipeline.Tests.Tensors.Kernels;

public sealed class WinogradConvolutionTests
{
    /// <summary>The instruction sets the Winograd kernel is written for; a test skips the ones this machine lacks.</summary>
    public static TheoryData<string> Isas => new(nameof(Isa.Avx2), nameof(Isa.Avx512));

    /// <summary>
    /// F(4×4, 3×3) rounds differently from the direct sum: its transforms scale terms by up to 8 × 5 before they cancel.
    /// The bound is relative to the sum of |terms| (what any float32 summation order is judged by), not to the result.
    /// </summary>
    private static void AssertWithinWinogradError(double[] expected, double[] magnitude, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= 2e-5 * magnitude[i] + 1e-6))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]} (|diff| {Math.Abs(actual[i] - expected[i]):g3}, Σ|terms| {magnitude[i]:g3}).");
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public unsafe void RandomGeometriesMatchTheDirectSum(string isa)
    {
        using IsaScope scope = Use(isa);
        var rng = new Random(20261207);
        FusedActivation[] activations = [FusedActivation.None, FusedActivation.Relu, new(ActivationKind.Clip, -0.5f, 0.7f)];
        for (int round = 0; round < 60; round++)
        {
            int n = 1 + rng.Next(2), c = 1 + rng.Next(40), m = 1 + rng.Next(40);
            int padTop = rng.Next(3), padLeft = rng.Next(3), padBottom = rng.Next(3), padRight = rng.Next(3);
            int height = Math.Max(1, 3 - padTop - padBottom) + rng.Next(30), width = Math.Max(1, 3 - padLeft - padRight) + rng.Next(30);
            bool hasBias = rng.Next(2) == 0, accumulate = rng.Next(3) == 0;
            FusedActivation activation = activations[rng.Next(activations.Length)];
            int threads = 1 + rng.Next(3);
            var geometry = new ConvGeometry(n, c, m, 1, [height, width], [3, 3], [1, 1], [1, 1], [padTop, padLeft], [padBottom, padRight], AutoPad.NotSet);
            string what = $"round {round}: N={n} C={c} M={m} in={height}x{width} pads={padTop},{padLeft}|{padBottom},{padRight} bias={hasBias} residual={accumulate} act={activation} threads={threads}";

            float[] x = Random(rng, n * c * height * width), w = Random(rng, m * c * 9);
            float[]? b = hasBias ? Random(rng, m) : null;
            int outputs = n * m * geometry.OutputPlane;
            float[] residual = Random(rng, outputs);
            double[] plain = NaiveReference.Conv(x, [n, c, height, width], w, [m, c, 3, 3], b, 1, [1, 1], [1, 1], [padTop, padLeft], geometry.OutputSize, default);
            double[] magnitude = NaiveReference.Conv(Abs(x), [n, c, height, width], Abs(w), [m, c, 3, 3], b is null ? null : Abs(b), 1, [1, 1], [1, 1], [padTop, padLeft], geometry.OutputSize, default);
            var expected = new double[outputs];
            for (int i = 0; i < outputs; i++)
            {
                double sum = plain[i] + (accumulate ? residual[i] : 0);
                expected[i] = activation.Apply((float)sum);
                magnitude[i] += accumulate ? Math.Abs(residual[i]) : 0;
            }

            var conv = new WinogradConvolution(geometry, w, SgemmKernel.Current, threads);
            float[] y = accumulate ? (float[])residual.Clone() : new float[outputs];
            float[] scratch = new float[conv.ScratchBytes / 4 + 16];
            Array.Fill(scratch, float.NaN); // nothing may read scratch it has not written
            using var pool = new WorkerPool(threads);
            fixed (float* px = x, pb = b, py = y, ps = scratch)
                conv.Run(px, pb, py, activation, accumulate, pool, (float*)(((nint)ps + 63) & ~(nint)63));
            AssertWithinWinogradError(expected, magnitude, y, what);
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public unsafe void TheResultDoesNotDependOnTheThreadCount(string isa)
    {
        using IsaScope scope = Use(isa);
        var rng = new Random(5);
        var geometry = new ConvGeometry(1, 48, 80, 1, [29, 31], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], AutoPad.NotSet);
        float[] x = Random(rng, 48 * 29 * 31), w = Random(rng, 80 * 48 * 9), b = Random(rng, 80);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3, 4 })
        {
            var conv = new WinogradConvolution(geometry, w, SgemmKernel.Current, threads);
            float[] y = new float[80 * geometry.OutputPlane];
            float[] scratch = new float[conv.ScratchBytes / 4 + 16];
            using var pool = new WorkerPool(threads);
            fixed (float* px = x, pb = b, py = y, ps = scratch)
                conv.Run(px, pb, py, FusedActivation.Relu, false, pool, (float*)(((nint)ps + 63) & ~(nint)63));
            if (first is null) first = y;
            else Assert.Equal(first, y);
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void TheConvOperatorUsesItForResNetSizedLayersWithTheResidualFused(string isa)
    {
        using IsaScope scope = Use(isa);
        var rng = new Random(9);
        const int c = 32, m = 48, size = 20;
        var geometry = new ConvGeometry(1, c, m, 1, [size, size], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], AutoPad.NotSet);
        Assert.True(WinogradConvolution.Pays(geometry, KernelIsa.Current));
        Assert.False(WinogradConvolution.Pays(new ConvGeometry(1, 512, 512, 1, [7, 7], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], AutoPad.NotSet), KernelIsa.Current));
        Assert.False(WinogradConvolution.Pays(new ConvGeometry(1, c, m, 1, [size, size], [3, 3], [2, 2], [1, 1], [1, 1], [1, 1], AutoPad.NotSet), KernelIsa.Current));
        Assert.False(WinogradConvolution.Pays(geometry, Isa.Vector128));

        float[] x = Random(rng, c * size * size), w = Random(rng, m * c * 9), b = Random(rng, m), residual = Random(rng, m * size * size);
        var op = new ConvOperator(new WindowAttributes(null, [1, 1], [1, 1], [1, 1, 1, 1], AutoPad.NotSet), 1, FusedActivation.Relu, residual: true);
        Tensor y = OperatorEvaluator.Evaluate(op,
            [Tensor.Create(x, 1, c, size, size), Tensor.Create(w, m, c, 3, 3), Tensor.Create(b, m), Tensor.Create(residual, 1, m, size, size)])[0]!;
        double[] plain = NaiveReference.Conv(x, [1, c, size, size], w, [m, c, 3, 3], b, 1, [1, 1], [1, 1], [1, 1], [size, size], default);
        double[] magnitude = NaiveReference.Conv(Abs(x), [1, c, size, size], Abs(w), [m, c, 3, 3], Abs(b), 1, [1, 1], [1, 1], [1, 1], [size, size], default);
        double[] expected = plain.Select((v, i) => Math.Max(0, v + residual[i])).ToArray();
        AssertWithinWinogradError(expected, magnitude.Select((v, i) => v + Math.Abs(residual[i])).ToArray(), y.AsSpan<float>(), "ConvOperator");
    }

    [Fact]
    public void OtherActivationsAreRefused()
    {
        Assert.False(WinogradConvolution.Fuses(new FusedActivation(ActivationKind.HardSwish)));
        Assert.False(WinogradConvolution.Fuses(new FusedActivation(ActivationKind.LeakyRelu, Alpha: 0.1f)));
        Assert.True(WinogradConvolution.Fuses(FusedActivation.Relu6));
    }

    private static float[] Abs(float[] values) => values.Select(MathF.Abs).ToArray();
}
