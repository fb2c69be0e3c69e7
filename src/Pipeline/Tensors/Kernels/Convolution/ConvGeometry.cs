namespace Pipeline.Tensors.Kernels.Convolution;

/// <summary>
/// The shape parameters of one N-d convolution on NCHW-style data (ONNX Conv semantics), resolved for concrete input
/// shapes: X [N, C, d1..dr], W [M, C/group, k1..kr], Y [N, M, o1..or]. Forward and (later) backward kernels share it.
/// Spatial arrays have one entry per spatial axis, outermost first.
/// </summary>
internal sealed class ConvGeometry
{
    /// <summary>Resolves the geometry; throws <see cref="ArgumentException"/> for inconsistent shapes or attributes.</summary>
    public ConvGeometry(int batch, int inChannels, int outChannels, int groups, int[] inputSize, int[] kernelSize,
        int[] strides, int[] dilations, int[] padsBegin, int[] padsEnd, AutoPad autoPad)
    {
        int rank = inputSize.Length;
        if (rank < 1) throw new ArgumentException("a convolution needs at least one spatial axis");
        if (kernelSize.Length != rank || strides.Length != rank || dilations.Length != rank || padsBegin.Length != rank || padsEnd.Length != rank)
            throw new ArgumentException($"kernel, strides, dilations and pads must have {rank} spatial entries");
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"group {groups} must divide the input channels {inChannels} and output channels {outChannels}");
        Batch = batch;
        InChannels = inChannels;
        OutChannels = outChannels;
        Groups = groups;
        InputSize = (int[])inputSize.Clone();
        KernelSize = (int[])kernelSize.Clone();
        Strides = (int[])strides.Clone();
        Dilations = (int[])dilations.Clone();
        PadsBegin = new int[rank];
        PadsEnd = new int[rank];
        OutputSize = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            if (kernelSize[i] < 1 || strides[i] < 1 || dilations[i] < 1)
                throw new ArgumentException($"kernel {kernelSize[i]}, stride {strides[i]} and dilation {dilations[i]} must be positive");
            if (padsBegin[i] < 0 || padsEnd[i] < 0) throw new ArgumentException("pads must not be negative");
            long begin = padsBegin[i], end = padsEnd[i];
            long output = SlidingWindow.OutputSize(inputSize[i], kernelSize[i], strides[i], dilations[i], autoPad, false, ref begin, ref end);
            if (output < 1)
                throw new ArgumentException($"the kernel ({kernelSize[i]}, dilation {dilations[i]}) is larger than the padded input ({inputSize[i]} + {begin} + {end}) on spatial axis {i}");
            PadsBegin[i] = checked((int)begin);
            PadsEnd[i] = checked((int)end);
            OutputSize[i] = checked((int)output);
        }
        InputPlane = Product(InputSize);
        OutputPlane = Product(OutputSize);
        KernelPlane = Product(KernelSize);
    }

    /// <summary>Images in the batch (N).</summary>
    public int Batch { get; }

    /// <summary>Input channels (C).</summary>
    public int InChannels { get; }

    /// <summary>Output channels (M).</summary>
    public int OutChannels { get; }

    /// <summary>Channel groups; each maps C/group input channels to M/group output channels.</summary>
    public int Groups { get; }

    /// <summary>Input spatial size.</summary>
    public int[] InputSize { get; }

    /// <summary>Kernel spatial size.</summary>
    public int[] KernelSize { get; }

    /// <summary>Strides per spatial axis.</summary>
    public int[] Strides { get; }

    /// <summary>Dilations per spatial axis.</summary>
    public int[] Dilations { get; }

    /// <summary>Effective padding at the beginning of each spatial axis (auto_pad resolved).</summary>
    public int[] PadsBegin { get; }

    /// <summary>Effective padding at the end of each spatial axis.</summary>
    public int[] PadsEnd { get; }

    /// <summary>Output spatial size.</summary>
    public int[] OutputSize { get; }

    /// <summary>The number of spatial axes.</summary>
    public int Rank => InputSize.Length;

    /// <summary>Elements of one input channel plane.</summary>
    public int InputPlane { get; }

    /// <summary>Elements of one output channel plane (the GEMM's N).</summary>
    public int OutputPlane { get; }

    /// <summary>Elements of one kernel plane.</summary>
    public int KernelPlane { get; }

    /// <summary>Input channels per group.</summary>
    public int InChannelsPerGroup => InChannels / Groups;

    /// <summary>Output channels per group (the GEMM's M).</summary>
    public int OutChannelsPerGroup => OutChannels / Groups;

    /// <summary>The GEMM's K: input channels per group × kernel plane.</summary>
    public int GemmK => InChannelsPerGroup * KernelPlane;

    /// <summary>Multiply-adds of one run (for FLOP counts: ×2).</summary>
    public long MultiplyAdds => (long)Batch * OutChannels * OutputPlane * GemmK;

    /// <summary>True for a 1×1 kernel with unit strides and no padding: the input is already the GEMM's B.</summary>
    public bool IsPointwise
    {
        get
        {
            for (int i = 0; i < Rank; i++)
                if (KernelSize[i] != 1 || Strides[i] != 1 || PadsBegin[i] != 0 || PadsEnd[i] != 0) return false;
            return true;
        }
    }

    /// <summary>True when every group has one input channel (depthwise, with a channel multiplier of M/C).</summary>
    public bool IsDepthwise => Groups == InChannels && Groups > 1;

    /// <summary>The output shape [N, M, o1..or].</summary>
    public int[] OutputShape()
    {
        var shape = new int[Rank + 2];
        shape[0] = Batch;
        shape[1] = OutChannels;
        OutputSize.CopyTo(shape, 2);
        return shape;
    }

    /// <inheritdoc />
    public override string ToString()
        => $"conv N={Batch} C={InChannels} M={OutChannels} g={Groups} in=[{string.Join("x", InputSize)}] k=[{string.Join("x", KernelSize)}] " +
           $"s=[{string.Join("x", Strides)}] d=[{string.Join("x", Dilations)}] p=[{string.Join(",", PadsBegin)}|{string.Join(",", PadsEnd)}] out=[{string.Join("x", OutputSize)}]";

    private static int Product(int[] values)
    {
        long p = 1;
        foreach (int v in values) p = checked(p * v);
        return checked((int)p);
    }
}
