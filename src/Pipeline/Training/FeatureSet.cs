using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pipeline.Training;

/// <summary>
/// Training or evaluation data for a head: a dense row-major matrix of <see cref="Count"/> feature vectors of
/// <see cref="Dimension"/> floats, and one label per row in [0, <see cref="ClassCount"/>). The arrays are not copied.
/// Construction validates everything once (shapes, label range, every feature finite), so training trusts the data.
/// </summary>
public sealed class FeatureSet
{
    /// <summary>Wraps <paramref name="features"/> (n × <paramref name="dimension"/>, row-major) and <paramref name="labels"/> (n).</summary>
    /// <exception cref="ArgumentException">A shape mismatch, a label out of range or a non-finite feature (the message says where).</exception>
    public FeatureSet(ReadOnlyMemory<float> features, int dimension, ReadOnlyMemory<int> labels, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if ((long)labels.Length * dimension != features.Length)
            throw new ArgumentException($"{labels.Length} labels × dimension {dimension} = {(long)labels.Length * dimension} features expected, got {features.Length}.", nameof(features));
        ReadOnlySpan<int> y = labels.Span;
        for (int i = 0; i < y.Length; i++)
        {
            if ((uint)y[i] >= (uint)classCount)
                throw new ArgumentException($"Label {y[i]} of row {i} is outside [0, {classCount}).", nameof(labels));
        }
        int bad = FirstNonFinite(features.Span);
        if (bad >= 0)
            throw new ArgumentException($"Feature {bad % dimension} of row {bad / dimension} is {features.Span[bad]}; features must be finite.", nameof(features));
        Features = features;
        Labels = labels;
        Dimension = dimension;
        ClassCount = classCount;
    }

    /// <summary>The feature matrix, row-major.</summary>
    public ReadOnlyMemory<float> Features { get; }

    /// <summary>The labels, one per row.</summary>
    public ReadOnlyMemory<int> Labels { get; }

    /// <summary>Floats per feature vector.</summary>
    public int Dimension { get; }

    /// <summary>The number of classes the labels index into.</summary>
    public int ClassCount { get; }

    /// <summary>The number of rows.</summary>
    public int Count => Labels.Length;

    /// <summary>The feature vector of row <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Row(int index) => Features.Span.Slice(index * Dimension, Dimension);

    /// <summary>The rows at <paramref name="indices"/> (copied, in that order), e.g. one fold of a split.</summary>
    public FeatureSet Subset(ReadOnlySpan<int> indices)
    {
        var features = new float[(long)indices.Length * Dimension];
        var labels = new int[indices.Length];
        ReadOnlySpan<float> source = Features.Span;
        ReadOnlySpan<int> sourceLabels = Labels.Span;
        for (int i = 0; i < indices.Length; i++)
        {
            int r = indices[i];
            if ((uint)r >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), $"Row index {r} is outside [0, {Count}).");
            source.Slice(r * Dimension, Dimension).CopyTo(features.AsSpan(i * Dimension, Dimension));
            labels[i] = sourceLabels[r];
        }
        return new FeatureSet(features, Dimension, labels, ClassCount, trusted: true);
    }

    /// <summary>The same rows seen with a larger class count (labels keep their indices): for retraining with new classes.</summary>
    public FeatureSet WithClassCount(int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, ClassCount);
        return new FeatureSet(Features, Dimension, Labels, classCount, trusted: true);
    }

    private FeatureSet(ReadOnlyMemory<float> features, int dimension, ReadOnlyMemory<int> labels, int classCount, bool trusted)
    {
        _ = trusted; // rows of an already validated set
        Features = features;
        Labels = labels;
        Dimension = dimension;
        ClassCount = classCount;
    }

    /// <summary>Counts the rows of each class.</summary>
    internal int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int y in Labels.Span) counts[y]++;
        return counts;
    }

    // x · 0 is 0 for every finite x and NaN for ±∞ and NaN, so one multiply-add per element finds any bad value.
    internal static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float start = ref MemoryMarshal.GetReference(values);
            for (; i + 8 * Vector256<float>.Count <= values.Length; i += 8 * Vector256<float>.Count)
            {
                Vector256<float> acc = Vector256<float>.Zero;
                for (int u = 0; u < 8; u++) acc += Vector256.LoadUnsafe(ref start, (nuint)(i + u * Vector256<float>.Count)) * Vector256<float>.Zero;
                if (acc != Vector256<float>.Zero) break; // a NaN lane: find it below
            }
        }
        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) return i;
        }
        return -1;
    }
}
