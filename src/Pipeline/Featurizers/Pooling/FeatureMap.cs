namespace Pipeline.Featurizers.Pooling;

/// <summary>How a feature map's values are ordered in memory.</summary>
internal enum FeatureLayout
{
    /// <summary>Channel, then row, then column (ONNX models: one image of N×C×H×W).</summary>
    ChannelsFirst,

    /// <summary>Row, then column, then channel (TFLite models: one image of N×H×W×C).</summary>
    ChannelsLast,
}

/// <summary>One image's feature map, C × H × W floats in either layout: what the pooling reads.</summary>
internal readonly ref struct FeatureMap
{
    public FeatureMap(ReadOnlySpan<float> data, int channels, int height, int width, FeatureLayout layout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (data.Length != (long)channels * height * width)
            throw new ArgumentException($"A {channels}×{height}×{width} feature map holds {(long)channels * height * width} values, not {data.Length}.", nameof(data));
        Data = data;
        Channels = channels;
        Height = height;
        Width = width;
        Layout = layout;
    }

    public ReadOnlySpan<float> Data { get; }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public FeatureLayout Layout { get; }

    /// <summary>The value of channel <paramref name="c"/> at row <paramref name="y"/>, column <paramref name="x"/> (for references and tests).</summary>
    public float this[int c, int y, int x] => Layout == FeatureLayout.ChannelsFirst
        ? Data[(c * Height + y) * Width + x]
        : Data[(y * Width + x) * Channels + c];
}
