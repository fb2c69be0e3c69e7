using Pipeline.Tensors.Kernels;

namespace Pipeline.Tests.Tensors.Kernels;

/// <summary>Shared pieces of the kernel tests: the ISA list, an override scope, random data and tolerant comparison.</summary>
internal static class KernelTestSupport
{
    /// <summary>Every instruction set by name (test signatures must be public), as theory data; a test skips the ones this machine lacks.</summary>
    public static TheoryData<string> AllIsas => new(nameof(Isa.Scalar), nameof(Isa.Vector128), nameof(Isa.Avx2), nameof(Isa.Avx512));

    /// <summary>Forces <paramref name="name"/>'s ISA for kernels created until the scope ends; skips when it cannot run here.</summary>
    public static IsaScope Use(string name)
    {
        Isa isa = Enum.Parse<Isa>(name);
        if (!KernelIsa.IsAvailable(isa)) Assert.Skip($"{isa} is not available on this machine (widest: {KernelIsa.Detected}).");
        return new IsaScope(isa);
    }

    public static float[] Random(Random rng, int count, float scale = 1f)
    {
        var data = new float[count];
        for (int i = 0; i < count; i++) data[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return data;
    }

    /// <summary>Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise, naming the first bad index.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double rtol = 1e-4, double atol = 1e-4, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (!(Math.Abs(a - e) <= atol + rtol * Math.Abs(e)))
                Assert.Fail($"{what}: element {i} is {a}, expected {e} (|diff| {Math.Abs(a - e):g3}).");
        }
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol = 1e-4, double atol = 1e-4, string what = "")
    {
        var e = new double[expected.Length];
        for (int i = 0; i < e.Length; i++) e[i] = expected[i];
        AssertClose(e, actual, rtol, atol, what);
    }

    internal sealed class IsaScope : IDisposable
    {
        private readonly Isa? _previous;

        public IsaScope(Isa isa)
        {
            _previous = KernelIsa.Override;
            KernelIsa.Override = isa;
        }

        public void Dispose() => KernelIsa.Override = _previous;
    }
}
