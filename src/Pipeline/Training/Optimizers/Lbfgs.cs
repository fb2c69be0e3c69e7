namespace Pipeline.Training.Optimizers;

/// <summary>Why <see cref="Lbfgs.Minimize"/> stopped.</summary>
internal enum LbfgsStop
{
    /// <summary>Every gradient component fell below the gradient tolerance.</summary>
    GradientTolerance,
    /// <summary>The mean relative improvement over the last iterations fell below the tolerance.</summary>
    Converged,
    /// <summary>The iteration budget ran out.</summary>
    MaxIterations,
    /// <summary>Not even steepest descent could decrease f: the optimum is reached at the precision of f.</summary>
    LineSearchFailed,
}

/// <summary>The settings of one minimization.</summary>
internal sealed record LbfgsSettings
{
    public int History { get; init; } = 10;
    public int MaxIterations { get; init; } = 1000;
    public double GradientTolerance { get; init; } = 1e-5;
    public double RelativeTolerance { get; init; } = 1e-7;
    public int ToleranceWindow { get; init; } = 5;
    public int MaxLineSearchEvaluations { get; init; } = 25;
}

/// <summary>The outcome of one minimization.</summary>
internal sealed record LbfgsResult(double Value, int Iterations, int Evaluations, double GradientNorm, LbfgsStop Stop, double[] LossHistory);

/// <summary>
/// Limited-memory BFGS (Nocedal 1980; Liu and Nocedal 1989) with the two-loop recursion, the initial Hessian scaling
/// γ = sᵀy / yᵀy, and a strong-Wolfe line search. All state is double precision. A correction pair whose curvature
/// sᵀy is not safely positive is skipped (the inverse-Hessian estimate must stay positive definite); a direction that is
/// not a descent direction, or a failed line search, resets the memory and retries along the steepest descent.
/// </summary>
internal static class Lbfgs
{
    /// <summary>Minimizes <paramref name="function"/> from <paramref name="x"/>, which holds the minimizer on return.</summary>
    public static LbfgsResult Minimize(IDifferentiableFunction function, double[] x, LbfgsSettings settings,
        Action<int, double, double>? onIteration = null, CancellationToken cancellation = default)
    {
        int n = function.Dimension, m = settings.History;
        if (x.Length != n) throw new ArgumentException("x does not match the function's dimension.", nameof(x));
        var g = new double[n];
        var xNew = new double[n];
        var gNew = new double[n];
        var d = new double[n];
        var s = new double[m][];
        var y = new double[m][];
        var rho = new double[m];
        var alpha = new double[m];
        for (int i = 0; i < m; i++) { s[i] = new double[n]; y[i] = new double[n]; }
        int stored = 0, newest = -1; // ring buffer of correction pairs
        var history = new List<double>();
        var search = new WolfeLineSearch(function, settings.MaxLineSearchEvaluations);

        double f = function.Evaluate(x, g);
        int evaluations = 1;
        if (!double.IsFinite(f)) throw new ArgumentException("The objective is not finite at the starting point.");
        history.Add(f);
        int iteration = 0;
        LbfgsStop stop = LbfgsStop.MaxIterations;
        while (true)
        {
            if (MaxAbs(g) <= settings.GradientTolerance) { stop = LbfgsStop.GradientTolerance; break; }
            if (iteration >= settings.MaxIterations) { stop = LbfgsStop.MaxIterations; break; }
            cancellation.ThrowIfCancellationRequested();

            // d = −H·g by the two-loop recursion (newest pair first, then oldest first).
            g.CopyTo(d, 0);
            for (int back = 0; back < stored; back++)
            {
                int i = (newest - back + m) % m;
                alpha[i] = rho[i] * Dot(s[i], d);
                Axpy(-alpha[i], y[i], d);
            }
            if (stored > 0)
            {
                double gamma = Dot(s[newest], y[newest]) / Dot(y[newest], y[newest]);
                Scale(d, gamma);
            }
            for (int forward = stored - 1; forward >= 0; forward--)
            {
                int i = (newest - forward + m) % m;
                double beta = rho[i] * Dot(y[i], d);
                Axpy(alpha[i] - beta, s[i], d);
            }
            Scale(d, -1);

            double slope = Dot(g, d);
            bool steepest = stored == 0;
            if (!(slope < 0))
            {
                stored = 0; newest = -1; steepest = true;
                SteepestDescent(g, d);
                slope = Dot(g, d);
            }
            double initial = steepest ? 1 / Math.Sqrt(Dot(g, g)) : 1;
            bool ok = search.Search(x, f, slope, d, initial, xNew, gNew, out double fNew, out double step);
            evaluations += search.Evaluations;
            if (!ok && !steepest)
            {
                stored = 0; newest = -1;
                SteepestDescent(g, d);
                slope = Dot(g, d);
                ok = search.Search(x, f, slope, d, 1 / Math.Sqrt(Dot(g, g)), xNew, gNew, out fNew, out step);
                evaluations += search.Evaluations;
            }
            if (!ok) { stop = LbfgsStop.LineSearchFailed; break; }

            int next = (newest + 1) % m;
            double[] sNext = s[next], yNext = y[next];
            for (int j = 0; j < n; j++)
            {
                sNext[j] = xNew[j] - x[j];
                yNext[j] = gNew[j] - g[j];
            }
            double sy = Dot(sNext, yNext);
            if (sy > 1e-10 * Math.Sqrt(Dot(sNext, sNext) * Dot(yNext, yNext)))
            {
                rho[next] = 1 / sy;
                newest = next;
                stored = Math.Min(stored + 1, m);
            }
            xNew.CopyTo(x, 0);
            gNew.CopyTo(g, 0);
            f = fNew;
            iteration++;
            history.Add(f);
            onIteration?.Invoke(iteration, f, step);

            int window = settings.ToleranceWindow;
            if (history.Count > window)
            {
                double before = history[^(window + 1)];
                double improvement = (before - f) / (window * Math.Max(Math.Abs(f), 1e-8));
                if (improvement <= settings.RelativeTolerance) { stop = LbfgsStop.Converged; break; }
            }
        }
        return new LbfgsResult(f, iteration, evaluations, Math.Sqrt(Dot(g, g)), stop, history.ToArray());
    }

    private static void SteepestDescent(double[] g, double[] d)
    {
        for (int i = 0; i < g.Length; i++) d[i] = -g[i];
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++) y[i] += a * x[i];
    }

    private static void Scale(double[] x, double a)
    {
        for (int i = 0; i < x.Length; i++) x[i] *= a;
    }

    private static double MaxAbs(double[] x)
    {
        double max = 0;
        foreach (double v in x) max = Math.Max(max, Math.Abs(v));
        return max;
    }
}
