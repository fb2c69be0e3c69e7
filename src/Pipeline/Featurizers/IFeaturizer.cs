using Pipeline.Imaging;
using Pipeline.Imaging.Processing;

namespace Pipeline.Featurizers;

/// <summary>
/// Turns an image into a fixed-length feature vector (an embedding) for a classifier head. Implementations are
/// immutable once built and thread-safe: any number of threads may featurize at once.
/// <para>
/// Build one with <see cref="FeaturizerFactory"/> (a pretrained backbone, or the built-in filter bank trained on your
/// images); store it as <see cref="Spec"/> (JSON) plus <see cref="State"/> (bytes) plus the backbone file, and rebuild
/// it from those with <see cref="FeaturizerFactory.Create"/>.
/// </para>
/// </summary>
public interface IFeaturizer : IDisposable
{
    /// <summary>The length of the feature vector of one image.</summary>
    int Dimension { get; }

    /// <summary>
    /// A string that changes whenever anything that affects the features changes (kind, spec, learned state, backbone
    /// bytes, algorithm version): the feature cache's key includes it, so cached features are never reused stale.
    /// </summary>
    string Fingerprint { get; }

    /// <summary>
    /// How a decoded image is fitted to the featurizer's input. Decode with <c>Preprocessing.DecoderHint()</c> so that
    /// a JPEG decodes at the smallest DCT scale that still covers it.
    /// </summary>
    ImagePreprocessing Preprocessing { get; }

    /// <summary>What the featurizer is, as a JSON-serializable record (see <see cref="FeaturizerSpec.ToJson"/>).</summary>
    FeaturizerSpec Spec { get; }

    /// <summary>Learned state (e.g. the filter bank's whitening and centroids); empty when there is none.</summary>
    ReadOnlyMemory<byte> State { get; }

    /// <summary>Writes the features of <paramref name="image"/> (any size, Rgb24 or Rgba32) into <paramref name="features"/> (exactly <see cref="Dimension"/> floats).</summary>
    void Featurize(Image image, Span<float> features);

    /// <summary>
    /// Writes the features of every image, row by row, into <paramref name="features"/> (exactly
    /// <c>images.Count × Dimension</c> floats). Faster than one call per image: preprocessing runs in parallel and a
    /// backbone runs on batches. The results equal those of <see cref="Featurize(Image, Span{float})"/>.
    /// </summary>
    void Featurize(IReadOnlyList<Image> images, Span<float> features);
}
