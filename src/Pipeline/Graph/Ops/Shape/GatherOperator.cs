using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>
/// Gather: picks entries of <c>data</c> along <c>axis</c> by int32/int64 <c>indices</c> (negative count from the end).
/// Output shape: data[:axis] + indices.shape + data[axis+1:]. An index out of range fails the run naming the node.
/// </summary>
internal sealed class GatherOperator(long axis) : Operator
{
    /// <inheritdoc />
    public override string Name => "Gather";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        int[] data = context.InputShape(0);
        int[] indices = context.InputShape(1);
        if (context.InputType(1) is not (DataType.Int64 or DataType.Int32)) throw context.Fail($"indices must be int32 or int64, got {context.InputType(1)}");
        if (data.Length == 0) throw context.Fail("Gather needs data of rank 1 or more");
        int a = Axes.Normalize(axis, data.Length, context.Node);
        int[] output = [.. data.AsSpan(0, a), .. indices, .. data.AsSpan(a + 1)];
        context.SetOutput(0, context.InputType(0), output);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] data = context.Input(0).Shape;
        int a = Axes.Normalize(axis, data.Length, context.Node);
        long innerBytes = Axes.Product(data, a + 1, data.Length) * DataTypes.SizeOf(context.Input(0).Type);
        return new GatherKernel(context.Node, Axes.Product(data, 0, a), data[a], innerBytes,
            context.Input(1).ElementCount, context.Input(1).Type == DataType.Int64);
    }

    /// <inheritdoc />
    public override string Describe() => $"axis={axis}";

    private sealed unsafe class GatherKernel(NodeIdentity node, long outer, int axisLength, long innerBytes, long indexCount, bool wide) : Kernel
    {
        public override void Run(in KernelIO io)
        {
            byte* data = io.InputPointer<byte>(0);
            byte* output = io.OutputPointer<byte>(0);
            long* wideIndices = io.InputPointer<long>(1);
            int* narrowIndices = io.InputPointer<int>(1);
            for (long j = 0; j < indexCount; j++)
            {
                long index = wide ? wideIndices[j] : narrowIndices[j];
                if (index < -axisLength || index >= axisLength)
                    throw node.Fail($"index {index} is out of range for an axis of length {axisLength}");
                if (index < 0) index += axisLength;
                for (long o = 0; o < outer; o++)
                {
                    byte* source = data + (o * axisLength + index) * innerBytes;
                    Buffer.MemoryCopy(source, output + (o * indexCount + j) * innerBytes, innerBytes, innerBytes);
                }
            }
        }
    }
}
