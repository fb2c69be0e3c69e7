using System.Buffers;
using Pipeline.Tensors.Parallelism;
using Pipeline.Training.Numerics;

namespace Pipeline.Training.Heads;

/// <summary>
/// A trained head, immutable: optional standardization, then dense layers (ReLU between them), then softmax.
/// Inference is allocation-free (scratch comes from the shared array pool) and thread-safe.
/// </summary>
internal sealed class HeadModel
{
    private const int BlockRows = 32; // rows per pass through the layers: bounds the scratch and keeps it in cache

    public HeadModel(HeadKind kind, DenseLayout layout, float[] parameters, float[]? mean, float[]? scale)
    {
        if (parameters.Length != layout.ParameterCount) throw new ArgumentException("Parameter count does not match the layout.", nameof(parameters));
        if ((mean is null) != (scale is null) || (mean is not null && (mean.Length != layout.InputSize || scale!.Length != layout.InputSize)))
            throw new ArgumentException("Standardization needs a mean and a scale per input feature.", nameof(mean));
        Kind = kind;
        Layout = layout;
        Parameters = parameters;
        Mean = mean;
        Scale = scale;
    }

    public HeadKind Kind { get; }
    public DenseLayout Layout { get; }
    public float[] Parameters { get; }
    public float[]? Mean { get; }
    public float[]? Scale { get; }
    public bool Standardized => Mean is not null;

    /// <summary>Class probabilities (or raw logits) of <paramref name="rows"/> feature vectors into <paramref name="output"/> (rows × k).</summary>
    public void Forward(ReadOnlySpan<float> features, int rows, Span<float> output, bool probabilities, WorkerPool? pool, VectorWidth width)
    {
        int d = Layout.InputSize, k = Layout.OutputSize, maxWidth = Layout.MaxWidth;
        int block = Math.Min(rows, BlockRows);
        int standardizedLength = Standardized ? block * d : 0;
        int activationLength = block * maxWidth;
        float[] scratch = ArrayPool<float>.Shared.Rent(standardizedLength + 2 * activationLength);
        try
        {
            for (int r0 = 0; r0 < rows; r0 += BlockRows)
            {
                int m = Math.Min(BlockRows, rows - r0);
                ReadOnlySpan<float> input = features.Slice(r0 * d, m * d);
                if (Standardized)
                {
                    Span<float> standardized = scratch.AsSpan(0, m * d);
                    for (int i = 0; i < m; i++)
                        Data.Standardizer.Apply(input.Slice(i * d, d), Mean, Scale, standardized.Slice(i * d, d));
                    input = standardized;
                }
                for (int l = 0; l < Layout.LayerCount; l++)
                {
                    int inWidth = Layout.In(l), outWidth = Layout.Out(l);
                    bool last = l == Layout.LayerCount - 1;
                    Span<float> destination = last
                        ? output.Slice(r0 * k, m * k)
                        : scratch.AsSpan(standardizedLength + (l % 2) * activationLength, m * outWidth);
                    // destination (m × out) = input (m × in) · W_lᵀ + b_l
                    GemmNT.Compute(pool, width, m, outWidth, inWidth, input, inWidth,
                        Layout.Weights(Parameters, l), inWidth, Layout.Bias(Parameters, l), destination, outWidth);
                    if (!last) Relu(destination);
                    input = destination;
                }
                if (probabilities)
                    for (int i = 0; i < m; i++) Softmax.InPlace(output.Slice((r0 + i) * k, k));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>The architecture, as a manifest records it.</summary>
    public HeadSpec Spec()
    {
        var hidden = new int[Layout.LayerCount - 1];
        for (int l = 0; l < hidden.Length; l++) hidden[l] = Layout.Out(l);
        return new HeadSpec
        {
            Kind = Kind,
            FeatureDimension = Layout.InputSize,
            ClassCount = Layout.OutputSize,
            HiddenSizes = hidden,
            Standardized = Standardized,
        };
    }

    internal static void Relu(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = MathF.Max(values[i], 0f);
    }
}
