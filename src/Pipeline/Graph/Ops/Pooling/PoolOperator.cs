using Pipeline.Graph.Ops.Convolution;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Pooling;

namespace Pipeline.Graph.Ops.Pooling;

/// <summary>The windowed pooling operators.</summary>
internal enum PoolKind
{
    /// <summary>MaxPool, with the optional Indices output.</summary>
    Max,
    /// <summary>AveragePool.</summary>
    Average,
    /// <summary>LpPool.</summary>
    Lp,
}

/// <summary>
/// ONNX MaxPool, AveragePool and LpPool on N-d inputs: kernel_shape, strides, dilations, pads, auto_pad, ceil_mode,
/// count_include_pad (average), p (Lp), storage_order and the Indices output (max). MaxPool also takes uint8/int8.
/// </summary>
internal sealed class PoolOperator(PoolKind kind, WindowAttributes window, bool ceilMode, bool countIncludePad = false, int storageOrder = 0, float p = 2f) : Operator
{
    /// <inheritdoc />
    public override string Name => Kind switch { PoolKind.Max => "MaxPool", PoolKind.Average => "AveragePool", _ => "LpPool" };

    /// <summary>Which pooling.</summary>
    public PoolKind Kind { get; } = kind;

    /// <summary>The window attributes; kernel_shape is required.</summary>
    public WindowAttributes Window { get; } = window;

    /// <inheritdoc />
    public override string Describe()
        => (Window.Describe() + (ceilMode ? " ceil" : "") + (countIncludePad ? " count_include_pad" : "") + (Kind == PoolKind.Lp ? $" p={p}" : "")).Trim();

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        TensorInfo x = context.Input(0);
        PoolGeometry g = Resolve(context.Node, x);
        context.SetOutput(0, x.Type, g.OutputShape());
        if (context.OutputCount > 1)
        {
            if (Kind != PoolKind.Max) throw context.Fail($"{Name} has one output, the node declares {context.OutputCount}");
            context.SetOutput(1, DataType.Int64, g.OutputShape());
        }
        context.Flops = (long)g.Planes * g.OutputPlane * Product(g.KernelSize);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        TensorInfo x = context.Input(0);
        PoolGeometry g = Resolve(context.Node, x);
        return new PoolKernel(this, new PoolWindows(g), x.Type, context.HasOutput(1), countIncludePad, storageOrder, p);
    }

    private PoolGeometry Resolve(NodeIdentity node, TensorInfo x)
    {
        bool typeOk = Kind == PoolKind.Max
            ? x.Type is DataType.Float32 or DataType.UInt8 or DataType.Int8 or DataType.Float64
            : x.Type is DataType.Float32;
        if (!typeOk) throw node.Fail($"{Name} does not support {x.Type} input");
        if (x.Shape.Length < 3) throw node.Fail($"X must be [N, C, spatial...], got rank {x.Shape.Length}");
        int rank = x.Shape.Length - 2;
        int[] kernel = Window.KernelShape ?? throw node.Fail("required attribute 'kernel_shape' is missing");
        if (kernel.Length != rank) throw node.Fail($"kernel_shape has {kernel.Length} values, expected {rank}");
        if (storageOrder is not (0 or 1)) throw node.Fail($"storage_order {storageOrder} must be 0 or 1");
        if (Kind == PoolKind.Lp && !(p > 0)) throw node.Fail($"p {p} must be positive");
        (int[] begin, int[] end) = Window.PadsFor(rank, node);
        try
        {
            return new PoolGeometry(x.Shape[0], x.Shape[1], x.Shape[2..], kernel, Window.StridesFor(rank, node),
                Window.DilationsFor(rank, node), begin, end, Window.AutoPad, ceilMode);
        }
        catch (ArgumentException e)
        {
            throw node.Fail(e.Message);
        }
    }

    private static long Product(int[] values)
    {
        long r = 1;
        foreach (int v in values) r *= v;
        return r;
    }
}

/// <summary>The compiled pooling: one <see cref="PoolingKernel"/> specialization per kind and element type.</summary>
internal sealed unsafe class PoolKernel(PoolOperator op, PoolWindows windows, DataType type, bool wantIndices, bool countIncludePad, int storageOrder, float p) : Kernel
{
    private readonly Isa isa = KernelIsa.Current;

    /// <inheritdoc />
    public override void Run(in KernelIO io)
    {
        long* indices = wantIndices && io.HasOutput(1) ? io.OutputPointer<long>(1) : null;
        bool columnMajor = storageOrder == 1;
        switch (op.Kind, type)
        {
            case (PoolKind.Max, DataType.Float32):
                PoolingKernel.Run(windows, io.InputPointer<float>(0), io.OutputPointer<float>(0), indices, columnMajor, new MaxReducer<float>(), io.Pool, isa);
                break;
            case (PoolKind.Max, DataType.Float64):
                PoolingKernel.Run(windows, io.InputPointer<double>(0), io.OutputPointer<double>(0), indices, columnMajor, new MaxReducer<double>(), io.Pool);
                break;
            case (PoolKind.Max, DataType.UInt8):
                PoolingKernel.Run(windows, io.InputPointer<byte>(0), io.OutputPointer<byte>(0), indices, columnMajor, new MaxReducer<byte>(), io.Pool);
                break;
            case (PoolKind.Max, DataType.Int8):
                PoolingKernel.Run(windows, io.InputPointer<sbyte>(0), io.OutputPointer<sbyte>(0), indices, columnMajor, new MaxReducer<sbyte>(), io.Pool);
                break;
            case (PoolKind.Average, _):
                PoolingKernel.Run(windows, io.InputPointer<float>(0), io.OutputPointer<float>(0), null, false, new AverageReducer(countIncludePad), io.Pool, isa);
                break;
            default:
                PoolingKernel.Run(windows, io.InputPointer<float>(0), io.OutputPointer<float>(0), null, false, new LpReducer(p), io.Pool);
                break;
        }
    }
}
