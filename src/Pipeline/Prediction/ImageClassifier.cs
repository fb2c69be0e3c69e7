using System.Buffers;
using Pipeline.Featurizers;
using Pipeline.Imaging;
using Pipeline.Imaging.Processing;
using Pipeline.Persistence;
using Pipeline.Tensors.Parallelism;
using Pipeline.Training;

namespace Pipeline.Prediction;

/// <summary>
/// A trained image classifier, loaded once and shared: any number of threads may call <c>Predict</c> at the same
/// time on one instance (the featurizer and head are immutable; a prediction that finds the worker threads busy runs
/// on its own thread).
/// <code>
/// using var classifier = ImageClassifier.Load("model.zip");
/// Prediction p = classifier.Predict("photo.jpg");   // p.Label, p.Score, p.Top(3)
/// </code>
/// Loading validates the whole file and throws <see cref="InvalidModelPackageException"/> for anything it will not
/// run; predicting an image that cannot be decoded throws <see cref="InvalidImageException"/>.
/// </summary>
public sealed class ImageClassifier : IDisposable
{
    private const int BatchChunk = 16;

    private readonly IFeaturizer _featurizer;
    private readonly ClassifierHead _head;
    private readonly DecoderOptions _decoding;

    /// <summary>How this model's images are decoded (the options' limits, with the model's preprocessing size).</summary>
    internal DecoderOptions DecoderLimits => _decoding;
    private readonly int _threads;
    private int _disposed;

    internal ImageClassifier(ModelPackage package, IFeaturizer featurizer, ClassifierHead head, ModelInfo info, ImageClassifierOptions options)
    {
        Package = package;
        _featurizer = featurizer;
        _head = head;
        Info = info;
        _decoding = featurizer.Preprocessing.DecoderHint(options.Decoder);
        _threads = ThreadLimits.Resolve(options.Threads);
    }

    /// <summary>The class labels, in the order of <see cref="Prediction.Scores"/>.</summary>
    public IReadOnlyList<string> Labels => Info.Labels;

    /// <summary>What the model is: format and library versions, featurizer, head, backbone, metrics, training options.</summary>
    public ModelInfo Info { get; }

    internal ModelPackage Package { get; }

    internal IFeaturizer Featurizer => _featurizer;

    /// <summary>Throws <see cref="ObjectDisposedException"/> once disposed (for the trainer, which reaches the featurizer directly).</summary>
    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    internal ClassifierHead Head => _head;

