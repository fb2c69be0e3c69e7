using System.Runtime.InteropServices;
using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph;

/// <summary>
/// Runs one <see cref="Operator"/> eagerly on tensors: infer, build the kernel, run it once. The compiler folds
/// constant subgraphs with it, and operator tests use it to run an op without a graph.
/// </summary>
internal static class OperatorEvaluator
{
    /// <summary>
    /// Evaluates <paramref name="op"/>. Null inputs are absent optional inputs. Every input's value is known to the op
    /// (as a constant) so shape-determining inputs resolve. Returns one tensor per declared output (null when unset).
    /// </summary>
    public static unsafe Tensor?[] Evaluate(Operator op, Tensor?[] inputs, int outputCount = 1, NodeIdentity? node = null, WorkerPool? pool = null)
    {
        NodeIdentity id = node ?? new NodeIdentity(op.Name, op.Name, 0);
        var infos = new TensorInfo?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i] is { } t) infos[i] = new TensorInfo(t.Type, t.ShapeArray());

        var shapes = new ShapeContext(id, infos, inputs, outputCount);
        op.InferOutputs(shapes);
        var outInfos = new TensorInfo?[outputCount];
        var outputs = new Tensor?[outputCount];
        for (int i = 0; i < outputCount; i++)
        {
            outInfos[i] = shapes.Output(i);
            if (outInfos[i] is { } info) outputs[i] = Tensor.Zeros(info.Type, info.Shape);
        }

        if (op.AliasedInput >= 0)
        {
            Tensor source = inputs[op.AliasedInput] ?? throw id.Fail($"aliased input {op.AliasedInput} is missing");
            outputs[0] = source.Reshape(outInfos[0]!.Value.Shape);
            return outputs;
        }

        Kernel kernel = op.CreateKernel(new KernelContext(id, infos, inputs, outInfos, pool?.ThreadCount ?? 1));
        var handles = new List<GCHandle>();
        try
        {
            Span<nint> inPtr = stackalloc nint[inputs.Length];
            Span<long> inBytes = stackalloc long[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                if (inputs[i] is not { } t) continue;
                inPtr[i] = Pin(t, handles);
                inBytes[i] = t.Length * DataTypes.SizeOf(t.Type);
            }
            Span<nint> outPtr = stackalloc nint[outputCount];
            Span<long> outBytes = stackalloc long[outputCount];
            for (int i = 0; i < outputCount; i++)
            {
                if (outputs[i] is not { } t) continue;
                outPtr[i] = Pin(t, handles);
                outBytes[i] = t.Length * DataTypes.SizeOf(t.Type);
            }

            long scratchBytes = kernel.ScratchBytes;
            byte[] scratch = GC.AllocateUninitializedArray<byte>(checked((int)scratchBytes + 64), pinned: true);
            nint scratchBase = (nint)Marshal.UnsafeAddrOfPinnedArrayElement(scratch, 0);
            nint aligned = (scratchBase + 63) & ~(nint)63;

            var io = new KernelIO(inPtr, inBytes, outPtr, outBytes, aligned, scratchBytes, pool ?? WorkerPool.Inline);
            kernel.Run(io);
            GC.KeepAlive(scratch);
        }
        finally
        {
            foreach (GCHandle h in handles) h.Free();
        }
        return outputs;
    }

    private static nint Pin(Tensor t, List<GCHandle> handles)
    {
        // An empty tensor still needs a distinct non-zero address so kernels see it as present.
        if (t.Length == 0) return 1;
        GCHandle h = GCHandle.Alloc(t.Data, GCHandleType.Pinned);
        handles.Add(h);
        return h.AddrOfPinnedObject();
    }
}
