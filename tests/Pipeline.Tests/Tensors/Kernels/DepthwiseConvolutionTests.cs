using System.Runtime.InteropServices;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Convolution;
using Pipeline.Tensors.Parallelism;
using static Pipeline.Tests.Tensors.Kernels.KernelTestSupport;

namespace Pipeline.Tests.Tensors.Kernels;

/// <summary>
/// The 3×3 depthwise planes at every border the direct AVX-512 path plans masks for (and the padded path on the other
/// ISAs): widths around the 16-lane vector, each stride and each begin/end pad, with and without an accumulated residual.
/// </summary>
public sealed unsafe class DepthwiseConvolutionTests
{
    public static TheoryData<string> Isas => AllIsas;

    private static readonly int[] Widths = [1, 2, 3, 7, 14, 15, 16, 17, 18, 31, 32, 33, 34, 56];

    [Theory]
    [MemberData(nameof(Isas))]
    public void Every_3x3_border_case_matches_the_reference(string isa)
    {
        using var scope = Use(isa);
        var rng = new Random(5);
        using var pool = new WorkerPool(2);
        int cases = 0;
        foreach (int width in Widths)
            foreach (int strideH in new[] { 1, 2 })
                foreach (int strideW in new[] { 1, 2 })
                    for (int pads = 0; pads < 16; pads++)
                    {
                        int top = pads & 1, left = (pads >> 1) & 1, bottom = (pads >> 2) & 1, right = (pads >> 3) & 1;
                        if (width + left + right < 3) continue;
                        int height = 1 + rng.Next(6);
                        if (height + top + bottom < 3) height = 3;
                        bool residual = rng.Next(2) == 0;
                        FusedActivation act = rng.Next(3) switch { 0 => FusedActivation.None, 1 => FusedActivation.Relu6, _ => new(ActivationKind.LeakyRelu, Alpha: 0.1f) };
                        int multiplier = rng.Next(4) == 0 ? 2 : 1;
                        var g = new ConvGeometry(1 + rng.Next(2), 3, 3 * multiplier, 3, [height, width], [3, 3], [strideH, strideW], [1, 1],
                            [top, left], [bottom, right], AutoPad.NotSet);
                        Check(g, rng, residual, act, pool, $"{isa} {g} residual={residual} act={act}");
                        cases++;
                    }
        Assert.True(cases > 800, $"only {cases} cases");
    }

    [Fact]
    public void A_left_pad_of_two_and_wide_planes_match_the_reference()
    {
        var rng = new Random(6);
        using var pool = new WorkerPool(1);
        foreach (int width in new[] { 5, 16, 47, 112 })
            foreach (int stride in new[] { 1, 2 })
            {
                var g = new ConvGeometry(1, 4, 4, 4, [9, width], [3, 3], [stride, stride], [1, 1], [2, 2], [0, 1], AutoPad.NotSet);
                Check(g, rng, false, FusedActivation.Relu, pool, g.ToString());
            }
    }

