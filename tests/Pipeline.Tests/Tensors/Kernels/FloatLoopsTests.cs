using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Elementwise;

namespace Pipeline.Tests.Tensors.Kernels;

/// <summary>
/// The vectorized float loops against the ONNX definitions evaluated in double, at every length from 0 to 67 (so each
/// Vector512/256/128 tail and the scalar remainder run) and a few long ones, out of place and in place.
/// Run the suite with DOTNET_EnableAVX512F=0 / DOTNET_EnableAVX2=0 to cover the narrower paths.
/// </summary>
public sealed class FloatLoopsTests
{
    public static TheoryData<string> Functions() => new()
    {
        "relu", "leakyrelu", "clip", "hardsigmoid", "hardswish", "elu", "selu", "sigmoid", "tanh", "exp", "affine",
    };

    private static double Reference(string name, double x) => name switch
    {
        "relu" => x > 0 ? x : 0,
        "leakyrelu" => x >= 0 ? x : 0.1 * x,
        "clip" => Math.Min(Math.Max(x, -0.5), 1.25),
        "hardsigmoid" => Math.Max(0, Math.Min(1, 0.2 * x + 0.5)),
        "hardswish" => x * Math.Max(0, Math.Min(1, x / 6 + 0.5)),
        "elu" => x >= 0 ? x : 1.5 * (Math.Exp(x) - 1),
        "selu" => x > 0 ? 1.0507 * x : 1.0507 * (1.6733 * Math.Exp(x) - 1.6733),
        "sigmoid" => 1 / (1 + Math.Exp(-x)),
        "tanh" => Math.Tanh(x),
        "exp" => Math.Exp(x),
        "affine" => x * 1.75 - 0.25,
        _ => throw new ArgumentException(name),
    };

    private static void Apply(string name, ReadOnlySpan<float> x, Span<float> y)
    {
        switch (name)
        {
            case "relu": FloatLoops.Relu(x, y); break;
            case "leakyrelu": FloatLoops.LeakyRelu(x, 0.1f, y); break;
            case "clip": FloatLoops.Clip(x, -0.5f, 1.25f, y); break;
            case "hardsigmoid": FloatLoops.HardSigmoid(x, 0.2f, 0.5f, y); break;
            case "hardswish": FloatLoops.HardSwish(x, y); break;
            case "elu": FloatLoops.Elu(x, 1.5f, y); break;
            case "selu": FloatLoops.Selu(x, 1.6733f, 1.0507f, y); break;
            case "sigmoid": FloatLoops.Sigmoid(x, y); break;
            case "tanh": FloatLoops.Tanh(x, y); break;
            case "exp": FloatLoops.Exp(x, y); break;
            case "affine": FloatLoops.Affine(x, 1.75f, -0.25f, y); break;
            default: throw new ArgumentException(name);
        }
    }

    private static IEnumerable<int> Lengths()
    {
        for (int n = 0; n <= 67; n++) yield return n;
        yield return 128;
        yield return 1001;
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void MatchesTheDefinitionAtEveryLength(string name)
    {
        var random = new Random(1234);
        foreach (int n in Lengths())
        {
            var x = new float[n];
            for (int i = 0; i < n; i++) x[i] = random.NextSingle() * 12 - 6;
            if (n > 3) { x[0] = 0f; x[1] = -0f; x[2] = 1e-7f; }
            var y = new float[n + 1];
            y[n] = 12345f; // must stay untouched
            Apply(name, x, y.AsSpan(0, n));
            var inPlace = (float[])x.Clone();
            Apply(name, inPlace, inPlace);
            for (int i = 0; i < n; i++)
            {
                double e = Reference(name, x[i]);
                Assert.True(Math.Abs(y[i] - e) <= 1e-6 + 2e-6 * Math.Abs(e), $"{name} n={n} i={i}: x={x[i]} expected {e} got {y[i]}");
                Assert.Equal(y[i], inPlace[i]);
            }
            Assert.Equal(12345f, y[n]);
        }
    }

    [Fact]
    public void NaNPropagatesThroughEveryActivation()
    {
        foreach (string name in Functions())
        {
            var x = Enumerable.Repeat(float.NaN, 37).ToArray();
            var y = new float[37];
            Apply(name, x, y);
            Assert.All(y, v => Assert.True(float.IsNaN(v), $"{name} turned NaN into {v}"));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(67)]
    public void PReluUsesTheSlopeOfEachElement(int n)
    {
        var random = new Random(n);
        var x = Enumerable.Range(0, n).Select(_ => random.NextSingle() * 4 - 2).ToArray();
        var slope = Enumerable.Range(0, n).Select(_ => random.NextSingle()).ToArray();
        var y = new float[n];
        FloatLoops.PRelu(x, slope, y);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] >= 0 ? x[i] : slope[i] * x[i], y[i]);
    }

    [Fact]
    public void ApplyDispatchesEveryFusedActivation()
    {
        var x = Enumerable.Range(-40, 81).Select(i => i / 8f).ToArray();
        FusedActivation[] activations =
        [
            FusedActivation.None, FusedActivation.Relu, FusedActivation.Relu6,
            new(ActivationKind.LeakyRelu, Alpha: 0.2f), new(ActivationKind.Sigmoid), new(ActivationKind.HardSwish),
        ];
        foreach (FusedActivation a in activations)
        {
            var y = new float[x.Length];
            FloatLoops.Apply(a, x, y);
            for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(a.Apply(x[i]) - y[i]) <= 1e-6, $"{a} at {x[i]}");
        }
    }
}
