namespace Pipeline.Training.Optimizers;

/// <summary>A smooth objective for <see cref="Lbfgs"/>: its value and gradient at a point.</summary>
internal interface IDifferentiableFunction
{
    /// <summary>The number of variables.</summary>
    int Dimension { get; }

    /// <summary>Returns f(<paramref name="x"/>) and writes ∇f(<paramref name="x"/>) into <paramref name="gradient"/>.</summary>
    double Evaluate(ReadOnlySpan<double> x, Span<double> gradient);
}
