namespace Pipeline.Tensors.Kernels.Pooling;

/// <summary>
/// The shape parameters of one N-d pooling on NCHW-style data (ONNX MaxPool / AveragePool / LpPool semantics), resolved
/// for a concrete input shape: X [N, C, d1..dr] → Y [N, C, o1..or]. Forward and (later) backward kernels share it.
/// </summary>
internal sealed class PoolGeometry
{
    /// <summary>Resolves the geometry; throws <see cref="ArgumentException"/> for inconsistent shapes or attributes.</summary>
    public PoolGeometry(int batch, int channels, int[] inputSize, int[] kernelSize, int[] strides, int[] dilations,
        int[] padsBegin, int[] padsEnd, AutoPad autoPad, bool ceilMode)
    {
        int rank = inputSize.Length;
        if (rank < 1) throw new ArgumentException("pooling needs at least one spatial axis");
        if (kernelSize.Length != rank || strides.Length != rank || dilations.Length != rank || padsBegin.Length != rank || padsEnd.Length != rank)
            throw new ArgumentException($"kernel_shape, strides, dilations and pads must have {rank} spatial entries");
        Batch = batch;
        Channels = channels;
        InputSize = (int[])inputSize.Clone();
        KernelSize = (int[])kernelSize.Clone();
        Strides = (int[])strides.Clone();
        Dilations = (int[])dilations.Clone();
        CeilMode = ceilMode;
        PadsBegin = new int[rank];
        PadsEnd = new int[rank];
        OutputSize = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            if (kernelSize[i] < 1 || strides[i] < 1 || dilations[i] < 1)
                throw new ArgumentException($"kernel {kernelSize[i]}, stride {strides[i]} and dilation {dilations[i]} must be positive");
            if (padsBegin[i] < 0 || padsEnd[i] < 0) throw new ArgumentException("pads must not be negative");
            long extent = (long)(kernelSize[i] - 1) * dilations[i] + 1;
            if (padsBegin[i] >= extent || padsEnd[i] >= extent)
                throw new ArgumentException($"pads ({padsBegin[i]}, {padsEnd[i]}) must be smaller than the window ({extent}) on spatial axis {i}");
            long begin = padsBegin[i], end = padsEnd[i];
            long output = SlidingWindow.OutputSize(inputSize[i], kernelSize[i], strides[i], dilations[i], autoPad, ceilMode, ref begin, ref end);
            if (output < 1)
                throw new ArgumentException($"the window ({kernelSize[i]}, dilation {dilations[i]}) is larger than the padded input ({inputSize[i]} + {begin} + {end}) on spatial axis {i}");
            PadsBegin[i] = checked((int)begin);
            PadsEnd[i] = checked((int)end);
            OutputSize[i] = checked((int)output);
        }
        InputPlane = Product(InputSize);
        OutputPlane = Product(OutputSize);
    }

    /// <summary>Images in the batch (N).</summary>
    public int Batch { get; }

    /// <summary>Channels (C).</summary>
    public int Channels { get; }

    /// <summary>Input spatial size.</summary>
    public int[] InputSize { get; }

    /// <summary>Window spatial size.</summary>
    public int[] KernelSize { get; }

    /// <summary>Strides per spatial axis.</summary>
    public int[] Strides { get; }

    /// <summary>Dilations per spatial axis.</summary>
    public int[] Dilations { get; }

    /// <summary>Effective padding at the beginning of each axis (auto_pad resolved).</summary>
    public int[] PadsBegin { get; }

    /// <summary>Effective padding at the end of each axis.</summary>
    public int[] PadsEnd { get; }

    /// <summary>Whether the output size was rounded up.</summary>
    public bool CeilMode { get; }

    /// <summary>Output spatial size.</summary>
    public int[] OutputSize { get; }

    /// <summary>The number of spatial axes.</summary>
    public int Rank => InputSize.Length;

    /// <summary>Elements of one input plane.</summary>
    public int InputPlane { get; }

    /// <summary>Elements of one output plane.</summary>
    public int OutputPlane { get; }

    /// <summary>Planes (N·C), the unit of parallel work.</summary>
    public int Planes => Batch * Channels;

    /// <summary>The output shape [N, C, o1..or].</summary>
    public int[] OutputShape()
    {
        var shape = new int[Rank + 2];
        shape[0] = Batch;
        shape[1] = Channels;
        OutputSize.CopyTo(shape, 2);
        return shape;
    }

    /// <summary>
    /// The window of output position <paramref name="o"/> on axis <paramref name="axis"/>: the first input index it touches
    /// (may be negative, in the padding). Tap t reads input index <c>start + t·dilation</c>.
    /// </summary>
    public int WindowStart(int axis, int o) => o * Strides[axis] - PadsBegin[axis];

    private static int Product(int[] values)
    {
        long p = 1;
        foreach (int v in values) p = checked(p * v);
        return checked((int)p);
    }
}
