using Pipeline.Tensors.Parallelism;
using Pipeline.Training.Numerics;
using Pipeline.Training.Optimizers;

namespace Pipeline.Training.Heads;

/// <summary>
/// The multinomial logistic regression objective over a whole training set, for L-BFGS:
/// <code>
///   f(W, b) = Σ_i w_i · CE(softmax(W·x̂_i + b), y_i) / Σ_i w_i  +  λ/2 · ‖W‖²        x̂ = (x − μ) ∘ s
/// </code>
/// θ is laid out as <see cref="DenseLayout"/> [d, k]: W (k × d, row-major) then b (k).
/// Standardization is folded into the weights instead of copying the data: W·x̂ + b = (W ∘ s)·x + (b − (W ∘ s)·μ),
/// and ∂f/∂W_cj = (Σ_i g_ic·x_ij − μ_j·Σ_i g_ic)·s_j with g = ∂f/∂z.
/// Two parallel passes per evaluation, each independent of the thread count:
/// <list type="number">
/// <item>rows in fixed chunks: Z = X·W'ᵀ + b' (n × k), softmax, loss per chunk, and G = w_i·(p_i − onehot(y_i)) / Σw in place of Z;</item>
/// <item>columns: ∂W' = Gᵀ·X (k × d), each element one ordered multiply-add chain over the rows.</item>
/// </list>
/// The chunk losses are added in chunk order, in double.
/// </summary>
internal sealed unsafe class LogisticObjective : IDifferentiableFunction
{
    private const int ChunkRows = 256;

    private readonly FeatureSet _data;
    private readonly float[]? _mean, _scale;
    private readonly float[] _rowWeights;
    private readonly double _totalWeight, _l2;
    private readonly WorkerPool? _pool;
    private readonly VectorWidth _width;
    private readonly int _n, _d, _k;
    private readonly float[] _w, _b, _g, _gradW;
    private readonly double[] _chunkLoss;

    public LogisticObjective(FeatureSet data, float[]? mean, float[]? scale, float[] rowWeights, double l2, WorkerPool? pool, VectorWidth width)
    {
        _data = data;
        _mean = mean;
        _scale = scale;
        _rowWeights = rowWeights;
        _l2 = l2;
        _pool = pool;
        _width = width;
        _n = data.Count; _d = data.Dimension; _k = data.ClassCount;
        double total = 0;
        foreach (float w in rowWeights) total += w;
        if (!(total > 0)) throw new ArgumentException("The training samples' weights add up to zero: every class present has weight 0.");
        _totalWeight = total;
        _w = new float[_k * _d];
        _b = new float[_k];
        _g = new float[(long)_n * _k > Array.MaxLength ? throw new ArgumentException("n × k is too large.") : _n * _k];
        _gradW = new float[_k * _d];
        _chunkLoss = new double[(_n + ChunkRows - 1) / ChunkRows];
    }

    public int Dimension => _k * _d + _k;

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        int n = _n, d = _d, k = _k;
        // W' = W ∘ s and b' = b − W'·μ in float for the kernels; the penalty from θ in double.
        double penalty = 0;
        for (int c = 0; c < k; c++)
        {
            double shift = 0;
            for (int j = 0; j < d; j++)
            {
                double wcj = theta[c * d + j];
                penalty += wcj * wcj;
                float folded = _scale is null ? (float)wcj : (float)(wcj * _scale[j]);
                _w[c * d + j] = folded;
                if (_mean is not null) shift += (double)folded * _mean[j];
            }
            _b[c] = (float)(theta[k * d + c] - shift);
        }

        using (var pin = _data.Features.Pin())
        fixed (float* w = _w) fixed (float* b = _b) fixed (float* g = _g) fixed (float* rowWeights = _rowWeights)
        fixed (int* labels = _data.Labels.Span) fixed (double* chunkLoss = _chunkLoss)
        {
            var body = new ForwardBody((float*)pin.Pointer, w, b, g, labels, rowWeights, chunkLoss, n, d, k, _totalWeight, _width);
            if (_pool is null) for (int c = 0; c < _chunkLoss.Length; c++) body.Invoke(c);
            else _pool.For(_chunkLoss.Length, ref body);
        }
        double loss = 0;
        foreach (double chunk in _chunkLoss) loss += chunk;
        loss /= _totalWeight;

        // ∂W' (k × d) = Gᵀ (k × n) · X (n × d): A(c, i) = G[i·k + c].
        GemmNN.Compute(_pool, _width, k, d, n, _g, 1, k, _data.Features.Span, d, _gradW, d);
        Span<double> gradB = gradient.Slice(k * d, k);
        gradB.Clear();
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++) gradB[c] += _g[i * k + c];
        for (int c = 0; c < k; c++)
        {
            for (int j = 0; j < d; j++)
            {
                double raw = _gradW[c * d + j];
                if (_mean is not null) raw -= _mean[j] * gradB[c];
                if (_scale is not null) raw *= _scale[j];
                gradient[c * d + j] = raw + _l2 * theta[c * d + j];
            }
        }
        return loss + 0.5 * _l2 * penalty;
    }

    private readonly struct ForwardBody(float* x, float* w, float* b, float* g, int* labels, float* rowWeights, double* chunkLoss,
        int n, int d, int k, double totalWeight, VectorWidth width) : IParallelBody
    {
        public void Invoke(int chunk)
        {
            int r0 = chunk * ChunkRows, rows = Math.Min(ChunkRows, n - r0);
            var z = new Span<float>(g + (long)r0 * k, rows * k);
            GemmNT.Compute(null, width, rows, k, d, new ReadOnlySpan<float>(x + (long)r0 * d, rows * d), d,
                new ReadOnlySpan<float>(w, k * d), d, new ReadOnlySpan<float>(b, k), z, k);
            double loss = 0;
            float inverseTotal = (float)(1 / totalWeight);
            for (int i = 0; i < rows; i++)
            {
                Span<float> row = z.Slice(i * k, k);
                int label = labels[r0 + i];
                float weight = rowWeights[r0 + i];
                loss += weight * Softmax.CrossEntropyInPlace(row, label);
                float scale = weight * inverseTotal;
                for (int c = 0; c < k; c++) row[c] *= scale;
                row[label] -= scale;
            }
            chunkLoss[chunk] = loss;
        }
    }
}
