namespace Pipeline.Prediction;

/// <summary>One class and its probability.</summary>
/// <param name="Label">The class label.</param>
/// <param name="Score">Its probability, 0 to 1.</param>
public readonly record struct LabelScore(string Label, float Score)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Label} {Score:0.####}";
}
