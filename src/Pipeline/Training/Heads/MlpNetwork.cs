using Pipeline.Tensors.Parallelism;
using Pipeline.Training.Numerics;
using Pipeline.Training.Randomness;

namespace Pipeline.Training.Heads;

/// <summary>
/// The MLP's training-time forward and backward passes over one mini-batch, written out layer by layer.
/// Shapes: B = rows in the batch, d = input size, h_l = width of hidden layer l, k = classes, L = hidden layers.
/// <code>
///   forward                                        backward
///   X        (B × d)   the standardized batch      dZ_L = w_i·(P − Y) / Σw              (B × k)
///   Z_l = A_{l−1}·W_lᵀ + b_l   (B × out_l)         dW_l = dZ_lᵀ · A_{l−1}               (out_l × in_l)
///   A_l = relu(Z_l) ∘ M_l      (B × h_l)           db_l = Σ_rows dZ_l                    (out_l)
///   P = softmax(Z_L)           (B × k)             dA_{l−1} = dZ_l · W_l                 (B × in_l)
///   loss = Σ w_i·CE_i / Σ w_i                      dZ_{l−1} = dA_{l−1} ∘ M_{l−1} ∘ [Z_{l−1} &gt; 0]
/// </code>
/// with A_{−1} = X and M_l the inverted-dropout mask (0 or 1/(1 − p); all ones without dropout).
/// </summary>
internal sealed class MlpNetwork
{
    private readonly float[][] _z;      // per layer: B × out_l (the last holds P after the forward pass)
    private readonly float[][] _a;      // per hidden layer: B × h_l
    private readonly float[][] _dz;     // per layer: B × out_l
    private readonly float[] _da;       // B × max h

    public MlpNetwork(DenseLayout layout, int capacity)
    {
        Layout = layout;
        Capacity = capacity;
        Input = new float[capacity * layout.InputSize];
        int layers = layout.LayerCount;
        _z = new float[layers][];
        _dz = new float[layers][];
        _a = new float[layers - 1][];
        Masks = new float[layers - 1][];
        for (int l = 0; l < layers; l++)
        {
            _z[l] = new float[capacity * layout.Out(l)];
            _dz[l] = new float[capacity * layout.Out(l)];
            if (l < layers - 1)
            {
                _a[l] = new float[capacity * layout.Out(l)];
                Masks[l] = new float[capacity * layout.Out(l)];
            }
        }
        _da = new float[capacity * layout.MaxWidth];
    }

    public DenseLayout Layout { get; }

    /// <summary>The most rows a batch may have.</summary>
    public int Capacity { get; }

    /// <summary>The batch's (standardized) feature rows, filled by the caller: B × d.</summary>
    public float[] Input { get; }

    /// <summary>The dropout masks of the hidden layers (B × h_l each), filled by <see cref="DrawDropoutMasks"/> or by tests.</summary>
    public float[][] Masks { get; }

    /// <summary>The class probabilities of the last forward pass: B × k.</summary>
    public ReadOnlySpan<float> Probabilities(int rows) => _z[^1].AsSpan(0, rows * Layout.OutputSize);

    /// <summary>Draws fresh masks: each unit kept with probability 1 − p and then scaled by 1 / (1 − p).</summary>
    public void DrawDropoutMasks(ref Xoshiro256StarStar random, int rows, double p)
    {
        float keep = (float)(1 / (1 - p));
        for (int l = 0; l < Masks.Length; l++)
        {
            Span<float> mask = Masks[l].AsSpan(0, rows * Layout.Out(l));
            for (int i = 0; i < mask.Length; i++) mask[i] = random.NextDouble() < p ? 0f : keep;
        }
    }

