using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Gemm;
using Pipeline.Tensors.Parallelism;
using static Pipeline.Tests.Tensors.Kernels.KernelTestSupport;

namespace Pipeline.Tests.Tensors.Kernels;

public sealed unsafe class SgemmTests
{
    public static TheoryData<string> Isas => AllIsas;

    /// <summary>The naive reference: double accumulation, then bias, accumulate and activation as the spec says.</summary>
    private static double[] Reference(float[] a, float[] b, int m, int n, int k, bool transA, bool transB,
        float[]? rowBias, float[]? colBias, float[]? initialC, FusedActivation activation)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                    sum += (double)a[transA ? p * m + i : i * k + p] * b[transB ? j * k + p : p * n + j];
                if (rowBias is not null) sum += rowBias[i];
                if (colBias is not null) sum += colBias[j];
                if (initialC is not null) sum += initialC[i * n + j];
                c[i * n + j] = activation.Apply((float)sum);
            }
        return c;
    }

    private static float[] RunSgemm(float[] a, float[] b, int m, int n, int k, bool transA, bool transB, bool prepackB,
        float[]? rowBias, float[]? colBias, float[]? initialC, FusedActivation activation, int threads)
    {
        SgemmKernel kernel = SgemmKernel.Current;
        var plan = new SgemmPlan(kernel, m, n, k, 1, threads);
        float[] packedA = new float[SgemmPacker.PackedASize(kernel, m, k)];
        float[] packedB = new float[Math.Max(1, SgemmPacker.PackedBSize(kernel, k, n))];
        float[] c = initialC is null ? new float[m * n] : (float[])initialC.Clone();
        float[] scratch = new float[plan.ScratchBytes / 4 + 16];
        using var pool = new WorkerPool(threads);
        fixed (float* pa = a, pb = b, ppa = packedA, ppb = packedB, pc = c, ps = scratch, prb = rowBias, pcb = colBias)
        {
            SgemmPacker.PackA(kernel, pa, transA ? 1 : k, transA ? m : 1, m, k, ppa);
            float* aligned = (float*)(((nint)ps + 63) & ~(nint)63);
            var operands = new SgemmOperands { PackedA = ppa, Groups = 1, C = pc, Ldc = n };
            var output = new SgemmOutput { RowBias = prb, ColumnBias = pcb, Activation = activation, AccumulateIntoC = initialC is not null };
            if (prepackB)
            {
                SgemmPacker.PackB(kernel, pb, transB ? 1 : n, transB ? k : 1, k, n, ppb);
                Sgemm.Run(plan, operands, new PrepackedB(ppb, k), output, pool, aligned);
            }
            else
            {
                Sgemm.Run(plan, operands, new StridedB(pb, transB ? 1 : n, transB ? k : 1), output, pool, aligned);
            }
        }
        return c;
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void MatchesNaiveAtEveryRemainder(string isa)
    {
        using var scope = Use(isa);
        SgemmKernel kernel = SgemmKernel.Current;
        var rng = new Random(1234 + isa.Length);
        // Every M remainder of the tile, N remainders around NR, K around the K block.
        for (int m = 1; m <= kernel.MR + 1; m++)
        {
            int n = 1 + rng.Next(3 * kernel.NR);
            int k = 1 + rng.Next(40);
            Check(rng, m, n, k, isa);
        }
        for (int n = 1; n <= kernel.NR + 1; n++) Check(rng, 1 + rng.Next(2 * kernel.MR), n, 1 + rng.Next(20), isa);
        foreach (int k in new[] { 1, 2, 511, 512, 513, 1030 }) Check(rng, 1 + rng.Next(30), 1 + rng.Next(70), k, isa);
    }

    private static void Check(Random rng, int m, int n, int k, string isa)
    {
        float[] a = Random(rng, m * k), b = Random(rng, k * n);
        float[] got = RunSgemm(a, b, m, n, k, false, false, false, null, null, null, FusedActivation.None, 1);
        AssertClose(Reference(a, b, m, n, k, false, false, null, null, null, FusedActivation.None), got, 1e-4, 1e-4 * Math.Sqrt(k), $"{isa} {m}x{n}x{k}");
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void EpiloguesTransposesAndThreadsMatchNaive(string isa)
    {
        using var scope = Use(isa);
        var rng = new Random(99 + isa.Length);
        FusedActivation[] activations =
        [
            FusedActivation.None, FusedActivation.Relu, FusedActivation.Relu6, new(ActivationKind.Clip, -0.5f, 0.25f),
            new(ActivationKind.LeakyRelu, Alpha: 0.1f), new(ActivationKind.Sigmoid), new(ActivationKind.HardSwish),
        ];
        for (int round = 0; round < 40; round++)
        {
            int m = 1 + rng.Next(50), n = 1 + rng.Next(150), k = 1 + rng.Next(700);
            bool transA = rng.Next(2) == 0, transB = rng.Next(2) == 0, prepack = rng.Next(2) == 0;
            float[] a = Random(rng, m * k), b = Random(rng, k * n);
            float[]? rowBias = rng.Next(2) == 0 ? Random(rng, m) : null;
            float[]? colBias = rng.Next(2) == 0 ? Random(rng, n) : null;
            float[]? initial = rng.Next(3) == 0 ? Random(rng, m * n) : null;
            FusedActivation act = activations[rng.Next(activations.Length)];
            int threads = 1 + rng.Next(3);
            float[] got = RunSgemm(a, b, m, n, k, transA, transB, prepack, rowBias, colBias, initial, act, threads);
            AssertClose(Reference(a, b, m, n, k, transA, transB, rowBias, colBias, initial, act), got, 1e-4, 1e-4 * Math.Sqrt(k),
                $"{isa} {m}x{n}x{k} tA={transA} tB={transB} prepack={prepack} act={act} threads={threads}");
        }
    }
    [Theory]
    [MemberData(nameof(Isas))]
    public void A_narrow_last_column_panel_gives_the_same_bits_as_a_full_tile(string isa)
    {
        // Where N blocks end moves with the thread count, so a column must not change with the kernel that computes it.
        using var scope = Use(isa);
        SgemmKernel kernel = SgemmKernel.Current;
        var rng = new Random(7 + isa.Length);
        int k = 700, wide = 2 * kernel.NR;
        for (int tail = 1; tail < kernel.NR; tail++)
        {
            // Any row count (whole tiles and a remainder), any thread count, each epilogue input present or not.
            int m = 1 + rng.Next(3 * kernel.MR), n = kernel.NR + tail, threads = 1 + rng.Next(3);
            float[] a = Random(rng, m * k), bWide = Random(rng, k * wide);
            float[]? rowBias = rng.Next(2) == 0 ? Random(rng, m) : null;
            float[]? colWide = rng.Next(2) == 0 ? Random(rng, wide) : null;
            float[]? cWide = rng.Next(2) == 0 ? Random(rng, m * wide) : null;
            float[] bNarrow = Columns(bWide, k, wide, n);
            float[]? colNarrow = colWide?[..n], cNarrow = cWide is null ? null : Columns(cWide, m, wide, n);
            foreach (FusedActivation act in new[] { FusedActivation.None, FusedActivation.Relu6 })
            {
                float[] full = RunSgemm(a, bWide, m, wide, k, false, false, false, rowBias, colWide, cWide, act, 1);
                float[] narrow = RunSgemm(a, bNarrow, m, n, k, false, false, false, rowBias, colNarrow, cNarrow, act, threads);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                        Assert.True(BitConverter.SingleToInt32Bits(full[i * wide + j]) == BitConverter.SingleToInt32Bits(narrow[i * n + j]),
                            $"{isa} m={m} n={n} threads={threads} act={act}: C[{i},{j}] is {narrow[i * n + j]:R} in a narrow panel, {full[i * wide + j]:R} in a full one");
            }
        }
    }

    private static float[] Columns(float[] matrix, int rows, int width, int n)
    {
        var r = new float[rows * n];
        for (int i = 0; i < rows; i++) matrix.AsSpan(i * width, n).CopyTo(r.AsSpan(i * n));
        return r;
    }
}
