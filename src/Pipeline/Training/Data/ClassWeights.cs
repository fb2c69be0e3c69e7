namespace Pipeline.Training.Data;

/// <summary>Resolves <see cref="HeadOptions.ClassWeighting"/> to one weight per class.</summary>
internal static class ClassWeights
{
    /// <summary>The weight of each class for <paramref name="data"/>'s label distribution.</summary>
    public static float[] Resolve(HeadOptions options, FeatureSet data)
    {
        int k = data.ClassCount;
        var weights = new float[k];
        switch (options.ClassWeighting)
        {
            case ClassWeighting.None:
                Array.Fill(weights, 1f);
                break;
            case ClassWeighting.Balanced:
                int[] counts = data.ClassCounts();
                int present = 0;
                foreach (int c in counts) if (c > 0) present++;
                for (int c = 0; c < k; c++)
                    weights[c] = counts[c] > 0 ? (float)((double)data.Count / ((double)present * counts[c])) : 1f;
                break;
            case ClassWeighting.Explicit:
                float[] given = options.ClassWeights!;
                if (given.Length != k)
                    throw new ArgumentException($"HeadOptions.ClassWeights has {given.Length} weights but the data has {k} classes.", nameof(options));
                given.CopyTo(weights, 0);
                break;
        }
        return weights;
    }

    /// <summary>Each row's weight: the weight of its class.</summary>
    public static float[] PerRow(float[] classWeights, FeatureSet data)
    {
        ReadOnlySpan<int> labels = data.Labels.Span;
        var rows = new float[labels.Length];
        for (int i = 0; i < rows.Length; i++) rows[i] = classWeights[labels[i]];
        return rows;
    }
}
