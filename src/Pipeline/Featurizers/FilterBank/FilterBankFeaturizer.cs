using System.Numerics.Tensors;
using System.Buffers;
using System.Text;
using Pipeline.Imaging;
using Pipeline.Imaging.Processing;
using Pipeline.Tensors.Parallelism;
using Pipeline.Training.Numerics;
using Pipeline.Training.Randomness;

namespace Pipeline.Featurizers.FilterBank;

/// <summary>
/// The built-in featurizer, which needs no pretrained weights: a filter bank learned from the training images
/// themselves (see <see cref="FilterBankSpec"/> for the method). <see cref="Train"/> learns it; the learned whitening
/// and centroids are the <see cref="State"/> stored in model.zip.
/// </summary>
internal sealed class FilterBankFeaturizer : IFeaturizer
{
    /// <summary>Bumped whenever the encoding changes in a way that changes features (it is part of the fingerprint).</summary>
    internal const int AlgorithmVersion = 1;

    private readonly FilterBankSpec _spec;
    private readonly TriangleEncoder _encoder;
    private readonly byte[] _state;
    private readonly WorkerPool _pool;
    private readonly int _renderBytes;

    internal FilterBankFeaturizer(FilterBankSpec spec, FilterBankState state, int threads)
    {
        spec.Validate();
        _spec = spec;
        _encoder = new TriangleEncoder(spec, state);
        _state = state.Serialize();
        Preprocessing = spec.Preprocessing;
        _renderBytes = spec.ImageSize * spec.ImageSize * 3;
        Dimension = spec.Dimension;
        _pool = new WorkerPool(ThreadLimits.Resolve(threads));
        Fingerprint = ComputeFingerprint(spec, _state);
        LearnedState = state;
    }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public string Fingerprint { get; }

    /// <inheritdoc/>
    public ImagePreprocessing Preprocessing { get; }

    /// <inheritdoc/>
    public FeaturizerSpec Spec => _spec;

    /// <inheritdoc/>
    public ReadOnlyMemory<byte> State => _state;

    internal FilterBankState LearnedState { get; }

    /// <summary>Rebuilds a trained featurizer from its spec and state bytes.</summary>
    /// <exception cref="InvalidDataException">The state bytes are corrupt or do not match the spec.</exception>
    public static FilterBankFeaturizer Load(FilterBankSpec spec, ReadOnlySpan<byte> state, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var patches = new Patches(spec.PatchSize);
        return new FilterBankFeaturizer(spec, FilterBankState.Deserialize(state, patches.Length, spec.Centroids), threads);
    }

    /// <summary>
    /// Learns the filter bank from <paramref name="images"/> (any sizes; rendered as the spec says): samples patches
    /// (evenly per image, positions from the seed), fits the ZCA whitening and runs k-means. The same spec and images
    /// give identical state bytes whatever <paramref name="threads"/> is.
    /// </summary>
    /// <exception cref="ArgumentException">An invalid spec, or too few images for the requested number of centroids.</exception>
    public static FilterBankFeaturizer Train(IReadOnlyList<Image> images, FilterBankSpec spec, int threads = 0, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (images.Count == 0) throw new ArgumentException("The filter bank needs at least one training image.", nameof(images));
        using var pool = new WorkerPool(ThreadLimits.Resolve(threads));
        var patches = new Patches(spec.PatchSize);
        int perImage = (spec.TrainingPatches + images.Count - 1) / images.Count;
        int count = checked(perImage * images.Count);
        if (count < spec.Centroids)
            throw new ArgumentException($"{count} patches from {images.Count} images are fewer than the {spec.Centroids} centroids.", nameof(images));

        var rows = new float[(long)count * patches.Stride];
        var sample = new SampleBody(images, spec, patches, perImage, rows);
        pool.For(images.Count, ref sample);
        cancellation.ThrowIfCancellationRequested();

        (float[] mean, float[] whitening) = Whitening.Fit(rows, count, patches.Stride, patches.Length, spec.WhiteningEpsilon, pool);
        cancellation.ThrowIfCancellationRequested();

        // Whiten every patch: xw = W x − W m, as one matrix product with a bias.
        int d = patches.Length, dp = patches.Stride;
        var paddedW = new float[dp * dp];
        var bias = new float[dp];
        for (int i = 0; i < d; i++)
        {
            whitening.AsSpan(i * d, d).CopyTo(paddedW.AsSpan(i * dp, d));
            double s = 0;
            for (int j = 0; j < d; j++) s += (double)whitening[i * d + j] * mean[j];
            bias[i] = (float)-s;
        }
        var whitened = new float[rows.Length];
        GemmNT.Compute(pool, VectorWidths.Best, count, dp, dp, rows, dp, paddedW, dp, bias, whitened, dp);
        rows = [];

        KMeans.Result result = KMeans.Fit(whitened, count, dp, d, spec.Centroids, spec.Iterations, (ulong)(uint)spec.Seed, pool, cancellation);
        var centroids = new float[spec.Centroids * d];
        for (int c = 0; c < spec.Centroids; c++) result.Centroids.AsSpan(c * dp, d).CopyTo(centroids.AsSpan(c * d, d));
        return new FilterBankFeaturizer(spec, new FilterBankState(d, spec.Centroids, mean, whitening, centroids), threads);
    }

