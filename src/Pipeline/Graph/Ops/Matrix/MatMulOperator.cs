using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;
using Pipeline.Tensors.Kernels.Gemm;

namespace Pipeline.Graph.Ops.Matrix;

/// <summary>
/// ONNX MatMul on float32 with numpy semantics: A [..., M, K] · B [..., K, N], batch dimensions broadcast, a 1-d A is a
/// row (its M axis dropped from the result) and a 1-d B a column (its N axis dropped). When B has no batch (a layer's
/// weights) A's batch folds into M and a constant B is packed once. An activation may be fused.
/// </summary>
internal sealed class MatMulOperator(FusedActivation activation = default) : Operator, IFusesActivation
{
    /// <inheritdoc />
    public override string Name => "MatMul";

    /// <inheritdoc />
    public FusedActivation Activation { get; } = activation;

    /// <inheritdoc />
    public Operator WithActivation(FusedActivation fused) => new MatMulOperator(fused);

    /// <inheritdoc />
    public override string Describe() => Activation.Kind == ActivationKind.None ? string.Empty : "+" + Activation;

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        MatMulShape s = MatMulShape.Resolve(context.Node, context.Input(0), context.Input(1));
        context.SetOutput(0, DataType.Float32, s.Output);
        context.Flops = 2L * s.BatchCount * s.M * s.N * s.K;
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
        => new MatMulKernel(MatMulShape.Resolve(context.Node, context.Input(0), context.Input(1)), context.Constant(1), Activation, context.ThreadCount);
}

/// <summary>The resolved shapes of a MatMul: the matrices, the broadcast batch, and each operand's batch strides.</summary>
internal sealed class MatMulShape
{
    private MatMulShape(int m, int n, int k, int[] batch, long[] aStrides, long[] bStrides, int[] output)
    {
        (M, N, K, Batch, AStrides, BStrides, Output) = (m, n, k, batch, aStrides, bStrides, output);
        BatchCount = 1;
        foreach (int d in batch) BatchCount *= d;
    }

    /// <summary>Rows of each product.</summary>
    public int M { get; }

    /// <summary>Columns of each product.</summary>
    public int N { get; }

    /// <summary>The shared dimension.</summary>
    public int K { get; }

    /// <summary>The broadcast batch dimensions.</summary>
    public int[] Batch { get; }

    /// <summary>Products in the batch.</summary>
    public long BatchCount { get; }

    /// <summary>Per batch axis, floats between A's matrices (0 where A broadcasts).</summary>
    public long[] AStrides { get; }

    /// <summary>Per batch axis, floats between B's matrices (0 where B broadcasts).</summary>
    public long[] BStrides { get; }

    /// <summary>The output shape.</summary>
    public int[] Output { get; }

    /// <summary>True when every product uses the same B: A's batch can fold into M.</summary>
    public bool BIsShared => Array.TrueForAll(BStrides, s => s == 0);