    /// <summary>Loads and validates the model.zip at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidModelPackageException">The file is not a model package, or is corrupt, hostile, inconsistent or of a newer format version.</exception>
    /// <exception cref="Featurizers.Backbones.BackboneUnavailableException">The model references a backbone that is neither cached nor downloadable.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ImageClassifier Load(string path, ImageClassifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= ImageClassifierOptions.Default;
        options.Validate();
        return Open(ModelPackage.Load(path), options, path);
    }

    /// <summary>Loads and validates a model package from <paramref name="stream"/> (read to its end).</summary>
    /// <exception cref="InvalidModelPackageException">The bytes are not a model package, or are corrupt, hostile, inconsistent or of a newer format version.</exception>
    /// <exception cref="Featurizers.Backbones.BackboneUnavailableException">The model references a backbone that is neither cached nor downloadable.</exception>
    public static ImageClassifier Load(Stream stream, ImageClassifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= ImageClassifierOptions.Default;
        options.Validate();
        return Open(ModelPackage.Load(stream), options, file: null);
    }

    internal static ImageClassifier Open(ModelPackage package, ImageClassifierOptions options, string? file, CancellationToken cancellation = default)
    {
        (IFeaturizer featurizer, ClassifierHead head, ModelInfo info) = ModelLayout.Open(package, options, file, cancellation);
        var classifier = new ImageClassifier(package, featurizer, head, info, options);
        if (options.WarmUp)
        {
            try
            {
                classifier.WarmUp();
            }
            catch
            {
                classifier.Dispose();
                throw;
            }
        }
        return classifier;
    }

    /// <summary>
    /// Predicts blank images the way requests will come: one alone (the network's own threads) and two as a batch (one
    /// image per thread, each in its own workspace). Plans, kernels and workspaces are then ready.
    /// </summary>
    private void WarmUp()
    {
        ImagePreprocessing preprocessing = _featurizer.Preprocessing;
        var blank = new Image(preprocessing.Width, preprocessing.Height, PixelFormat.Rgb24);
        Predict(blank);
        Predict([blank, blank]);
    }

    /// <summary>
    /// Saves the model atomically to <paramref name="path"/> (an existing file is replaced only once the new one is
    /// complete); a save stopped by <paramref name="cancellation"/> leaves no temporary file and the existing file unchanged.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was triggered; nothing was replaced.</exception>
    public void Save(string path, CancellationToken cancellation = default) => Package.Save(path, cancellation);

    /// <summary>Writes the model to <paramref name="stream"/>.</summary>
    public void Save(Stream stream) => Package.Save(stream);

    /// <summary>Classifies the image file at <paramref name="path"/> (JPEG, PNG, BMP, GIF or WebP, recognised from its bytes).</summary>
    /// <exception cref="InvalidImageException">The file is not a supported image, or is corrupt.</exception>
    /// <exception cref="InvalidModelPackageException">The model gives non-finite scores (weights that overflow: a corrupt or hand-made model).</exception>
    /// <exception cref="IOException">The file cannot be read (missing).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read, or is a folder.</exception>
    public Prediction Predict(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return Predict(ImageDecoder.Decode(path, _decoding));
    }

    /// <summary>Classifies an image file held in memory.</summary>
    /// <exception cref="InvalidImageException">The bytes are not a supported image, or are corrupt.</exception>
    /// <exception cref="InvalidModelPackageException">The model gives non-finite scores (weights that overflow: a corrupt or hand-made model).</exception>
    public Prediction Predict(byte[] imageFile)
    {
        ArgumentNullException.ThrowIfNull(imageFile);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return Predict(ImageDecoder.Decode(imageFile, _decoding));
    }

    /// <summary>
    /// Classifies an image file read from <paramref name="imageFile"/> to its end with synchronous reads (at most
    /// <see cref="DecoderOptions.MaxBytes"/>). For an ASP.NET Core request body, which allows only asynchronous reads,
    /// use <see cref="PredictAsync"/>.
    /// </summary>
    /// <exception cref="InvalidImageException">The bytes are not a supported image, are corrupt, or are too many.</exception>
    /// <exception cref="InvalidModelPackageException">The model gives non-finite scores (weights that overflow: a corrupt or hand-made model).</exception>
    /// <exception cref="IOException">The stream fails.</exception>
    public Prediction Predict(Stream imageFile)
    {
        ArgumentNullException.ThrowIfNull(imageFile);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return Predict(ImageDecoder.Decode(imageFile, _decoding));
    }

    /// <summary>
    /// Classifies an image file read asynchronously from <paramref name="imageFile"/> to its end (at most
    /// <see cref="DecoderOptions.MaxBytes"/>), e.g. an ASP.NET Core request body. The reading is asynchronous; decoding
    /// and classifying then run on the calling thread.
    /// </summary>
    /// <exception cref="InvalidImageException">The bytes are not a supported image, are corrupt, or are too many.</exception>
    /// <exception cref="InvalidModelPackageException">The model gives non-finite scores (weights that overflow: a corrupt or hand-made model).</exception>
    /// <exception cref="IOException">The stream fails.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was triggered while reading.</exception>
    public async Task<Prediction> PredictAsync(Stream imageFile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imageFile);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        byte[] bytes = await BoundedStreamReader.ReadAllAsync(imageFile, _decoding.MaxBytes, cancellationToken).ConfigureAwait(false);
        return Predict(bytes);
    }

    /// <summary>Classifies a decoded image (any size; it is fitted as the model's preprocessing says).</summary>
    public Prediction Predict(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int d = _featurizer.Dimension;
        float[] features = ArrayPool<float>.Shared.Rent(d);
        try
        {
            _featurizer.Featurize(image, features.AsSpan(0, d));
            var scores = new float[_head.ClassCount];
            _head.PredictProbabilities(features.AsSpan(0, d), scores);
            CheckFinite(features.AsSpan(0, d), scores);
            return new Prediction(Info.Labels, scores);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(features);
        }
    }

    /// <summary>
    /// Classifies many decoded images; faster than one call each (the featurizer works on batches). The results are
    /// the same as one call each, in the same order.
    /// </summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<Image> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int d = _featurizer.Dimension, k = _head.ClassCount;
        var results = new Prediction[images.Count];
        var features = new float[Math.Min(images.Count, BatchChunk) * d];
        var scores = new float[Math.Min(images.Count, BatchChunk) * k];
        for (int start = 0; start < images.Count; start += BatchChunk)
        {
            int n = Math.Min(BatchChunk, images.Count - start);
            var chunk = new Image[n];
            for (int i = 0; i < n; i++) chunk[i] = images[start + i] ?? throw new ArgumentException($"Image {start + i} is null.", nameof(images));
            _featurizer.Featurize(chunk, features.AsSpan(0, n * d));
            _head.PredictProbabilities(features.AsSpan(0, n * d), n, scores.AsSpan(0, n * k));
            CheckFinite(features.AsSpan(0, n * d), scores.AsSpan(0, n * k));
            for (int i = 0; i < n; i++) results[start + i] = new Prediction(Info.Labels, scores.AsSpan(i * k, k).ToArray());
        }
        return results;
    }

    /// <summary>
    /// Classifies many image files: they are decoded in parallel and featurized in batches, a few batches' worth at a
    /// time (so any number of files fits in memory). The results are in the order of <paramref name="paths"/>.
    /// </summary>
    /// <remarks>A file that fails stops the call with its own exception, the first such file in order, as one call each would throw it.</remarks>
    /// <exception cref="InvalidImageException">A file is not a supported image, or is corrupt.</exception>
    /// <exception cref="InvalidModelPackageException">The model gives non-finite scores (weights that overflow: a corrupt or hand-made model).</exception>
    /// <exception cref="IOException">A file cannot be read (missing).</exception>
    /// <exception cref="UnauthorizedAccessException">A file may not be read, or is a folder.</exception>
    /// <exception cref="ArgumentException">A path is null or empty.</exception>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var results = new List<Prediction>(paths.Count);
        int chunk = BatchChunk * _threads;
        var images = new Image[Math.Min(chunk, paths.Count)];
        var errors = new Exception?[images.Length];
        for (int start = 0; start < paths.Count; start += chunk)
        {
            int n = Math.Min(chunk, paths.Count - start);
            Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = _threads }, i =>
            {
                errors[i] = null;
                try
                {
                    images[i] = ImageDecoder.Decode(paths[start + i] ?? throw new ArgumentNullException(nameof(paths), $"Path {start + i} is null."), _decoding);
                }
                catch (Exception e)
                {
                    // Rethrown below in path order, unwrapped, rather than as Parallel.For's AggregateException.
                    errors[i] = e;
                }
            });
            for (int i = 0; i < n; i++)
                if (errors[i] is { } error) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            results.AddRange(Predict(n == images.Length ? images : images[..n]));
        }
        return results;
    }

    /// <summary>
    /// Finite weights can still overflow float arithmetic (a corrupt or hand-made model that passed every load check):
    /// the scores are then NaN, and a label picked from them would look like an answer.
    /// </summary>
    private static void CheckFinite(ReadOnlySpan<float> features, ReadOnlySpan<float> scores)
    {
        foreach (float score in scores)
        {
            if (float.IsFinite(score)) continue;
            foreach (float feature in features)
                if (!float.IsFinite(feature))
                    throw new InvalidModelPackageException("the backbone gives non-finite features for this image: its weights overflow float arithmetic",
                        entry: null, hint: "the model is corrupt or was not written by this library; train it again");
            throw new InvalidModelPackageException("the head gives non-finite class scores for this image: its weights overflow float arithmetic",
                entry: ModelLayout.HeadWeightsEntry, hint: "the model is corrupt or was not written by this library; train it again");
        }
    }

    /// <summary>Releases the featurizer's worker threads and backbone. Predictions running at the time must have finished.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _featurizer.Dispose();
    }
}
