using Pipeline.Graph.Compilation;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Convolution;
using Pipeline.Tensors.Kernels.Gemm;

namespace Pipeline.Graph.Ops.Convolution;

/// <summary>
/// ONNX Conv (opsets 1–22) on float32: Y = conv(X, W) + B, X [N, C, d...], W [M, C/group, k...], optional B [M];
/// 1-d, 2-d and 3-d, groups, depthwise, pads, strides, dilations and auto_pad. An activation may be fused into it, and
/// a residual: the compiler rewrites Add(Conv(…), R) into one Conv with R as a fourth input, accumulated as the
/// output is stored (before the activation), which saves a pass over the sum.
/// </summary>
internal sealed class ConvOperator(WindowAttributes window, int group, FusedActivation activation = default, bool residual = false) : Operator, IFusesActivation
{
    /// <summary>The input that carries a fused residual.</summary>
    public const int ResidualInput = 3;

    /// <inheritdoc />
    public override string Name => "Conv";

    /// <summary>The sliding-window attributes.</summary>
    public WindowAttributes Window { get; } = window;

    /// <summary>The group attribute.</summary>
    public int Group { get; } = group;

    /// <inheritdoc />
    public FusedActivation Activation { get; } = activation;

    /// <inheritdoc />
    public Operator WithActivation(FusedActivation fused) => new ConvOperator(Window, Group, fused, Residual);

    /// <summary>True when input 3 is a residual added to the output (a rewritten Add).</summary>
    public bool Residual { get; } = residual;

    /// <summary>This conv with a residual input.</summary>
    public ConvOperator WithResidual() => new(Window, Group, Activation, residual: true);

    /// <inheritdoc />
    public override bool CanRunInPlace(int input) => Residual && input == ResidualInput;

    /// <inheritdoc />
    public override string Describe()
    {
        string text = Window.Describe();
        if (Group != 1) text += $" g={Group}";
        if (Residual) text += " +residual";
        if (Activation.Kind != ActivationKind.None) text += $" +{Activation}";
        return text.Trim();
    }

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        ConvGeometry geometry = Resolve(context.Node, context.Input(0), context.Input(1), context.HasInput(2) ? context.Input(2) : null);
        int[] shape = geometry.OutputShape();
        if (Residual && (!context.HasInput(ResidualInput) || context.Input(ResidualInput) is not { Type: DataType.Float32 } r || !r.Shape.AsSpan().SequenceEqual(shape)))
            throw new RewriteNotApplicableException($"{context.Node}: the residual does not have the conv's shape (the Add broadcasts)");
        context.SetOutput(0, DataType.Float32, shape);
        context.Flops = 2 * geometry.MultiplyAdds;
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        ConvGeometry geometry = Resolve(context.Node, context.Input(0), context.Input(1), context.HasInput(2) ? context.Input(2) : null);
        return new ConvKernel(geometry, context.Constant(1), context.HasInput(2), context.Constant(2), Activation, context.ThreadCount, Residual);
    }

    /// <summary>Checks the shapes against the attributes and resolves the geometry, failing with the node's name.</summary>
    internal ConvGeometry Resolve(NodeIdentity node, TensorInfo x, TensorInfo w, TensorInfo? b)
    {
        if (x.Type != DataType.Float32 || w.Type != DataType.Float32)
            throw node.Fail($"Conv runs on float32; got X {x.Type} and W {w.Type}");
        return ConvShapes.Resolve(node, Window, Group, x.Shape, w.Shape, b?.Shape);
    }
}

/// <summary>Shape checks and geometry resolution shared by Conv and QLinearConv.</summary>
internal static class ConvShapes
{
    /// <summary>Validates X, W (and B) shapes and resolves the <see cref="ConvGeometry"/>.</summary>
    public static ConvGeometry Resolve(NodeIdentity node, WindowAttributes window, int group, int[] x, int[] w, int[]? b)
    {
        if (x.Length < 3) throw node.Fail($"X must be [N, C, spatial...], got rank {x.Length}");
        if (w.Length != x.Length) throw node.Fail($"W has rank {w.Length} but X has rank {x.Length}");
        int rank = x.Length - 2;
        if (group < 1) throw node.Fail($"group {group} must be positive");
        int channels = x[1], outChannels = w[0];
        if (channels % group != 0 || outChannels % group != 0)
            throw node.Fail($"group {group} must divide the input channels {channels} and output channels {outChannels}");
        if (w[1] * group != channels)
            throw node.Fail($"W [{string.Join(",", w)}] expects {w[1] * group} input channels ({w[1]} per group × {group}) but X has {channels}");
        int[] kernel = w[2..];
        if (window.KernelShape is { } declared && !declared.AsSpan().SequenceEqual(kernel))
            throw node.Fail($"kernel_shape [{string.Join(",", declared)}] does not match W's spatial shape [{string.Join(",", kernel)}]");
        if (b is not null && (b.Length != 1 || b[0] != outChannels))
            throw node.Fail($"B must be [{outChannels}], got [{string.Join(",", b)}]");
        (int[] begin, int[] end) = window.PadsFor(rank, node);
        try
        {
            return new ConvGeometry(x[0], channels, outChannels, group, x[2..], kernel, window.StridesFor(rank, node),
                window.DilationsFor(rank, node), begin, end, window.AutoPad);
        }
        catch (ArgumentException e)
        {
            throw node.Fail(e.Message);
        }
    }
}