    /// <summary>Checks and resolves the shapes of A and B.</summary>
    public static MatMulShape Resolve(NodeIdentity node, TensorInfo a, TensorInfo b)
    {
        if (a.Type != DataType.Float32 || b.Type != DataType.Float32) throw node.Fail($"MatMul runs on float32; got {a.Type} and {b.Type}");
        int[] sa = a.Shape, sb = b.Shape;
        if (sa.Length == 0 || sb.Length == 0) throw node.Fail("MatMul operands must have rank ≥ 1");
        int m = sa.Length == 1 ? 1 : sa[^2], k = sa[^1];
        int kb = sb.Length == 1 ? sb[0] : sb[^2], n = sb.Length == 1 ? 1 : sb[^1];
        if (k != kb) throw node.Fail($"A [{string.Join(",", sa)}] and B [{string.Join(",", sb)}] disagree on K ({k} vs {kb})");
        int[] batchA = sa.Length > 2 ? sa[..^2] : [], batchB = sb.Length > 2 ? sb[..^2] : [];
        int rank = Math.Max(batchA.Length, batchB.Length);
        var batch = new int[rank];
        var aStrides = new long[rank];
        var bStrides = new long[rank];
        long aStride = (long)m * k, bStride = (long)k * n;
        for (int i = rank - 1; i >= 0; i--)
        {
            int da = i - (rank - batchA.Length) >= 0 ? batchA[i - (rank - batchA.Length)] : 1;
            int db = i - (rank - batchB.Length) >= 0 ? batchB[i - (rank - batchB.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw node.Fail($"batch dimensions of A [{string.Join(",", sa)}] and B [{string.Join(",", sb)}] do not broadcast");
            batch[i] = Math.Max(da, db);
            aStrides[i] = da == 1 ? 0 : aStride;
            bStrides[i] = db == 1 ? 0 : bStride;
            aStride *= da;
            bStride *= db;
        }
        var output = new List<int>(batch);
        if (sa.Length > 1) output.Add(m);
        if (sb.Length > 1) output.Add(n);
        return new MatMulShape(m, n, k, batch, aStrides, bStrides, [.. output]);
    }
}

/// <summary>The compiled MatMul.</summary>
internal sealed unsafe class MatMulKernel : Kernel
{
    private readonly MatMulShape _shape;
    private readonly SgemmKernel _kernel;
    private readonly SgemmPlan _plan;
    private readonly bool _folded;             // A's batch folded into M (B shared by every product)
    private readonly int _rows;                // M of each GEMM call
    private readonly float[]? _packedB;        // pinned, aligned at _packedBOffset
    private readonly int _packedBOffset;
    private readonly FusedActivation _activation;

    /// <summary>Builds the kernel, packing a shared constant B once.</summary>
    public MatMulKernel(MatMulShape shape, Tensor? constantB, FusedActivation activation, int threadCount)
    {
        _shape = shape;
        _activation = activation;
        _kernel = SgemmKernel.Current;
        // Folding needs A's matrices to be consecutive in the output order: true when B never varies (A's strides are then dense).
        _folded = shape.BIsShared;
        _rows = _folded ? checked((int)(shape.M * shape.BatchCount)) : shape.M;
        _plan = new SgemmPlan(_kernel, _rows, shape.N, shape.K, 1, threadCount, prepackedB: _folded && constantB is not null);
        if (_folded && constantB is not null)
        {
            _packedB = GC.AllocateUninitializedArray<float>(checked((int)SgemmPacker.PackedBSize(_kernel, shape.K, shape.N) + 16), pinned: true);
            fixed (float* start = _packedB)
            fixed (float* b = constantB.AsSpan<float>())
            {
                _packedBOffset = (int)((64 - ((nint)start & 63)) & 63) / sizeof(float);
                SgemmPacker.PackB(_kernel, b, shape.N, 1, shape.K, shape.N, start + _packedBOffset);
            }
        }
    }

    /// <inheritdoc />
    public override long ScratchBytes => _plan.ScratchBytes + SgemmPacker.PackedASize(_kernel, _rows, _shape.K) * sizeof(float) + 64;

    /// <inheritdoc />
    public override void Run(in KernelIO io)
    {
        float* a = io.InputPointer<float>(0);
        float* b = io.InputPointer<float>(1);
        float* y = io.OutputPointer<float>(0);
        float* scratch = (float*)io.ScratchPointer;
        float* packedA = (float*)(((nint)(scratch + _plan.ScratchBytes / sizeof(float)) + 63) & ~(nint)63);
        int n = _shape.N, k = _shape.K;
        var output = new SgemmOutput { Activation = _activation };
        if (_folded)
        {
            SgemmPacker.PackA(_kernel, a, k, 1, _rows, k, packedA);
            var operands = new SgemmOperands { PackedA = packedA, Groups = 1, C = y, Ldc = n };
            fixed (float* packedB = _packedB)
            {
                if (packedB != null) Sgemm.Run(_plan, operands, new PrepackedB(packedB + _packedBOffset, k), output, io.Pool, scratch);
                else Sgemm.Run(_plan, operands, new StridedB(b, n, 1), output, io.Pool, scratch);
            }
            return;
        }

        int rank = _shape.Batch.Length;
        Span<int> index = stackalloc int[rank];
        for (long batch = 0; batch < _shape.BatchCount; batch++)
        {
            long aOffset = 0, bOffset = 0;
            for (int d = 0; d < rank; d++)
            {
                aOffset += index[d] * _shape.AStrides[d];
                bOffset += index[d] * _shape.BStrides[d];
            }
            SgemmPacker.PackA(_kernel, a + aOffset, k, 1, _shape.M, k, packedA);
            var operands = new SgemmOperands { PackedA = packedA, Groups = 1, C = y + batch * _shape.M * n, Ldc = n };
            Sgemm.Run(_plan, operands, new StridedB(b + bOffset, n, 1), output, io.Pool, scratch);
            for (int d = rank - 1; d >= 0 && ++index[d] == _shape.Batch[d]; d--) index[d] = 0;
        }
    }
}
