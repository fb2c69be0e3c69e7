using Pipeline.Training.Optimizers;

namespace Pipeline.Tests.Training.Optimizers;

public sealed class LbfgsTests
{
    /// <summary>f(x) = ½ (x − x*)ᵀ A (x − x*) with A = Qᵀ diag(λ) Q, eigenvalues spread over [1, 10⁴]: the minimizer is x*.</summary>
    private sealed class Quadratic : IDifferentiableFunction
    {
        private readonly double[,] _a;
        private readonly double[] _optimum;

        public Quadratic(int n, int seed)
        {
            var random = new Random(seed);
            // Q from Gram–Schmidt on a random matrix.
            var q = new double[n, n];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++) q[i, j] = random.NextDouble() - 0.5;
                for (int p = 0; p < i; p++)
                {
                    double dot = 0;
                    for (int j = 0; j < n; j++) dot += q[i, j] * q[p, j];
                    for (int j = 0; j < n; j++) q[i, j] -= dot * q[p, j];
                }
                double norm = 0;
                for (int j = 0; j < n; j++) norm += q[i, j] * q[i, j];
                for (int j = 0; j < n; j++) q[i, j] /= Math.Sqrt(norm);
            }
            _a = new double[n, n];
            for (int e = 0; e < n; e++)
            {
                double eigen = Math.Pow(10, 4.0 * e / (n - 1));
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) _a[i, j] += eigen * q[e, i] * q[e, j];
            }
            _optimum = new double[n];
            for (int i = 0; i < n; i++) _optimum[i] = random.NextDouble() * 10 - 5;
        }

        public double[] Optimum => _optimum;
        public int Dimension => _optimum.Length;

        public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
        {
            int n = Dimension;
            double f = 0;
            for (int i = 0; i < n; i++)
            {
                double g = 0;
                for (int j = 0; j < n; j++) g += _a[i, j] * (x[j] - _optimum[j]);
                gradient[i] = g;
                f += 0.5 * (x[i] - _optimum[i]) * g;
            }
            return f;
        }
    }

    private sealed class Rosenbrock(int n) : IDifferentiableFunction
    {
        public int Dimension => n;

        public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
        {
            double f = 0;
            gradient.Clear();
            for (int i = 0; i < n - 1; i++)
            {
                double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
                f += 100 * a * a + b * b;
                gradient[i] += -400 * a * x[i] - 2 * b;
                gradient[i + 1] += 200 * a;
            }
            return f;
        }
    }

    [Fact]
    public void FindsTheMinimumOfAnIllConditionedQuadratic()
    {
        var f = new Quadratic(30, 1);
        var x = new double[30];
        LbfgsResult result = Lbfgs.Minimize(f, x, new LbfgsSettings { GradientTolerance = 1e-8, RelativeTolerance = 0, MaxIterations = 2000 }, cancellation: TestContext.Current.CancellationToken);
        Assert.Equal(LbfgsStop.GradientTolerance, result.Stop);
        for (int i = 0; i < x.Length; i++) Assert.Equal(f.Optimum[i], x[i], 6);
        // The loss never increases: every accepted step satisfies sufficient decrease.
        for (int i = 1; i < result.LossHistory.Length; i++) Assert.True(result.LossHistory[i] <= result.LossHistory[i - 1]);
    }

    [Fact]
    public void SolvesRosenbrock()
    {
        var x = new double[10];
        for (int i = 0; i < x.Length; i++) x[i] = i % 2 == 0 ? -1.2 : 1;
        LbfgsResult result = Lbfgs.Minimize(new Rosenbrock(10), x, new LbfgsSettings { GradientTolerance = 1e-9, RelativeTolerance = 0, MaxIterations = 5000 }, cancellation: TestContext.Current.CancellationToken);
        Assert.True(result.Value < 1e-12, $"f = {result.Value} after {result.Iterations} iterations ({result.Stop})");
        foreach (double v in x) Assert.Equal(1.0, v, 5);
    }

    [Fact]
    public void ExhaustingTheIterationsIsReported()
    {
        var x = new double[10];
        LbfgsResult result = Lbfgs.Minimize(new Rosenbrock(10), x, new LbfgsSettings { MaxIterations = 3, RelativeTolerance = 0, GradientTolerance = 0 }, cancellation: TestContext.Current.CancellationToken);
        Assert.Equal(LbfgsStop.MaxIterations, result.Stop);
        Assert.Equal(3, result.Iterations);
    }
}
