namespace Pipeline.Training.Numerics;

/// <summary>
/// Row-wise softmax and cross-entropy, numerically stable: the maximum logit is subtracted before exponentiation and
/// the loss is taken from the log-sum-exp (<c>−log p_y = log Σ_c exp(z_c − max) − (z_y − max)</c>), so it never
/// takes the log of an underflowed probability.
/// </summary>
internal static class Softmax
{
    /// <summary>Turns the logits of <paramref name="row"/> into probabilities, in place.</summary>
    public static void InPlace(Span<float> row) => Normalize(row);

    /// <summary>Turns the logits into probabilities in place and returns the cross-entropy <c>−log p[label]</c>.</summary>
    public static double CrossEntropyInPlace(Span<float> row, int label)
    {
        float zy = row[label];
        (float max, double sum) = Normalize(row);
        return Math.Log(sum) - ((double)zy - max);
    }

    private static (float Max, double Sum) Normalize(Span<float> row)
    {
        float max = float.NegativeInfinity;
        foreach (float z in row) if (z > max) max = z;
        double sum = 0;
        for (int c = 0; c < row.Length; c++)
        {
            float e = MathF.Exp(row[c] - max);
            row[c] = e;
            sum += e;
        }
        float inv = (float)(1.0 / sum);
        for (int c = 0; c < row.Length; c++) row[c] *= inv;
        return (max, sum);
    }
}
