using Pipeline.Featurizers.Backbones;
using Pipeline.Featurizers.FilterBank;
using Pipeline.Imaging;

namespace Pipeline.Featurizers;

/// <summary>Builds featurizers: trains the built-in filter bank, or rebuilds any featurizer from its spec and state.</summary>
public static class FeaturizerFactory
{
    /// <summary>
    /// Trains the built-in featurizer (no pretrained weights) on <paramref name="images"/>. The same spec (including
    /// its seed) and images give identical <see cref="IFeaturizer.State"/> bytes whatever the thread count in <paramref name="options"/> is.
    /// </summary>
    /// <param name="images">Training images, any sizes (a lazily decoding list is fine: each is read once).</param>
    /// <param name="spec">The settings; null for the defaults.</param>
    /// <param name="options">Threads to use (training and featurizing); they never change the result.</param>
    /// <param name="cancellation">Stops training between stages.</param>
    public static IFeaturizer TrainFilterBank(IReadOnlyList<Image> images, FilterBankSpec? spec = null, FeaturizerOptions? options = null, CancellationToken cancellation = default)
        => FilterBankFeaturizer.Train(images, spec ?? new FilterBankSpec(), Threads(options), cancellation);

    /// <summary>
    /// A featurizer from a pretrained backbone (ONNX or TFLite bytes). What <paramref name="spec"/> leaves open is
    /// resolved: the taps (the registry entry's hint, else the last spatial feature map before the classifier) and the
    /// preprocessing (the model's own uint8 input, else the registry entry's, else ImageNet's), always fitted to the
    /// layout, size and element type the model's input declares. The featurizer's <see cref="IFeaturizer.Spec"/> holds
    /// the resolved values.
    /// </summary>
    /// <exception cref="Pipeline.Graph.InvalidModelException">The model cannot be loaded, has no image input, or no tap can be found.</exception>
    public static IFeaturizer CreateBackbone(byte[] backbone, BackboneSpec? spec = null, BackboneEntry? entry = null, FeaturizerOptions? options = null)
        => BackboneFeaturizer.Create(backbone, spec, entry, options);

    /// <inheritdoc cref="CreateBackbone(byte[], BackboneSpec?, BackboneEntry?, FeaturizerOptions?)"/>
    public static IFeaturizer CreateBackbone(string path, BackboneSpec? spec = null, BackboneEntry? entry = null, FeaturizerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return BackboneFeaturizer.Create(Pipeline.Graph.ModelFile.ReadAllBytes(path), spec, entry, options);
        }
        catch (Pipeline.Graph.InvalidModelException e) when (e.File is null)
        {
            throw e.WithFile(Path.GetFileName(path));
        }
    }

    /// <summary>
    /// Rebuilds a featurizer from what a model package stores: its spec, its state bytes and, for a backbone featurizer,
    /// the backbone file's bytes.
    /// </summary>
    /// <exception cref="InvalidDataException">The state does not match the spec, or is corrupt.</exception>
    /// <exception cref="Pipeline.Graph.InvalidModelException">The backbone cannot be loaded, or a tap is not in it.</exception>
    /// <exception cref="ArgumentException">The spec is invalid, or a backbone featurizer was given no backbone.</exception>
    public static IFeaturizer Create(FeaturizerSpec spec, ReadOnlyMemory<byte> state = default, byte[]? backbone = null, FeaturizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        return spec switch
        {
            FilterBankSpec filterBank => FilterBankFeaturizer.Load(filterBank, state.Span, Threads(options)),
            BackboneSpec backboneSpec => BackboneFeaturizer.Create(backbone ?? throw new ArgumentException("A backbone featurizer needs the backbone file's bytes.", nameof(backbone)), backboneSpec, null, options),
            _ => throw new ArgumentException($"Featurizer spec {spec.GetType().Name} is unknown.", nameof(spec)),
        };
    }

    private static int Threads(FeaturizerOptions? options)
    {
        options ??= FeaturizerOptions.Default;
        options.Validate();
        return options.Threads;
    }
}
