namespace Pipeline.Graph;

/// <summary>How a <see cref="Network"/> runs.</summary>
public sealed record NetworkOptions
{
    /// <summary>
    /// The threads one run may use, the calling thread included; 0 (the default) means one per processor, at most
    /// <see cref="Tensors.Parallelism.ThreadLimits.Max"/>.
    /// Concurrent runs share these threads: a run that finds them busy computes on its own thread.
    /// </summary>
    public int Threads { get; init; }

    /// <summary>
    /// Fold BatchNormalization into the preceding convolution and fuse activations into the kernels that produce
    /// their input (default true). Switching it off runs every node as written, for debugging.
    /// </summary>
    public bool OptimizeGraph { get; init; } = true;

    /// <summary>
    /// For quantized TFLite models (uint8/int8 activations): round every quantized activation to the file's 8-bit grid,
    /// as TFLite's integer kernels do, instead of keeping it in float. On the shared MobileNetV2 this reproduces TFLite's
    /// own uint8 scores exactly; the float default is faster and differs by up to a few hundredths in a score.
    /// </summary>
    public bool SimulateQuantization { get; init; }
}