/// <summary>The compiled Conv: a depthwise direct kernel or a packed-weight GEMM conv, with bias and activation fused.</summary>
internal sealed unsafe class ConvKernel : Kernel
{
    private readonly GemmConvolution? _gemm;
    private readonly DepthwiseConvolution? _depthwise;
    private readonly WinogradConvolution? _winograd;
    private readonly float[]? _constantWeights; // depthwise only: the weights as given, pinned
    private readonly float[]? _constantBias;    // pinned
    private readonly bool _hasBias;
    private readonly FusedActivation _activation;
    private readonly bool _residual;

    /// <summary>Builds the kernel, packing constant weights once.</summary>
    public ConvKernel(ConvGeometry geometry, Tensor? weights, bool hasBias, Tensor? bias, FusedActivation activation, int threadCount, bool residual = false)
    {
        Geometry = geometry;
        _residual = residual;
        _hasBias = hasBias;
        _activation = activation;
        if (bias is not null) _constantBias = Pinned(bias.AsSpan<float>());
        if (DepthwiseConvolution.Supports(geometry))
        {
            _depthwise = new DepthwiseConvolution(geometry, KernelIsa.Current);
            if (weights is not null) _constantWeights = Pinned(weights.AsSpan<float>());
        }
        else if (weights is not null && WinogradConvolution.Fuses(activation) && WinogradConvolution.Pays(geometry, SgemmKernel.Current.Isa))
        {
            _winograd = new WinogradConvolution(geometry, weights.AsSpan<float>(), SgemmKernel.Current, threadCount);
        }
        else
        {
            _gemm = new GemmConvolution(geometry, weights is null ? default : weights.AsSpan<float>(), weights is not null, SgemmKernel.Current, threadCount);
        }
    }

    /// <summary>The conv's shape.</summary>
    public ConvGeometry Geometry { get; }

    /// <summary>True when the conv runs as Winograd F(4×4, 3×3) (<see cref="WinogradConvolution.Pays"/>).</summary>
    public bool UsesWinograd => _winograd is not null;

    /// <inheritdoc />
    public override long ScratchBytes => _winograd?.ScratchBytes ?? _gemm?.ScratchBytes ?? 0;

    /// <inheritdoc />
    public override void Run(in KernelIO io)
    {
        float* x = io.InputPointer<float>(0);
        float* y = io.OutputPointer<float>(0);
        fixed (float* constantWeights = _constantWeights)
        fixed (float* constantBias = _constantBias)
        {
            float* w = constantWeights != null ? constantWeights : io.InputPointer<float>(1);
            float* b = !_hasBias ? null : constantBias != null ? constantBias : io.InputPointer<float>(2);
            if (_residual)
            {
                // In place the output already is the residual; otherwise it starts as a copy of it.
                float* r = io.InputPointer<float>(ConvOperator.ResidualInput);
                long count = (long)Geometry.Batch * Geometry.OutChannels * Geometry.OutputPlane;
                if (r != y) Buffer.MemoryCopy(r, y, count * sizeof(float), count * sizeof(float));
            }
            if (_depthwise is not null) _depthwise.Run(x, w, b, y, _activation, _residual, io.Pool);
            else if (_winograd is not null) _winograd.Run(x, b, y, _activation, _residual, io.Pool, (float*)io.ScratchPointer);
            else _gemm!.Run(x, w, b, y, _activation, _residual, io.Pool, (float*)io.ScratchPointer);
        }
    }

    /// <summary>A pinned copy of <paramref name="values"/>: kernels take its address per run without a handle.</summary>
    internal static float[] Pinned(ReadOnlySpan<float> values)
    {
        float[] copy = GC.AllocateUninitializedArray<float>(values.Length, pinned: true);
        values.CopyTo(copy);
        return copy;
    }
}
