namespace Pipeline.Prediction;

/// <summary>
/// What a classifier says about one image: the most probable class and the probability of every class. Immutable.
/// </summary>
public sealed class Prediction
{
    private readonly float[] _scores;
    private readonly IReadOnlyList<string> _labels;

    internal Prediction(IReadOnlyList<string> labels, float[] scores)
    {
        _labels = labels;
        _scores = scores;
        // A read-only view, not the array: a cast back to float[] must not change this prediction's Label or Score.
        Scores = Array.AsReadOnly(scores);
        int best = 0;
        for (int c = 1; c < scores.Length; c++) if (scores[c] > scores[best]) best = c; // ties: the lower index, as the metrics
        Index = best;
    }

    /// <summary>The most probable class.</summary>
    public string Label => _labels[Index];

    /// <summary>The probability of <see cref="Label"/>.</summary>
    public float Score => _scores[Index];

    /// <summary>The index of <see cref="Label"/> in <see cref="Labels"/>.</summary>
    public int Index { get; }

    /// <summary>The model's labels, in the order of <see cref="Scores"/>.</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <summary>The probability of every class, in the order of <see cref="Labels"/>; they sum to 1.</summary>
    public IReadOnlyList<float> Scores { get; }

    /// <summary>The <paramref name="k"/> most probable classes, most probable first (ties: the lower index first).</summary>
    public IReadOnlyList<LabelScore> Top(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        k = Math.Min(k, _scores.Length);
        var order = new int[_scores.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        float[] scores = _scores;
        Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
        var top = new LabelScore[k];
        for (int i = 0; i < k; i++) top[i] = new LabelScore(_labels[order[i]], _scores[order[i]]);
        return top;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Label} {Score:0.####}";
}
