using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Pipeline.Featurizers.Pooling;
using Pipeline.Graph;
using Pipeline.Imaging;
using Pipeline.Imaging.Processing;
using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Featurizers.Backbones;

/// <summary>
/// A pretrained backbone cut at one or more taps: each image is preprocessed, the backbone runs up to the taps (one
/// image per run, images spread over the threads), and its feature maps are pooled, L2-normalized as asked and concatenated.
/// With <see cref="BackboneSpec.MirrorAverage"/> the mirrored batch runs too and the two vectors are averaged.
/// </summary>
internal sealed class BackboneFeaturizer : IFeaturizer
{
    /// <summary>Bumped whenever pooling or assembly changes the features (part of the fingerprint).</summary>
    internal const int AlgorithmVersion = 1;

    private readonly Network _network;
    private readonly bool _ownsNetwork;
    private readonly BackboneSpec _spec;
    private readonly PoolingSpec _pooling;
    private readonly TapShape[] _taps;
    private readonly string[] _tapNames;
    private readonly ConcurrentBag<ImageBuffers> _buffers = [];
    private readonly WorkerPool _pool;
    private readonly int _batchSize;

    private BackboneFeaturizer(Network network, bool ownsNetwork, BackboneSpec spec, TapShape[] taps, string backboneSha256, FeaturizerOptions options)
    {
        _network = network;
        _ownsNetwork = ownsNetwork;
        _spec = spec;
        _pooling = spec.PoolingSpec;
        _taps = taps;
        _tapNames = taps.Select(t => t.Name).ToArray();
        Preprocessing = spec.Preprocessing!;
        Dimension = checked(taps.Sum(t => _pooling.Dimension(t.Channels)));
        BackboneSha256 = backboneSha256;
        _batchSize = options.BatchSize;
        _pool = new WorkerPool(ThreadLimits.Resolve(options.Threads));
        Fingerprint = FingerprintOf(backboneSha256, spec, _pooling);
    }

