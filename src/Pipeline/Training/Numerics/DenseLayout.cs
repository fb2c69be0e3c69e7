namespace Pipeline.Training.Numerics;

/// <summary>
/// Where each dense layer's parameters live in one flat buffer (llm.c style). Layer sizes are
/// <c>[d, h₁, …, k]</c>; layer l maps <c>Sizes[l]</c> inputs to <c>Sizes[l + 1]</c> outputs and stores its weights
/// W_l (out × in, row-major: one output unit per row) followed by its bias b_l (out). Logistic regression is the
/// layout with no hidden layer.
/// </summary>
internal sealed class DenseLayout
{
    private readonly int[] _sizes;
    private readonly long[] _offsets; // start of W_l; b_l follows at _offsets[l] + out·in

    /// <summary>A layout for the given layer sizes (input first, classes last).</summary>
    public DenseLayout(ReadOnlySpan<int> sizes)
    {
        if (sizes.Length < 2) throw new ArgumentException("A dense network needs at least an input and an output size.", nameof(sizes));
        _sizes = sizes.ToArray();
        _offsets = new long[_sizes.Length - 1];
        long offset = 0;
        for (int l = 0; l < LayerCount; l++)
        {
            if (_sizes[l] <= 0 || _sizes[l + 1] <= 0) throw new ArgumentException("Layer sizes must be positive.", nameof(sizes));
            _offsets[l] = offset;
            offset += (long)_sizes[l + 1] * _sizes[l] + _sizes[l + 1];
        }
        if (offset > Array.MaxLength) throw new ArgumentException($"The network would have {offset} parameters, more than one array holds.", nameof(sizes));
        ParameterCount = (int)offset;
    }

    /// <summary>The layer sizes, input first.</summary>
    public ReadOnlySpan<int> Sizes => _sizes;

    /// <summary>The number of dense layers (hidden layers + 1).</summary>
    public int LayerCount => _sizes.Length - 1;

    /// <summary>The input dimension d.</summary>
    public int InputSize => _sizes[0];

    /// <summary>The number of classes k.</summary>
    public int OutputSize => _sizes[^1];

    /// <summary>The widest layer output (scratch sizing).</summary>
    public int MaxWidth
    {
        get
        {
            int max = 0;
            for (int l = 1; l < _sizes.Length; l++) max = Math.Max(max, _sizes[l]);
            return max;
        }
    }

    /// <summary>Total parameters.</summary>
    public int ParameterCount { get; }

    /// <summary>Inputs of layer <paramref name="layer"/>.</summary>
    public int In(int layer) => _sizes[layer];

    /// <summary>Outputs of layer <paramref name="layer"/>.</summary>
    public int Out(int layer) => _sizes[layer + 1];

    /// <summary>Offset of W_l in the flat buffer.</summary>
    public int WeightOffset(int layer) => (int)_offsets[layer];

    /// <summary>Offset of b_l in the flat buffer.</summary>
    public int BiasOffset(int layer) => (int)_offsets[layer] + Out(layer) * In(layer);

    /// <summary>W_l inside <paramref name="parameters"/>.</summary>
    public Span<float> Weights(Span<float> parameters, int layer) => parameters.Slice(WeightOffset(layer), Out(layer) * In(layer));

    /// <summary>b_l inside <paramref name="parameters"/>.</summary>
    public Span<float> Bias(Span<float> parameters, int layer) => parameters.Slice(BiasOffset(layer), Out(layer));
}