    /// <summary>Runs the forward pass and returns Σ_i w_i·CE_i over the batch (not yet divided by Σ w_i).</summary>
    public double Forward(ReadOnlySpan<float> parameters, int rows, ReadOnlySpan<int> labels, ReadOnlySpan<float> rowWeights,
        bool dropout, WorkerPool? pool, VectorWidth width)
    {
        ReadOnlySpan<float> input = Input.AsSpan(0, rows * Layout.InputSize);
        for (int l = 0; l < Layout.LayerCount; l++)
        {
            int inWidth = Layout.In(l), outWidth = Layout.Out(l);
            Span<float> z = _z[l].AsSpan(0, rows * outWidth);
            ReadOnlySpan<float> weights = parameters.Slice(Layout.WeightOffset(l), outWidth * inWidth);
            ReadOnlySpan<float> bias = parameters.Slice(Layout.BiasOffset(l), outWidth);
            GemmNT.Compute(pool, width, rows, outWidth, inWidth, input, inWidth, weights, inWidth, bias, z, outWidth);
            if (l == Layout.LayerCount - 1) break;
            Span<float> a = _a[l].AsSpan(0, z.Length);
            ReadOnlySpan<float> mask = Masks[l].AsSpan(0, z.Length);
            for (int i = 0; i < z.Length; i++)
            {
                float relu = MathF.Max(z[i], 0f);
                a[i] = dropout ? relu * mask[i] : relu;
            }
            input = a;
        }
        int k = Layout.OutputSize;
        double loss = 0;
        Span<float> logits = _z[^1];
        for (int i = 0; i < rows; i++) loss += rowWeights[i] * Softmax.CrossEntropyInPlace(logits.Slice(i * k, k), labels[i]);
        return loss;
    }

    /// <summary>Runs the backward pass of the last forward pass; <paramref name="gradient"/> receives ∂(loss / <paramref name="totalWeight"/>)/∂θ.</summary>
    public void Backward(ReadOnlySpan<float> parameters, Span<float> gradient, int rows, ReadOnlySpan<int> labels, ReadOnlySpan<float> rowWeights,
        double totalWeight, bool dropout, WorkerPool? pool, VectorWidth width)
    {
        int k = Layout.OutputSize;
        int last = Layout.LayerCount - 1;
        Span<float> dz = _dz[last].AsSpan(0, rows * k);
        ReadOnlySpan<float> p = _z[last];
        float inverse = (float)(1 / totalWeight);
        for (int i = 0; i < rows; i++)
        {
            float scale = rowWeights[i] * inverse;
            for (int c = 0; c < k; c++) dz[i * k + c] = scale * p[i * k + c];
            dz[i * k + labels[i]] -= scale;
        }
        for (int l = last; l >= 0; l--)
        {
            int inWidth = Layout.In(l), outWidth = Layout.Out(l);
            ReadOnlySpan<float> dzl = _dz[l].AsSpan(0, rows * outWidth);
            ReadOnlySpan<float> input = l == 0 ? Input.AsSpan(0, rows * inWidth) : _a[l - 1].AsSpan(0, rows * inWidth);
            // dW_l (out × in) = dZ_lᵀ · A_{l−1}: A(o, i) = dZ_l[i·out + o]
            GemmNN.Compute(pool, width, outWidth, inWidth, rows, dzl, 1, outWidth, input, inWidth,
                gradient.Slice(Layout.WeightOffset(l), outWidth * inWidth), inWidth);
            Span<float> db = gradient.Slice(Layout.BiasOffset(l), outWidth);
            db.Clear();
            for (int i = 0; i < rows; i++)
                for (int o = 0; o < outWidth; o++) db[o] += dzl[i * outWidth + o];
            if (l == 0) break;
            // dA_{l−1} (B × in) = dZ_l (B × out) · W_l (out × in)
            Span<float> da = _da.AsSpan(0, rows * inWidth);
            GemmNN.Compute(pool, width, rows, inWidth, outWidth, dzl, outWidth, 1,
                parameters.Slice(Layout.WeightOffset(l), outWidth * inWidth), inWidth, da, inWidth);
            Span<float> dzPrevious = _dz[l - 1].AsSpan(0, da.Length);
            ReadOnlySpan<float> zPrevious = _z[l - 1], mask = Masks[l - 1];
            for (int i = 0; i < da.Length; i++)
            {
                float g = zPrevious[i] > 0 ? da[i] : 0f;
                dzPrevious[i] = dropout ? g * mask[i] : g;
            }
        }
    }
}