    /// <summary>
    /// The spec keeps the pooling as it was spelled (model.zip shows the user's <c>--pooling</c>), but <c>gem</c> and
    /// <c>gem:3.0</c> compute the same features and must share cache entries: the fingerprint hashes the spec with the
    /// canonical spelling instead. A spec spelled canonically hashes exactly as before, so its cached features stay valid.
    /// </summary>
    private static string FingerprintOf(string backboneSha256, BackboneSpec spec, PoolingSpec pooling)
    {
        BackboneSpec canonical = spec with { Pooling = pooling.ToString() };
        return FeaturizerFingerprint.Compute("backbone", AlgorithmVersion, Encoding.UTF8.GetBytes(backboneSha256), Encoding.UTF8.GetBytes(canonical.ToJson()));
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
    public ReadOnlyMemory<byte> State => ReadOnlyMemory<byte>.Empty;

    /// <summary>The backbone file's SHA-256 (lowercase hex).</summary>
    public string BackboneSha256 { get; }

    /// <summary>The resolved taps: names, channels and map sizes.</summary>
    internal IReadOnlyList<TapShape> Taps => _taps;

    /// <summary>
    /// Loads <paramref name="backbone"/> (ONNX or TFLite bytes) and resolves what <paramref name="spec"/> leaves open:
    /// the taps (spec, else the registry's hint, else auto-detected) and the preprocessing (spec, else the model's own
    /// uint8 input, else the registry entry, else ImageNet's), with layout, size and element type always those the
    /// model's input declares.
    /// </summary>
    public static BackboneFeaturizer Create(byte[] backbone, BackboneSpec? spec, BackboneEntry? entry, FeaturizerOptions? options)
        => Create(backbone, spec, entry, options, overrides: null);

    /// <summary>As <see cref="Create(byte[], BackboneSpec?, BackboneEntry?, FeaturizerOptions?)"/>, with <paramref name="overrides"/> made over the resolved preprocessing.</summary>
    internal static BackboneFeaturizer Create(byte[] backbone, BackboneSpec? spec, BackboneEntry? entry, FeaturizerOptions? options, PreprocessingOverrides? overrides)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        options ??= FeaturizerOptions.Default;
        options.Validate();
        string sha = Convert.ToHexStringLower(SHA256.HashData(backbone));
        Network network = Network.Load(backbone, new NetworkOptions { Threads = options.Threads });
        try
        {
            return Create(network, ownsNetwork: true, sha, spec ?? new BackboneSpec(), entry, options, overrides);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    internal static BackboneFeaturizer Create(Network network, bool ownsNetwork, string backboneSha256, BackboneSpec spec, BackboneEntry? entry, FeaturizerOptions options,
        PreprocessingOverrides? overrides = null)
    {
        spec.Validate();
        if (network.Inputs.Count != 1)
            throw new InvalidModelException($"a backbone needs exactly one (image) input; this model has {network.Inputs.Count}", network.Graph.Model.File);
        ImagePreprocessing preprocessing = ResolvePreprocessing(network.Inputs[0], spec.Preprocessing, entry?.Preprocessing, network.Graph.Model.File, overrides);
        GraphView graph = GraphView.Of(network);
        string[] names = spec.Taps.Count > 0 ? spec.Taps.Select(t => TapFinder.Resolve(graph, t)).ToArray()
            : entry?.TapHint is { } hint ? [TapFinder.Resolve(graph, hint)]
            : [TapFinder.Find(graph)];
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length) throw new ArgumentException("A tap is named twice.", nameof(spec));
        TapShape[] taps = names.Select(n => TapShape.Of(graph, n, spec.Layout)).ToArray();
        BackboneSpec resolved = spec with { Taps = names, Preprocessing = preprocessing };
        return new BackboneFeaturizer(network, ownsNetwork, resolved, taps, backboneSha256, options);
    }

    /// <summary>The preprocessing, fitted to what the model's input declares, with <paramref name="overrides"/> made over it.</summary>
    internal static ImagePreprocessing ResolvePreprocessing(TensorDeclaration input, ImagePreprocessing? explicitSpec, ImagePreprocessing? registry, string? file,
        PreprocessingOverrides? overrides = null)
    {
        if (explicitSpec is not null && overrides is { IsEmpty: false })
            throw new ArgumentException("Give either a whole preprocessing or overrides of the resolved one, not both.", nameof(overrides));
        IReadOnlyList<int>? shape = input.Shape;
        if (shape is not { Count: 4 })
            throw new InvalidModelException($"the backbone's input '{input}' is not a 4-D image batch", file);
        TensorLayout layout = shape[1] is 1 or 3 ? TensorLayout.Chw : shape[3] is 1 or 3 ? TensorLayout.Hwc
            : throw new InvalidModelException($"the backbone's input '{input}' has neither 3 channels first (NCHW) nor last (NHWC)", file);
        int channels = layout == TensorLayout.Chw ? shape[1] : shape[3];
        int height = layout == TensorLayout.Chw ? shape[2] : shape[1], width = layout == TensorLayout.Chw ? shape[3] : shape[2];
        TensorElementType element = input.Type switch
        {
            DataType.Float32 => TensorElementType.Float32,
            DataType.UInt8 => TensorElementType.UInt8,
            _ => throw new InvalidModelException($"the backbone's input '{input}' is {input.Type}; float32 and uint8 inputs are supported", file),
        };

        ImagePreprocessing result;
        if (explicitSpec is not null)
        {
            result = explicitSpec;
            if (explicitSpec.Layout != layout || explicitSpec.ElementType != element
                || (height > 0 && explicitSpec.Height != height) || (width > 0 && explicitSpec.Width != width))
                throw new ArgumentException($"The preprocessing ({explicitSpec.Width}x{explicitSpec.Height} {explicitSpec.Layout} {explicitSpec.ElementType}) does not fit the backbone's input '{input}'.");
        }
        else if (element == TensorElementType.UInt8)
        {
            // The model declares its own input mapping (TFLite input quantization): it takes raw RGB samples.
            result = (registry ?? new ImagePreprocessing()) with { ElementType = TensorElementType.UInt8, Normalization = PixelNormalization.Raw };
        }
        else
        {
            result = registry ?? new ImagePreprocessing();
        }
        if (overrides is not null)
        {
            if (overrides.Channels is not null && channels == 1)
                throw new ArgumentException($"The backbone's input '{input}' has one (gray) channel: a channel order does not apply to it.");
            result = overrides.ApplyTo(result);
        }
        result = result with
        {
            Layout = layout,
            ElementType = element,
            Channels = channels == 1 ? ChannelOrder.Gray : result.Channels == ChannelOrder.Gray ? ChannelOrder.Rgb : result.Channels,
            Width = width > 0 ? width : result.Width,
            Height = height > 0 ? height : result.Height,
        };
        result.Validate();
        return result;
    }

    /// <inheritdoc/>
    public void Featurize(Image image, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(image);
        Featurize([image], features);
    }

    /// <inheritdoc/>
    public void Featurize(IReadOnlyList<Image> images, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (features.Length != (long)images.Count * Dimension)
            throw new ArgumentException($"The destination must hold {images.Count} × {Dimension} features, not {features.Length}.", nameof(features));
        for (int start = 0; start < images.Count; start += _batchSize)
        {
            int count = Math.Min(_batchSize, images.Count - start);
            Span<float> rows = features.Slice(start * Dimension, count * Dimension);
            RunBatch(images, start, count, mirror: false, rows);
            if (_spec.MirrorAverage)
            {
                float[] mirrored = new float[rows.Length];
                RunBatch(images, start, count, mirror: true, mirrored);
                for (int i = 0; i < rows.Length; i++) rows[i] = 0.5f * (rows[i] + mirrored[i]);
                if (_spec.Normalization is L2Normalization.Final or L2Normalization.Both)
                    for (int r = 0; r < count; r++) SpatialPooling.L2Normalize(rows.Slice(r * Dimension, Dimension));
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _pool.Dispose();
        if (_ownsNetwork) _network.Dispose();
    }

    /// <summary>
    /// Featurizes images [start, start + count) into <paramref name="rows"/>, one image per network run: at batch 1 a
    /// 224×224 CNN's activations stay in cache, while a batch's early layers spill to memory (MobileNetV2 on one thread:
    /// 6.2 ms per image at batch 1, 8.3 at batch 16). With several threads and images, each thread takes whole images
    /// and runs them alone: independent images need no synchronization, so two threads featurize twice as fast, while
    /// splitting one image's small kernels waits for every thread at every layer. A lone image uses every thread. The
    /// features are the same either way.
    /// </summary>
    private unsafe void RunBatch(IReadOnlyList<Image> images, int start, int count, bool mirror, Span<float> rows)
    {
        if (count == 1 || _pool.ThreadCount < 2)
        {
            for (int i = 0; i < count; i++) RunImage(images[start + i], mirror, rows.Slice(i * Dimension, Dimension), onCallingThread: false);
            return;
        }
        fixed (float* destination = rows)
        {
            var body = new ImageBody(this, images, start, mirror, destination);
            _pool.For(count, ref body);
        }
    }

    private void RunImage(Image image, bool mirror, Span<float> row, bool onCallingThread)
    {
        // Each image's input tensor and tap maps (hundreds of KB) are reused from run to run: allocated per image they
        // land on the large object heap, which cost 7–9 % of a 1,000-image featurization.
        ImageBuffers buffers = _buffers.TryTake(out ImageBuffers? free) ? free
            : new ImageBuffers(Tensor.Zeros(Preprocessing.ElementType == TensorElementType.UInt8 ? DataType.UInt8 : DataType.Float32, Preprocessing.Shape(1)));
        try
        {
            RunImage(image, mirror, row, onCallingThread, buffers);
        }
        finally
        {
            _buffers.Add(buffers);
        }
    }

    private void RunImage(Image image, bool mirror, Span<float> row, bool onCallingThread, ImageBuffers buffers)
    {
        Tensor input = buffers.Input;
        if (Preprocessing.ElementType == TensorElementType.UInt8)
            Preprocessing.Apply(image, input.AsSpan<byte>(), mirror);
        else
            Preprocessing.Apply(image, input.AsSpan<float>(), mirror);

        Tensor[] maps = buffers.Maps = _network.RunInto(input, _tapNames, buffers.Maps, onCallingThread);
        int offset = 0;
        for (int t = 0; t < _taps.Length; t++)
        {
            TapShape tap = _taps[t];
            Tensor map = maps[t];
            if (map.Type != DataType.Float32)
                throw new InvalidModelException($"tap '{tap.Name}' is {map.Type}; pick a float32 value (e.g. after DequantizeLinear)");
            ReadOnlySpan<float> values = map.AsSpan<float>();
            int perImage = tap.Channels * tap.Height * tap.Width, width = _pooling.Dimension(tap.Channels);
            if (values.Length != perImage)
                throw new InvalidModelException($"tap '{tap.Name}' has {values.Length} values for one image; expected {perImage}");
            Span<float> destination = row.Slice(offset, width);
            SpatialPooling.Pool(_pooling, new FeatureMap(values, tap.Channels, tap.Height, tap.Width, tap.Layout), destination);
            if (_spec.Normalization is L2Normalization.PerTap or L2Normalization.Both) SpatialPooling.L2Normalize(destination);
            offset += width;
        }
        if (_spec.Normalization is L2Normalization.Final or L2Normalization.Both) SpatialPooling.L2Normalize(row);
    }

    /// <summary>One run's input tensor and tap maps; the first run makes the maps, in the shapes its plan gives.</summary>
    private sealed class ImageBuffers(Tensor input)
    {
        public Tensor Input { get; } = input;

        public Tensor[]? Maps { get; set; }
    }

    /// <summary>One image of a batch, run alone on the thread that picks it up.</summary>
    private readonly unsafe struct ImageBody(BackboneFeaturizer owner, IReadOnlyList<Image> images, int start, bool mirror, float* rows) : IParallelBody
    {
        public void Invoke(int index)
        {
            int d = owner.Dimension;
            owner.RunImage(images[start + index], mirror, new Span<float>(rows + (long)index * d, d), onCallingThread: true);
        }
    }
}

/// <summary>A tap's feature map per image: channels, height, width and layout (a 2-D value is C × 1 × 1).</summary>
internal sealed record TapShape(string Name, int Channels, int Height, int Width, FeatureLayout Layout)
{
    public static TapShape Of(GraphView graph, string name, FeatureMapLayout layout)
    {
        int[] shape = graph.Values[name].Shape;
        if (shape.Length == 2) return new TapShape(name, shape[1], 1, 1, FeatureLayout.ChannelsFirst);
        if (shape.Length != 4)
            throw new InvalidModelException($"tap '{name}' has shape [{string.Join(",", shape)}]; a tap must be a 4-D feature map or a 2-D vector per image");
        bool last = layout switch
        {
            FeatureMapLayout.Nhwc => true,
            FeatureMapLayout.Nchw => false,
            _ => IsTransposedToChannelsLast(graph, name),
        };
        return last
            ? new TapShape(name, shape[3], shape[1], shape[2], FeatureLayout.ChannelsLast)
            : new TapShape(name, shape[1], shape[2], shape[3], FeatureLayout.ChannelsFirst);
    }

    /// <summary>
    /// Both importers keep 4-D values in NCHW; only a Transpose that moves the channels last (the TFLite importer's
    /// graph outputs, or an exported TensorFlow graph) makes an NHWC value.
    /// </summary>
    private static bool IsTransposedToChannelsLast(GraphView graph, string name)
    {
        if (!graph.Producers.TryGetValue(name, out NodeView? node) || !node.OpType.Equals("Transpose", StringComparison.OrdinalIgnoreCase)) return false;
        List<string> data = graph.DataInputs(node);
        if (data.Count != 1 || graph.Values[data[0]].Shape is not { Length: 4 } input) return false;
        int[] output = graph.Values[name].Shape;
        return output[1] == input[2] && output[2] == input[3] && output[3] == input[1] && !(input[1] == input[2] && input[2] == input[3]);
    }
}
