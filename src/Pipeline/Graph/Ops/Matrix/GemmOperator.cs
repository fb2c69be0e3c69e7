using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Gemm;

namespace Pipeline.Graph.Ops.Matrix;

/// <summary>
/// ONNX Gemm on float32: Y = alpha·A'·B' + beta·C, A' = transA ? Aᵀ : A (M×K), B' = transB ? Bᵀ : B (K×N), C optional
/// and unidirectionally broadcast to M×N. An activation may be fused. Constant B (a fully connected layer's weights) is
/// packed once with alpha folded in; a constant C broadcast along M becomes a fused column bias.
/// </summary>
internal sealed class GemmOperator(float alpha, float beta, bool transA, bool transB, FusedActivation activation = default) : Operator, IFusesActivation
{
    /// <inheritdoc />
    public override string Name => "Gemm";

    /// <inheritdoc />
    public FusedActivation Activation { get; } = activation;

    /// <inheritdoc />
    public Operator WithActivation(FusedActivation fused) => new GemmOperator(alpha, beta, transA, transB, fused);

    /// <inheritdoc />
    public override string Describe()
    {
        var parts = new List<string>();
        if (transA) parts.Add("transA");
        if (transB) parts.Add("transB");
        if (alpha != 1f) parts.Add($"alpha={alpha}");
        if (beta != 1f) parts.Add($"beta={beta}");
        if (Activation.Kind != ActivationKind.None) parts.Add("+" + Activation);
        return string.Join(" ", parts);
    }

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        (int m, int n, int k) = Dimensions(context.Node, context.Input(0), context.Input(1), context.HasInput(2) ? context.Input(2) : null);
        context.SetOutput(0, DataType.Float32, [m, n]);
        context.Flops = 2L * m * n * k;
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        (int m, int n, int k) = Dimensions(context.Node, context.Input(0), context.Input(1), context.HasInput(2) ? context.Input(2) : null);
        int[]? cShape = context.HasInput(2) && beta != 0f ? context.Input(2).Shape : null;
        return new GemmKernel(m, n, k, alpha, beta, transA, transB, context.Constant(1), cShape, context.Constant(2), Activation, context.ThreadCount);
    }

    private (int M, int N, int K) Dimensions(NodeIdentity node, TensorInfo a, TensorInfo b, TensorInfo? c)
    {
        if (a.Type != DataType.Float32 || b.Type != DataType.Float32) throw node.Fail($"Gemm runs on float32; got A {a.Type}, B {b.Type}");
        if (a.Shape.Length != 2 || b.Shape.Length != 2)
            throw node.Fail($"A and B must be 2-d, got [{string.Join(",", a.Shape)}] and [{string.Join(",", b.Shape)}]");
        int m = transA ? a.Shape[1] : a.Shape[0], ka = transA ? a.Shape[0] : a.Shape[1];
        int kb = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
        if (ka != kb) throw node.Fail($"A' is {m}×{ka} but B' is {kb}×{n}");
        if (c is { } ci)
        {
            if (ci.Type != DataType.Float32) throw node.Fail($"C must be float32, got {ci.Type}");
            int[] cs = ci.Shape;
            bool ok = cs.Length switch
            {
                0 => true,
                1 => cs[0] == n || cs[0] == 1,
                2 => (cs[0] == m || cs[0] == 1) && (cs[1] == n || cs[1] == 1),
                _ => false,
            };
            if (!ok) throw node.Fail($"C [{string.Join(",", cs)}] does not broadcast to [{m},{n}]");
        }
        return (m, n, ka);
    }
}

/// <summary>The compiled Gemm.</summary>
internal sealed unsafe class GemmKernel : Kernel
{
    private readonly int _m, _n, _k;
    private readonly float _alpha, _beta;
    private readonly bool _transA, _transB;
    private readonly SgemmKernel _kernel;
    private readonly SgemmPlan _plan;
    private readonly float[]? _packedB;          // pinned, 64-byte aligned at _packedBOffset; alpha folded in
    private readonly int _packedBOffset;
    private readonly int[]? _cShape;
    private readonly float[]? _columnBias;       // pinned: beta·C for a constant C broadcast along M (N values)
    private readonly FusedActivation _activation;
    private readonly long _packedAFloats;

