using Pipeline.Imaging;

namespace Pipeline.Prediction;

/// <summary>How <see cref="ImageClassifier.Load(string, ImageClassifierOptions?)"/> sets a classifier up. None of these changes a prediction.</summary>
public sealed record ImageClassifierOptions
{
    /// <summary>The defaults.</summary>
    public static ImageClassifierOptions Default { get; } = new();

    /// <summary>Threads one prediction may use, the caller's included; 0 (default) means one per processor, at most <see cref="Tensors.Parallelism.ThreadLimits.Max"/>. Concurrent
    /// predictions share them: a prediction that finds them busy runs on its own thread.</summary>
    public int Threads { get; init; }

    /// <summary>Limits and orientation for decoding images (default <see cref="DecoderOptions.Default"/>: 100 MP, EXIF orientation applied).
    /// The decoded size is chosen by the model's preprocessing (JPEGs decode at the smallest DCT scale that still covers it).</summary>
    public DecoderOptions Decoder { get; init; } = DecoderOptions.Default;

    /// <summary>Where a model that references its backbone by registry name finds it; null for the default cache folder.</summary>
    public string? BackboneCacheFolder { get; init; }

    /// <summary>Whether a referenced backbone missing from the cache may be downloaded (default true).</summary>
    public bool AllowBackboneDownload { get; init; } = true;

    /// <summary>
    /// Whether loading also runs the model on blank images (one alone, then two as a batch), so the first real
    /// predictions do not pay for planning the network and compiling its kernels. With a MobileNetV2 model on the
    /// 2-core test machine the first prediction took 47–50 ms instead of 266–308 ms, and the load about that much
    /// longer. Meant for servers, and for <see cref="ReloadingImageClassifier"/>, which then warms a changed model
    /// before swapping it in. Default false.
    /// </summary>
    public bool WarmUp { get; init; }

    internal void Validate()
    {
        Tensors.Parallelism.ThreadLimits.Validate(Threads, "ImageClassifierOptions.Threads");
        ArgumentNullException.ThrowIfNull(Decoder, nameof(Decoder));
        Decoder.Validate();
    }
}
