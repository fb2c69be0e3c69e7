namespace Pipeline.Training.Optimizers;

/// <summary>
/// A line search for the strong Wolfe conditions (Nocedal and Wright, Numerical Optimization, 2nd ed., algorithms 3.5
/// and 3.6): bracket a step, then shrink the bracket by safeguarded cubic interpolation. With φ(α) = f(x + α·d):
/// <c>φ(α) ≤ φ(0) + c₁·α·φ'(0)</c> (sufficient decrease) and <c>|φ'(α)| ≤ c₂·|φ'(0)|</c> (curvature).
/// When the evaluation budget runs out it falls back to the best step with sufficient decrease (Armijo backtracking's
/// guarantee), and fails only when no step decreases f enough, which near the optimum means float noise.
/// </summary>
internal sealed class WolfeLineSearch(IDifferentiableFunction function, int maxEvaluations)
{
    private const double C1 = 1e-4, C2 = 0.9;
    private const double MaxStep = 1e10;

    private double[] _x = [], _d = [];
    private double _f0, _slope0;
    private Memory<double> _xNew, _gNew;

    /// <summary>Objective evaluations made by this search so far.</summary>
    public int Evaluations { get; private set; }

    /// <summary>
    /// Searches along <paramref name="direction"/> (a descent direction: slope = g·d &lt; 0) from <paramref name="x"/>.
    /// On success, <paramref name="xNew"/>, <paramref name="gNew"/> and <paramref name="fNew"/> hold the accepted point.
    /// </summary>
    public bool Search(double[] x, double f0, double slope0, double[] direction, double initialStep,
        double[] xNew, double[] gNew, out double fNew, out double step)
    {
        _x = x; _d = direction; _f0 = f0; _slope0 = slope0; _xNew = xNew; _gNew = gNew;
        Evaluations = 0;
        double previous = 0, fPrevious = f0, slopePrevious = slope0;
        double alpha = Math.Min(initialStep, MaxStep);
        for (int i = 0; Evaluations < maxEvaluations; i++)
        {
            (double f, double slope) = Evaluate(alpha);
            if (!SufficientDecrease(alpha, f) || (i > 0 && f >= fPrevious))
                return Zoom(previous, fPrevious, slopePrevious, alpha, f, slope, out fNew, out step);
            if (Math.Abs(slope) <= -C2 * slope0)
            {
                fNew = f; step = alpha;
                return true;
            }
            if (slope >= 0)
                return Zoom(alpha, f, slope, previous, fPrevious, slopePrevious, out fNew, out step);
            previous = alpha; fPrevious = f; slopePrevious = slope;
            alpha = Math.Min(4 * alpha, MaxStep); // still descending steeply: extrapolate
        }
        return Fallback(previous, fPrevious, out fNew, out step);
    }

    // The bracket [lo, hi] (unordered) contains a Wolfe step; lo is the best point so far with sufficient decrease.
    private bool Zoom(double lo, double fLo, double slopeLo, double hi, double fHi, double slopeHi, out double fNew, out double step)
    {
        while (Evaluations < maxEvaluations)
        {
            double width = Math.Abs(hi - lo);
            if (width <= 1e-12 * Math.Max(Math.Abs(lo), Math.Abs(hi))) break; // the bracket collapsed at double precision
            double alpha = CubicMinimizer(lo, fLo, slopeLo, hi, fHi, slopeHi);
            double low = Math.Min(lo, hi), high = Math.Max(lo, hi);
            if (!double.IsFinite(alpha) || alpha < low + 0.1 * width || alpha > high - 0.1 * width)
                alpha = 0.5 * (lo + hi); // interpolation unreliable or too close to an end: bisect
            (double f, double slope) = Evaluate(alpha);
            if (!SufficientDecrease(alpha, f) || f >= fLo)
            {
                hi = alpha; fHi = f; slopeHi = slope;
            }
            else
            {
                if (Math.Abs(slope) <= -C2 * _slope0)
                {
                    fNew = f; step = alpha;
                    return true;
                }
                if (slope * (hi - lo) >= 0)
                {
                    hi = lo; fHi = fLo; slopeHi = slopeLo;
                }
                lo = alpha; fLo = f; slopeLo = slope;
            }
        }
        return Fallback(lo, fLo, out fNew, out step);
    }

    private bool Fallback(double alpha, double f, out double fNew, out double step)
    {
        step = alpha;
        if (alpha > 0 && f < _f0)
        {
            (fNew, _) = Evaluate(alpha); // leave xNew/gNew at the accepted point
            return true;
        }
        fNew = _f0;
        return false;
    }

    private bool SufficientDecrease(double alpha, double f) => double.IsFinite(f) && f <= _f0 + C1 * alpha * _slope0;

    private (double F, double Slope) Evaluate(double alpha)
    {
        Span<double> xNew = _xNew.Span, gNew = _gNew.Span;
        for (int i = 0; i < xNew.Length; i++) xNew[i] = _x[i] + alpha * _d[i];
        Evaluations++;
        double f = function.Evaluate(xNew, gNew);
        double slope = 0;
        for (int i = 0; i < gNew.Length; i++) slope += gNew[i] * _d[i];
        if (!double.IsFinite(f) || !double.IsFinite(slope)) return (double.PositiveInfinity, double.NaN);
        return (f, slope);
    }

    // The minimizer of the cubic matching φ and φ' at a and b (Nocedal and Wright, eq. 3.59).
    private static double CubicMinimizer(double a, double fa, double da, double b, double fb, double db)
    {
        if (!double.IsFinite(fa) || !double.IsFinite(fb) || !double.IsFinite(da) || !double.IsFinite(db)) return double.NaN;
        double d1 = da + db - 3 * (fa - fb) / (a - b);
        double discriminant = d1 * d1 - da * db;
        if (discriminant < 0) return double.NaN;
        double d2 = Math.Sign(b - a) * Math.Sqrt(discriminant);
        return b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
    }
}