    /// <summary>Builds the kernel, packing a constant B and folding a constant row-broadcast C.</summary>
    public GemmKernel(int m, int n, int k, float alpha, float beta, bool transA, bool transB, Tensor? constantB, int[]? cShape, Tensor? constantC,
        FusedActivation activation, int threadCount)
    {
        (_m, _n, _k, _alpha, _beta, _transA, _transB, _activation, _cShape) = (m, n, k, alpha, beta, transA, transB, activation, cShape);
        _kernel = SgemmKernel.Current;
        _plan = new SgemmPlan(_kernel, m, n, k, 1, threadCount, prepackedB: constantB is not null);
        _packedAFloats = SgemmPacker.PackedASize(_kernel, m, k);
        if (constantB is not null)
        {
            float[] scaled = constantB.AsSpan<float>().ToArray();
            if (alpha != 1f) for (int i = 0; i < scaled.Length; i++) scaled[i] *= alpha;
            _packedB = GC.AllocateUninitializedArray<float>(checked((int)SgemmPacker.PackedBSize(_kernel, k, n) + 16), pinned: true);
            fixed (float* start = _packedB)
            fixed (float* b = scaled)
            {
                _packedBOffset = (int)((64 - ((nint)start & 63)) & 63) / sizeof(float);
                SgemmPacker.PackB(_kernel, b, transB ? 1 : n, transB ? k : 1, k, n, start + _packedBOffset);
            }
        }
        if (cShape is not null && constantC is not null && BroadcastsAlongRows(cShape))
        {
            _columnBias = GC.AllocateUninitializedArray<float>(n, pinned: true);
            ReadOnlySpan<float> c = constantC.AsSpan<float>();
            for (int j = 0; j < n; j++) _columnBias[j] = beta * c[c.Length == 1 ? 0 : j];
        }
    }

    /// <inheritdoc />
    public override long ScratchBytes => _plan.ScratchBytes + _packedAFloats * sizeof(float) + 64;

    /// <inheritdoc />
    public override void Run(in KernelIO io)
    {
        float* a = io.InputPointer<float>(0);
        float* y = io.OutputPointer<float>(0);
        float* scratch = (float*)io.ScratchPointer;
        float* packedA = (float*)(((nint)(scratch + _plan.ScratchBytes / sizeof(float)) + 63) & ~(nint)63);
        SgemmPacker.PackA(_kernel, a, _transA ? 1 : _k, _transA ? _m : 1, _m, _k, packedA);
        bool accumulate = false;
        if (_packedB is null && _alpha != 1f)
            for (long i = 0; i < _packedAFloats; i++) packedA[i] *= _alpha;
        if (_cShape is not null && _columnBias is null)
        {
            // C of any other broadcast shape, or known only at run time: Y starts as beta·C and the product accumulates onto it.
            FillBroadcastC(io.InputPointer<float>(2), y);
            accumulate = true;
        }

        var operands = new SgemmOperands { PackedA = packedA, Groups = 1, C = y, Ldc = _n };
        fixed (float* columnBias = _columnBias)
        fixed (float* packedBStart = _packedB)
        {
            var output = new SgemmOutput { ColumnBias = columnBias, Activation = _activation, AccumulateIntoC = accumulate };
            if (packedBStart != null)
                Sgemm.Run(_plan, operands, new PrepackedB(packedBStart + _packedBOffset, _k), output, io.Pool, scratch);
            else
                Sgemm.Run(_plan, operands, new StridedB(io.InputPointer<float>(1), _transB ? 1 : _n, _transB ? _k : 1), output, io.Pool, scratch);
        }
    }

    private static bool BroadcastsAlongRows(int[] cShape) => cShape.Length < 2 || cShape[0] == 1;

    private void FillBroadcastC(float* c, float* y)
    {
        int[] cs = _cShape!;
        int rows = cs.Length == 2 ? cs[0] : 1, cols = cs.Length == 0 ? 1 : cs[^1];
        for (int i = 0; i < _m; i++)
        {
            float* src = c + (rows == 1 ? 0 : i) * cols;
            float* dst = y + (long)i * _n;
            if (cols == 1) new Span<float>(dst, _n).Fill(_beta * src[0]);
            else for (int j = 0; j < _n; j++) dst[j] = _beta * src[j];
        }
    }
}
