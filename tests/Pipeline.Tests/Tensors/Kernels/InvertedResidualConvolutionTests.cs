using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Convolution;
using Pipeline.Tensors.Kernels.Gemm;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tests.Tensors.Kernels;

/// <summary>
/// The fused inverted residual block against the three kernels the unfused graph runs (GEMM expand, depthwise, GEMM
/// project with the residual copied into the output first): the same floats bit for bit, in strips (several threads, an
/// expanded tensor over 1 MB) and whole, at strides 1 and 2, asymmetric pads, odd sizes, batches and 1–3 threads.
/// </summary>
public sealed unsafe class InvertedResidualConvolutionTests
{
    private static float[] Values(int n, Random random, float scale = 1)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    [Theory]
    [InlineData(1, 8, 48, 8, 80, 80, 3, 1, 1, 1, 1, 1, true, 1)]
    [InlineData(1, 8, 48, 8, 80, 80, 3, 1, 1, 1, 1, 1, true, 2)]
    [InlineData(2, 8, 48, 12, 77, 75, 3, 1, 1, 1, 1, 1, true, 3)]
    [InlineData(1, 16, 96, 24, 112, 112, 3, 2, 0, 0, 1, 1, false, 1)]
    [InlineData(1, 16, 96, 24, 112, 112, 3, 2, 0, 0, 1, 1, false, 2)]
    [InlineData(2, 8, 40, 16, 81, 83, 3, 2, 1, 1, 1, 1, false, 2)]
    [InlineData(1, 6, 48, 6, 96, 70, 3, 1, 2, 0, 0, 2, true, 2)]
    [InlineData(1, 6, 48, 6, 90, 64, 5, 1, 2, 2, 2, 2, true, 2)]
    [InlineData(1, 6, 48, 10, 95, 64, 5, 2, 1, 2, 2, 1, false, 3)]
    [InlineData(3, 16, 64, 16, 14, 14, 3, 1, 1, 1, 1, 1, true, 2)]
    [InlineData(2, 32, 192, 64, 7, 7, 3, 2, 0, 0, 1, 1, false, 2)]
    public void Gives_the_unfused_kernels_floats(int batch, int c, int e, int m, int h, int w, int k, int stride, int top, int left, int bottom, int right,
        bool residual, int threads)
        => Check(batch, c, e, m, h, w, k, stride, top, left, bottom, right, residual, threads, FusedActivation.Relu6, FusedActivation.Relu6, default,
            threads > 1 && (long)e * h * w * 4 > 1 << 20);

    /// <summary>
    /// Blocks whose strips would round differently stay whole on several threads: a small plane's transposed project
    /// conv adds the residual after the bias (found by review: 11,743 of 18,816 outputs 1 ulp off in strips), and a
    /// sigmoid on any stage rounds a short span's tail element by element (58 of 84 off).
    /// </summary>
    [Theory]
    [InlineData("transposed project", 2)]
    [InlineData("sigmoid expand", 2)]
    [InlineData("sigmoid depthwise", 3)]
    [InlineData("sigmoid project", 2)]
    public void Keeps_whole_planes_where_strips_would_round_differently(string what, int threads)
    {
        FusedActivation sigmoid = new(ActivationKind.Sigmoid);
        // Whether the 7×7 project conv runs transposed depends on the GEMM kernel's tile width (AVX-512's, not AVX2's).
        if (what == "transposed project") Check(1, 8, 6000, 384, 7, 7, 3, 1, 1, 1, 1, 1, true, threads, FusedActivation.Relu6, FusedActivation.Relu6, default, null);
        else Check(1, 8, 256, 24, 33, 33, 3, 1, 1, 1, 1, 1, true, threads, what == "sigmoid expand" ? sigmoid : FusedActivation.Relu6,
            what == "sigmoid depthwise" ? sigmoid : FusedActivation.Relu6, what == "sigmoid project" ? sigmoid : default, false);
    }

