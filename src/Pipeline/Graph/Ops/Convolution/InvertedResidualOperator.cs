using Pipeline.Graph.Compilation;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Convolution;
using Pipeline.Tensors.Kernels.Gemm;

namespace Pipeline.Graph.Ops.Convolution;

/// <summary>
/// Three convs the compiler fused (<see cref="GraphRewriter"/>): a pointwise expand, a depthwise conv and a pointwise
/// project, each with its own fused activation, the project optionally with a residual. MobileNetV2's inverted residual
/// block. Inputs: X, expand W and B, depthwise W and B, project W and B, residual; the weights are constants, a missing
/// bias is an empty slot. Runs as <see cref="InvertedResidualConvolution"/>.
/// </summary>
internal sealed class InvertedResidualOperator(ConvOperator expand, ConvOperator depthwise, ConvOperator project) : Operator
{
    /// <summary>The input that carries the residual, when the project conv had one.</summary>
    public const int ResidualInput = 7;

    /// <inheritdoc />
    public override string Name => "InvertedResidual";

    /// <summary>The expand conv's attributes and activation.</summary>
    public ConvOperator Expand { get; } = expand;

    /// <summary>The depthwise conv's attributes and activation.</summary>
    public ConvOperator Depthwise { get; } = depthwise;

    /// <summary>The project conv's attributes, activation and residual flag.</summary>
    public ConvOperator Project { get; } = project;

    /// <summary>
    /// The output may share the residual's buffer, as an unfused conv's may: the copy of the residual into the output is
    /// then skipped. The residual is usually the block's own input; the kernel then runs whole planes, which read all of
    /// the input before the project writes.
    /// </summary>
    public override bool CanRunInPlace(int input) => Project.Residual && input == ResidualInput;

    /// <inheritdoc />
    public override string Describe() => $"expand {Expand.Describe()} | depthwise {Depthwise.Describe()} | project {Project.Describe()}";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        (ConvGeometry e, ConvGeometry d, ConvGeometry p) = Resolve(context.Node, context.Input(0), context.Input(1), Optional(context, 2),
            context.Input(3), Optional(context, 4), context.Input(5), Optional(context, 6));
        int[] shape = p.OutputShape();
        if (Project.Residual && (!context.HasInput(ResidualInput) || context.Input(ResidualInput) is not { Type: DataType.Float32 } r || !r.Shape.AsSpan().SequenceEqual(shape)))
            throw new RewriteNotApplicableException($"{context.Node}: the residual does not have the conv's shape (the Add broadcasts)");
        context.SetOutput(0, DataType.Float32, shape);
        context.Flops = 2 * (e.MultiplyAdds + d.MultiplyAdds + p.MultiplyAdds);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        TensorInfo? B(int i) => context.HasInput(i) ? context.Input(i) : null;
        (ConvGeometry e, ConvGeometry d, ConvGeometry p) = Resolve(context.Node, context.Input(0), context.Input(1), B(2), context.Input(3), B(4), context.Input(5), B(6));
        Tensor expandWeights = context.Constant(1) ?? throw context.Node.Fail("the expand weights are not constant");
        Tensor depthwiseWeights = context.Constant(3) ?? throw context.Node.Fail("the depthwise weights are not constant");
        Tensor projectWeights = context.Constant(5) ?? throw context.Node.Fail("the project weights are not constant");
        var block = new InvertedResidualConvolution(e, d, p, expandWeights.AsSpan<float>(), projectWeights.AsSpan<float>(),
            Expand.Activation, Depthwise.Activation, Project.Activation, SgemmKernel.Current, context.ThreadCount);
        return new InvertedResidualKernel(block, depthwiseWeights, context.Constant(2), context.Constant(4), context.Constant(6), Project.Residual);
    }

    private static TensorInfo? Optional(ShapeContext context, int i) => context.HasInput(i) ? context.Input(i) : null;

    /// <summary>
    /// The three geometries, chained: the expand's output feeds the depthwise, the depthwise's the project. A shape the
    /// fused kernel does not take (the rewrite only saw the weights) sends the plan back to the unfused graph.
    /// </summary>
    private (ConvGeometry Expand, ConvGeometry Depthwise, ConvGeometry Project) Resolve(NodeIdentity node, TensorInfo x, TensorInfo we, TensorInfo? be,
        TensorInfo wd, TensorInfo? bd, TensorInfo wp, TensorInfo? bp)
    {
        ConvGeometry e = Expand.Resolve(node, x, we, be);
        ConvGeometry d = Depthwise.Resolve(node, new TensorInfo(DataType.Float32, e.OutputShape()), wd, bd);
        ConvGeometry p = Project.Resolve(node, new TensorInfo(DataType.Float32, d.OutputShape()), wp, bp);
        if (!e.IsPointwise || e.Groups != 1 || e.Rank != 2 || !p.IsPointwise || p.Groups != 1 || !d.IsDepthwise || d.OutChannels != d.InChannels
            || d.Dilations[0] != 1 || d.Dilations[1] != 1)
            throw new RewriteNotApplicableException($"{node}: the convs are not a pointwise → depthwise → pointwise block");
        return (e, d, p);
    }
}

/// <summary>The compiled <see cref="InvertedResidualOperator"/>: constant weights and biases pinned, the block planned once.</summary>
internal sealed unsafe class InvertedResidualKernel : Kernel
{
    private readonly InvertedResidualConvolution _block;
    private readonly float[] _depthwiseWeights;
    private readonly float[]? _expandBias, _depthwiseBias, _projectBias;
    private readonly bool _residual;

    /// <summary>Keeps pinned copies of the depthwise weights and the biases (null biases stay absent).</summary>
    public InvertedResidualKernel(InvertedResidualConvolution block, Tensor depthwiseWeights, Tensor? expandBias, Tensor? depthwiseBias, Tensor? projectBias,
        bool residual)
    {
        _block = block;
        _depthwiseWeights = Pinned(depthwiseWeights)!;
        _expandBias = Pinned(expandBias);
        _depthwiseBias = Pinned(depthwiseBias);
        _projectBias = Pinned(projectBias);
        _residual = residual;
    }

    /// <inheritdoc />
    public override long ScratchBytes => _block.ScratchBytes;

    /// <inheritdoc />
    public override void Run(in KernelIO io)
    {
        fixed (float* dw = _depthwiseWeights)
        fixed (float* eb = _expandBias)
        fixed (float* db = _depthwiseBias)
        fixed (float* pb = _projectBias)
        {
            float* residual = _residual ? io.InputPointer<float>(InvertedResidualOperator.ResidualInput) : null;
            _block.Run(io.InputPointer<float>(0), eb, dw, db, pb, residual, io.OutputPointer<float>(0), io.Pool, (float*)io.ScratchPointer);
        }
    }

    private static float[]? Pinned(Tensor? tensor) => tensor is null ? null : ConvKernel.Pinned(tensor.AsSpan<float>());
}
