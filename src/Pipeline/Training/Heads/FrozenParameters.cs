using Pipeline.Training.Numerics;
using Pipeline.Training.Optimizers;

namespace Pipeline.Training.Heads;

/// <summary>
/// The parameters a retrain leaves where the warm start put them: the output rows (weights and bias) of the previous
/// head's classes that have no training row, and, in an MLP, every hidden layer, which those rows read. Softmax training
/// pushes a class with no row down on every row it sees, so without this a class left out of the retraining data would
/// stop being predicted at all; frozen, it keeps its function through training (a recalibration afterwards scales
/// every class's logits alike).
/// </summary>
internal sealed class FrozenParameters
{
    private readonly (int Start, int Length)[] _ranges;

    private FrozenParameters(int[] classes, (int Start, int Length)[] ranges)
    {
        Classes = classes;
        _ranges = ranges;
    }

    /// <summary>The frozen classes, by index.</summary>
    public IReadOnlyList<int> Classes { get; }

    /// <summary>What retraining <paramref name="previous"/> on <paramref name="train"/> must keep, or null when every
    /// previous class has training rows.</summary>
    public static FrozenParameters? For(HeadModel previous, FeatureSet train)
    {
        int[] counts = train.ClassCounts();
        var classes = new List<int>();
        for (int c = 0; c < previous.Layout.OutputSize; c++)
            if (counts[c] == 0) classes.Add(c);
        if (classes.Count == 0) return null;

        ReadOnlySpan<int> oldSizes = previous.Layout.Sizes;
        var layout = new DenseLayout([.. oldSizes[..^1], train.ClassCount]);
        int last = layout.LayerCount - 1, width = layout.In(last);
        var ranges = new List<(int, int)>(2 * classes.Count + 1);
        if (last > 0) ranges.Add((0, layout.WeightOffset(last))); // the hidden layers sit before the output layer
        foreach (int c in classes)
        {
            ranges.Add((layout.WeightOffset(last) + c * width, width));
            ranges.Add((layout.BiasOffset(last) + c, 1));
        }
        return new FrozenParameters([.. classes], [.. ranges]);
    }

    /// <summary>Zeroes the frozen components of <paramref name="gradient"/>.</summary>
    public void ZeroGradient(Span<double> gradient)
    {
        foreach ((int start, int length) in _ranges) gradient.Slice(start, length).Clear();
    }

    /// <summary>Copies the frozen components of <paramref name="source"/> into <paramref name="parameters"/>.</summary>
    public void Restore(Span<float> parameters, ReadOnlySpan<float> source)
    {
        foreach ((int start, int length) in _ranges) source.Slice(start, length).CopyTo(parameters.Slice(start, length));
    }

    /// <summary><paramref name="objective"/> with the frozen components of its gradient zeroed: L-BFGS then never moves them,
    /// since every direction it builds is a combination of gradients and of its own steps.</summary>
    public IDifferentiableFunction Mask(IDifferentiableFunction objective) => new MaskedFunction(objective, this);

    private sealed class MaskedFunction(IDifferentiableFunction inner, FrozenParameters frozen) : IDifferentiableFunction
    {
        public int Dimension => inner.Dimension;

        public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
        {
            double value = inner.Evaluate(x, gradient);
            frozen.ZeroGradient(gradient);
            return value;
        }
    }
}
