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
    /// F(4×4, 3×3) rounds differently from the direct sum: its transforms scale terms by up to 8 × 5 before they cancel,
    /// and the rounding of a whole 4×4 tile lands on each of its outputs (an output whose window is all padding is not
    /// exactly zero). So the bound is relative to the largest sum of |terms| over the output's tile.
    /// </summary>
    private static void AssertWithinWinogradError(double[] expected, double[] magnitude, ReadOnlySpan<float> actual, int[] outputSize, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int height = outputSize[0], width = outputSize[1], plane = height * width;
        for (int i = 0; i < expected.Length; i++)
        {
            int row = i % plane / width, column = i % plane % width, first = i - i % plane;
            double tile = 0;
            for (int r = row / 4 * 4; r < Math.Min(height, row / 4 * 4 + 4); r++)
                for (int c = column / 4 * 4; c < Math.Min(width, column / 4 * 4 + 4); c++) tile = Math.Max(tile, magnitude[first + r * width + c]);
            if (!(Math.Abs(actual[i] - expected[i]) <= 2e-5 * tile + 1e-6))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]} (|diff| {Math.Abs(actual[i] - expected[i]):g3}, tile Σ|terms| {tile:g3}).");
        }
    }

    /// <summary>Runs the kernel with exactly <see cref="WinogradConvolution.ScratchBytes"/> of NaN-filled scratch between canary bands.</summary>
    private static unsafe float[] RunGuarded(WinogradConvolution conv, float[] x, float[]? b, float[]? residual, FusedActivation activation, int poolThreads)
    {
        ConvGeometry g = conv.Geometry;
        float[] y = residual is null ? new float[g.Batch * g.OutChannels * g.OutputPlane] : (float[])residual.Clone();
        const int Guard = 256;
        const float Canary = 12345.678f;
        long floats = conv.ScratchBytes / sizeof(float);
        float[] buffer = new float[floats + 2 * Guard + 16];
        fixed (float* start = buffer)
        {
            int first = (int)(((64 - ((nint)(start + Guard) & 63)) & 63) / sizeof(float)) + Guard;
            buffer.AsSpan(0, first).Fill(Canary);
            buffer.AsSpan(first, (int)floats).Fill(float.NaN); // nothing may read scratch it has not written
            buffer.AsSpan(first + (int)floats).Fill(Canary);
            using var pool = new WorkerPool(poolThreads);
            fixed (float* px = x, pb = b, py = y)
                conv.Run(px, pb, py, activation, residual is not null, pool, start + first);
            for (int i = 0; i < buffer.Length; i++)
                if ((i < first || i >= first + floats) && buffer[i] != Canary)
                    Assert.Fail($"scratch overrun at float {i - first} of {floats}");
        }
        return y;
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void RandomGeometriesMatchTheDirectSum(string isa)
    {
        using IsaScope scope = Use(isa);
        var rng = new Random(20261207);
        FusedActivation[] activations = [FusedActivation.None, FusedActivation.Relu, new(ActivationKind.Clip, -0.5f, 0.7f)];
        for (int round = 0; round < 60; round++)
        {
            // Some rounds are wide (several 16-tile chunks per row) or deep (K split into blocks, several N blocks).
            bool wide = round % 5 == 1, deep = round % 10 == 3;
            int n = 1 + rng.Next(3), c = deep ? 520 + rng.Next(100) : 1 + rng.Next(40), m = deep ? 1 + rng.Next(300) : 1 + rng.Next(40);
            int padTop = rng.Next(4), padLeft = rng.Next(4), padBottom = rng.Next(4), padRight = rng.Next(4);
            int height = Math.Max(1, 3 - padTop - padBottom) + rng.Next(deep ? 8 : 30);
            int width = Math.Max(1, 3 - padLeft - padRight) + (wide ? 60 + rng.Next(76) : rng.Next(deep ? 8 : 30));
            if (deep || wide) n = 1;
            bool hasBias = rng.Next(2) == 0, accumulate = rng.Next(3) == 0;
            FusedActivation activation = activations[rng.Next(activations.Length)];
            int threads = 1 + rng.Next(3), poolThreads = 1 + rng.Next(4);
            var geometry = new ConvGeometry(n, c, m, 1, [height, width], [3, 3], [1, 1], [1, 1], [padTop, padLeft], [padBottom, padRight], AutoPad.NotSet);
            string what = $"round {round}: N={n} C={c} M={m} in={height}x{width} pads={padTop},{padLeft}|{padBottom},{padRight} bias={hasBias} residual={accumulate} act={activation} threads={threads}/{poolThreads}";

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
            float[] y = RunGuarded(conv, x, b, accumulate ? residual : null, activation, poolThreads);
            AssertWithinWinogradError(expected, magnitude, y, geometry.OutputSize, what);
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void ANaNBecomesTheLowerBoundUnderAClampAndStaysNaNWithout(string isa)
    {
        // The GEMM epilogue's rule: x86 max returns its second operand when one is NaN, so Relu(NaN) is 0.
        using IsaScope scope = Use(isa);
        var rng = new Random(4);
        var geometry = new ConvGeometry(1, 16, 16, 1, [16, 16], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], AutoPad.NotSet);
        float[] x = Random(rng, 16 * 16 * 16), w = Random(rng, 16 * 16 * 9);
        x[5 * 16 + 5] = float.NaN;
        var conv = new WinogradConvolution(geometry, w, SgemmKernel.Current, 1);
        float[] relu = RunGuarded(conv, x, null, null, FusedActivation.Relu, 1);
        Assert.All(relu, v => Assert.False(float.IsNaN(v)));
        Assert.Equal(0f, relu[5 * 16 + 5]);
        float[] plain = RunGuarded(conv, x, null, null, FusedActivation.None, 1);
        Assert.True(float.IsNaN(plain[5 * 16 + 5]));
        Assert.Contains(plain, v => !float.IsNaN(v)); // tiles away from the NaN are untouched
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void TheResultDoesNotDependOnTheThreadCount(string isa)
    {
        using IsaScope scope = Use(isa);
        var rng = new Random(5);
        var geometry = new ConvGeometry(1, 48, 80, 1, [29, 71], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], AutoPad.NotSet);
        float[] x = Random(rng, 48 * 29 * 71), w = Random(rng, 80 * 48 * 9), b = Random(rng, 80);
        float[] first = RunGuarded(new WinogradConvolution(geometry, w, SgemmKernel.Current, 1), x, b, null, FusedActivation.Relu, 1);
        foreach ((int planned, int pool) in new[] { (2, 2), (3, 3), (4, 4), (4, 1), (1, 4), (2, 3) })
            Assert.Equal(first, RunGuarded(new WinogradConvolution(geometry, w, SgemmKernel.Current, planned), x, b, null, FusedActivation.Relu, pool));
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
        Assert.False(WinogradConvolution.Pays(new ConvGeometry(1, c, m, 1, [1, 64], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], AutoPad.NotSet), KernelIsa.Current)); // 3/4 of each tile wasted

        float[] x = Random(rng, c * size * size), w = Random(rng, m * c * 9), b = Random(rng, m), residual = Random(rng, m * size * size);
        Assert.True(new ConvKernel(geometry, Tensor.Create(w, m, c, 3, 3), true, Tensor.Create(b, m), FusedActivation.Relu, 1, residual: true).UsesWinograd);
        var thin = new ConvGeometry(1, c, m, 1, [7, 7], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], AutoPad.NotSet);
        Assert.False(new ConvKernel(thin, Tensor.Create(w, m, c, 3, 3), true, Tensor.Create(b, m), FusedActivation.Relu, 1).UsesWinograd);
        var op = new ConvOperator(new WindowAttributes(null, [1, 1], [1, 1], [1, 1, 1, 1], AutoPad.NotSet), 1, FusedActivation.Relu, residual: true);
        Tensor y = OperatorEvaluator.Evaluate(op,
            [Tensor.Create(x, 1, c, size, size), Tensor.Create(w, m, c, 3, 3), Tensor.Create(b, m), Tensor.Create(residual, 1, m, size, size)])[0]!;
        double[] plain = NaiveReference.Conv(x, [1, c, size, size], w, [m, c, 3, 3], b, 1, [1, 1], [1, 1], [1, 1], [size, size], default);
        double[] magnitude = NaiveReference.Conv(Abs(x), [1, c, size, size], Abs(w), [m, c, 3, 3], Abs(b), 1, [1, 1], [1, 1], [1, 1], [size, size], default);
        double[] expected = plain.Select((v, i) => Math.Max(0, v + residual[i])).ToArray();
        AssertWithinWinogradError(expected, magnitude.Select((v, i) => v + Math.Abs(residual[i])).ToArray(), y.AsSpan<float>(), [size, size], "ConvOperator");
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