    private static void Check(int batch, int c, int e, int m, int h, int w, int k, int stride, int top, int left, int bottom, int right,
        bool residual, int threads, FusedActivation expandActivation, FusedActivation depthwiseActivation, FusedActivation projectActivation, bool? strips)
    {
        var random = new Random(h * 1000 + w + threads);
        var expand = new ConvGeometry(batch, c, e, 1, [h, w], [1, 1], [1, 1], [1, 1], [0, 0], [0, 0], AutoPad.NotSet);
        var depthwise = new ConvGeometry(batch, e, e, e, [h, w], [k, k], [stride, stride], [1, 1], [top, left], [bottom, right], AutoPad.NotSet);
        var project = new ConvGeometry(batch, e, m, 1, depthwise.OutputSize, [1, 1], [1, 1], [1, 1], [0, 0], [0, 0], AutoPad.NotSet);
        float[] x = Values(batch * c * h * w, random), we = Values(e * c, random, 0.5f), wd = Values(e * k * k, random, 0.5f), wp = Values(m * e, random, 0.3f);
        float[] be = Values(e, random), bd = Values(e, random), bp = Values(m, random);
        float[] r = residual ? Values(batch * m * project.OutputPlane, random) : [];
        SgemmKernel kernel = SgemmKernel.Current;
        using var pool = new WorkerPool(threads);

        // The unfused kernels, as ConvKernel runs them.
        var expandConv = new GemmConvolution(expand, we, true, kernel, threads);
        var depthwiseConv = new DepthwiseConvolution(depthwise, KernelIsa.Current);
        var projectConv = new GemmConvolution(project, wp, true, kernel, threads);
        float[] expanded = new float[batch * e * h * w], filtered = new float[batch * e * depthwise.OutputPlane], expected = new float[batch * m * project.OutputPlane];
        float[] scratch = new float[Math.Max(expandConv.ScratchBytes, projectConv.ScratchBytes) / 4 + 32];
        if (residual) r.CopyTo(expected, 0);
        fixed (float* px = x, pwd = wd, pbe = be, pbd = bd, pbp = bp, pe = expanded, pf = filtered, py = expected, ps = scratch)
        {
            float* s = (float*)(((nint)ps + 63) & ~(nint)63);
            expandConv.Run(px, null, pbe, pe, expandActivation, false, pool, s);
            depthwiseConv.Run(pe, pwd, pbd, pf, depthwiseActivation, false, pool);
            projectConv.Run(pf, null, pbp, py, projectActivation, residual, pool, s);
        }

        var block = new InvertedResidualConvolution(expand, depthwise, project, we, wp, expandActivation, depthwiseActivation, projectActivation, kernel, threads);
        Assert.Equal(strips ?? !(expandConv.Transposed || projectConv.Transposed), block.Strips);
        // The planned pool, a lone calling thread (whole planes), and for 3 planned threads a pool of 2.
        var pools = new List<WorkerPool> { pool, WorkerPool.Inline };
        using var two = new WorkerPool(2);
        if (threads == 3) pools.Add(two);
        float[] actual = new float[expected.Length];
        foreach (WorkerPool runPool in pools)
        {
            Array.Clear(actual);
            // The scratch the kernel asks for, then a canary it must leave alone.
            const int Canary = 4096;
            float[] blockScratch = new float[block.ScratchBytes / 4 + 16 + Canary];
            fixed (float* px = x, pwd = wd, pbe = be, pbd = bd, pbp = bp, pr = r, py = actual, ps = blockScratch)
            {
                float* aligned = (float*)(((nint)ps + 63) & ~(nint)63);
                new Span<float>(aligned + block.ScratchBytes / 4, Canary).Fill(-7.5f);
                block.Run(px, pbe, pwd, pbd, pbp, residual ? pr : null, py, runPool, aligned);
                foreach (float v in new ReadOnlySpan<float>(aligned + block.ScratchBytes / 4, Canary)) Assert.Equal(-7.5f, v);
            }
            for (int i = 0; i < expected.Length; i++)
                if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                    Assert.Fail($"{runPool.ThreadCount} threads, element {i} of {expected.Length}: {actual[i]} fused, {expected[i]} unfused");
        }
        Assert.Contains(actual, v => v != 0);

        // In place, as the planner runs a block whose residual is its own input: input, residual and output one buffer.
        if (residual && c == m && stride == 1 && project.OutputPlane == h * w)
        {
            // The unfused kernels with the input as the residual.
            float[] reference = (float[])x.Clone();
            fixed (float* px = x, pwd = wd, pbe = be, pbd = bd, pbp = bp, pe = expanded, pf = filtered, py = reference, ps = scratch)
            {
                float* s = (float*)(((nint)ps + 63) & ~(nint)63);
                expandConv.Run(px, null, pbe, pe, expandActivation, false, pool, s);
                depthwiseConv.Run(pe, pwd, pbd, pf, depthwiseActivation, false, pool);
                projectConv.Run(pf, null, pbp, py, projectActivation, true, pool, s);
            }
            expected = reference;
            float[] inPlace = new float[expected.Length];
            float[] blockScratch = new float[block.ScratchBytes / 4 + 16];
            foreach (WorkerPool runPool in pools)
            {
                x.CopyTo(inPlace, 0);
                fixed (float* py = inPlace, pwd = wd, pbe = be, pbd = bd, pbp = bp, ps = blockScratch)
                    block.Run(py, pbe, pwd, pbd, pbp, py, py, runPool, (float*)(((nint)ps + 63) & ~(nint)63));
                for (int i = 0; i < expected.Length; i++)
                    if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(inPlace[i]))
                        Assert.Fail($"in place, {runPool.ThreadCount} threads, element {i} of {expected.Length}: {inPlace[i]} fused, {expected[i]} unfused");
            }
        }
    }
}