    /// <summary>
    /// The direct AVX-512 path sums the taps in the padded path's order, so the two give the same floats, NaN and
    /// infinities included (TFLite's exact uint8 scores depend on it).
    /// </summary>
    [Fact]
    public void The_direct_path_gives_the_padded_paths_floats()
    {
        if (!KernelIsa.IsAvailable(Isa.Avx512)) Assert.Skip("the direct path needs AVX-512");
        var rng = new Random(8);
        using var pool = new WorkerPool(2);
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 1e-40f, 3e38f];
        for (int round = 0; round < 400; round++)
        {
            int stride = 1 + round % 2, multiplier = 1 + rng.Next(2), channels = 2 + rng.Next(3);
            int height = 1 + rng.Next(40), width = 1 + rng.Next(70), top = rng.Next(4), left = rng.Next(3), bottom = rng.Next(4), right = rng.Next(4);
            if (height + top + bottom < 3 || width + left + right < 3) continue;
            var g = new ConvGeometry(1 + rng.Next(2), channels, channels * multiplier, channels, [height, width], [3, 3],
                [stride, stride], [1, 1], [top, left], [bottom, right], AutoPad.NotSet);
            float[] x = Random(rng, g.Batch * channels * g.InputPlane), w = Random(rng, g.OutChannels * 9), b = Random(rng, g.OutChannels);
            if (round % 4 == 0) x[rng.Next(x.Length)] = specials[rng.Next(specials.Length)];
            int outputs = g.Batch * g.OutChannels * g.OutputPlane;
            float[] start = Random(rng, outputs);
            bool residual = rng.Next(2) == 0;
            FusedActivation act = rng.Next(3) switch { 0 => FusedActivation.None, 1 => FusedActivation.Relu6, _ => new(ActivationKind.LeakyRelu, Alpha: 0.1f) };
            float[] direct = residual ? (float[])start.Clone() : new float[outputs], padded = residual ? (float[])start.Clone() : new float[outputs];
            fixed (float* px = x, pw = w, pb = b, pd = direct, pp = padded)
            {
                new DepthwiseConvolution(g, Isa.Avx512).Run(px, pw, pb, pd, act, residual, pool);
                new DepthwiseConvolution(g, Isa.Avx512, direct: false).Run(px, pw, pb, pp, act, residual, pool);
            }
            for (int i = 0; i < outputs; i++)
                if (BitConverter.SingleToInt32Bits(direct[i]) != BitConverter.SingleToInt32Bits(padded[i]) && !(float.IsNaN(direct[i]) && float.IsNaN(padded[i])))
                    Assert.Fail($"{g} residual={residual} act={act}: output {i} is {direct[i]} direct, {padded[i]} padded");
        }
    }

    /// <summary>
    /// Input and output each end where an inaccessible page begins, or start where one ends: a load or store that left
    /// the plane's rows, even by one float at a border, would fault instead of being masked.
    /// </summary>
    [Fact]
    public void Loads_and_stores_never_leave_their_tensors()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("guard pages are set up with Linux's mmap/mprotect");
        var rng = new Random(7);
        using var pool = new WorkerPool(1);
        int cases = 0;
        foreach (int width in Widths)
            foreach (int stride in new[] { 1, 2 })
                for (int pads = 0; pads < 24; pads++)
                {
                    int top = pads % 4, left = pads / 4 % 3, bottom = (pads + width) % 4, right = (pads / 2 + width) % 4;
                    int height = 1 + rng.Next(7), multiplier = 1 + rng.Next(2);
                    if (height + top + bottom < 3 || width + left + right < 3) continue;
                    var g = new ConvGeometry(2, 2, 2 * multiplier, 2, [height, width], [3, 3], [stride, stride], [1, 1], [top, left], [bottom, right], AutoPad.NotSet);
                    bool guardAfter = (pads & 1) == 0, residual = rng.Next(2) == 0;
                    int count = 2 * 2 * g.InputPlane, outputs = 2 * g.OutChannels * g.OutputPlane;
                    float[] x = Random(rng, count), w = Random(rng, g.OutChannels * 9), b = Random(rng, g.OutChannels), start = Random(rng, outputs);
                    using var input = new GuardedFloats(count, guardAfter);
                    using var output = new GuardedFloats(outputs, !guardAfter);
                    x.CopyTo(input.Span);
                    (residual ? start : new float[outputs]).CopyTo(output.Span);
                    fixed (float* pw = w, pb = b)
                        new DepthwiseConvolution(g, KernelIsa.Current).Run(input.Pointer, pw, pb, output.Pointer, FusedActivation.None, residual, pool);
                    double[] expected = NaiveReference.Conv(x, [2, 2, height, width], w, [g.OutChannels, 1, 3, 3], b, 2, [stride, stride], [1, 1], [top, left], g.OutputSize, default);
                    if (residual) for (int i = 0; i < outputs; i++) expected[i] += start[i];
                    AssertClose(expected, output.Span, 1e-4, 1e-4, $"{g} residual={residual} input guard {(guardAfter ? "after" : "before")}");
                    cases++;
                }
        Assert.True(cases > 500, $"only {cases} cases");
    }

    private static void Check(ConvGeometry g, Random rng, bool residual, FusedActivation act, WorkerPool pool, string what)
    {
        int[] xShape = [g.Batch, g.InChannels, .. g.InputSize];
        float[] x = Random(rng, NaiveReference.Prod(xShape)), w = Random(rng, g.OutChannels * 9), b = Random(rng, g.OutChannels);
        int outputs = g.Batch * g.OutChannels * g.OutputPlane;
        float[] start = Random(rng, outputs);
        float[] y = residual ? (float[])start.Clone() : new float[outputs];
        var conv = new DepthwiseConvolution(g, KernelIsa.Current);
        fixed (float* px = x, pw = w, pb = b, py = y)
            conv.Run(px, pw, pb, py, act, residual, pool);
        double[] plain = NaiveReference.Conv(x, xShape, w, [g.OutChannels, 1, 3, 3], b, g.Groups, [.. g.Strides], [1, 1], [.. g.PadsBegin], g.OutputSize, default);
        var expected = new double[outputs];
        for (int i = 0; i < outputs; i++) expected[i] = Activate(plain[i] + (residual ? start[i] : 0), act);
        AssertClose(expected, y, 1e-4, 1e-4, what);
    }

    private static double Activate(double v, FusedActivation act) => act.Kind switch
    {
        ActivationKind.None => v,
        ActivationKind.Relu => Math.Max(v, 0),
        ActivationKind.Clip => Math.Min(Math.Max(v, act.Min), act.Max),
        ActivationKind.LeakyRelu => v >= 0 ? v : act.Alpha * v,
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };

    /// <summary>Floats placed against a PROT_NONE page: right after them, or right before them.</summary>
    private sealed class GuardedFloats : IDisposable
    {
        private const int ProtNone = 0, ProtReadWrite = 3, MapPrivateAnonymous = 0x22;
        private readonly nint _base;
        private readonly nuint _length;

        public GuardedFloats(int count, bool guardAfter)
        {
            nuint page = (nuint)Environment.SystemPageSize;
            nuint bytes = (nuint)count * sizeof(float), dataPages = (bytes + page - 1) / page * page;
            _length = dataPages + page;
            _base = Mmap(0, _length, ProtReadWrite, MapPrivateAnonymous, -1, 0);
            if (_base == -1) throw new InvalidOperationException("mmap failed");
            nint guard = guardAfter ? _base + (nint)dataPages : _base;
            if (Mprotect(guard, page, ProtNone) != 0) throw new InvalidOperationException("mprotect failed");
            Pointer = guardAfter ? (float*)(_base + (nint)dataPages - (nint)bytes) : (float*)(_base + (nint)page);
            Count = count;
        }

        public float* Pointer { get; }

        public int Count { get; }

        public Span<float> Span => new(Pointer, Count);

        public void Dispose() => Munmap(_base, _length);

        [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
        private static extern nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

        [DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
        private static extern int Mprotect(nint address, nuint length, int protection);

        [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
        private static extern int Munmap(nint address, nuint length);
    }
}