    /// <inheritdoc/>
    public void Featurize(Image image, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (features.Length != Dimension) throw new ArgumentException($"The destination must hold {Dimension} features, not {features.Length}.", nameof(features));
        byte[] render = ArrayPool<byte>.Shared.Rent(_renderBytes);
        try
        {
            Preprocessing.Apply(image, render.AsSpan(0, _renderBytes));
            Encode(render.AsSpan(0, _renderBytes), features);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(render);
        }
    }

    /// <inheritdoc/>
    public unsafe void Featurize(IReadOnlyList<Image> images, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (features.Length != (long)images.Count * Dimension)
            throw new ArgumentException($"The destination must hold {images.Count} × {Dimension} features, not {features.Length}.", nameof(features));
        fixed (float* destination = features)
        {
            var body = new FeaturizeBody(this, images, destination);
            _pool.For(images.Count, ref body);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _pool.Dispose();

    /// <summary>Encodes a render (filters, then colour).</summary>
    internal void Encode(ReadOnlySpan<byte> render, Span<float> features)
    {
        _encoder.Encode(render, features[.._encoder.Dimension]);
        int[] bins = _spec.ColorBins;
        if (bins.Length == 3) ColorHistogram.Compute(render, bins[0], bins[1], bins[2], features[_encoder.Dimension..]);
        if (_spec.SquareRoot) TensorPrimitives.Sqrt(features, features);
    }

    private static string ComputeFingerprint(FilterBankSpec spec, byte[] state)
        => FeaturizerFingerprint.Compute("filterBank", AlgorithmVersion, Encoding.UTF8.GetBytes(spec.ToJson()), state);

    private readonly unsafe struct FeaturizeBody(FilterBankFeaturizer owner, IReadOnlyList<Image> images, float* destination) : IParallelBody
    {
        public void Invoke(int index)
            => owner.Featurize(images[index], new Span<float>(destination + (long)index * owner.Dimension, owner.Dimension));
    }

    /// <summary>Renders image i and cuts its share of random patches (its own random stream: the order of images across threads does not matter).</summary>
    private readonly struct SampleBody(IReadOnlyList<Image> images, FilterBankSpec spec, Patches patches, int perImage, float[] rows) : IParallelBody
    {
        public void Invoke(int index)
        {
            int side = spec.ImageSize, bytes = side * side * 3;
            byte[] render = ArrayPool<byte>.Shared.Rent(bytes);
            try
            {
                spec.Preprocessing.Apply(images[index], render.AsSpan(0, bytes));
                var random = new Xoshiro256StarStar((ulong)(uint)spec.Seed, stream: (ulong)index + 1);
                int positions = side - spec.PatchSize + 1;
                for (int p = 0; p < perImage; p++)
                {
                    int x = random.NextInt(positions), y = random.NextInt(positions);
                    patches.Extract(render.AsSpan(0, bytes), side, x, y, rows.AsSpan((index * perImage + p) * patches.Stride, patches.Stride));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(render);
            }
        }
    }
}
