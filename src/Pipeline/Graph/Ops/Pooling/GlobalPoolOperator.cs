using Pipeline.Tensors;
using Pipeline.Tensors.Kernels.Pooling;

namespace Pipeline.Graph.Ops.Pooling;

/// <summary>ONNX GlobalAveragePool and GlobalMaxPool: X [N, C, d...] → Y [N, C, 1, ...] (float32).</summary>
internal sealed class GlobalPoolOperator(bool max) : Operator
{
    /// <inheritdoc />
    public override string Name => max ? "GlobalMaxPool" : "GlobalAveragePool";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        TensorInfo x = context.Input(0);
        if (x.Type != DataType.Float32) throw context.Fail($"{Name} runs on float32, got {x.Type}");
        if (x.Shape.Length < 2) throw context.Fail($"X must be [N, C, spatial...], got rank {x.Shape.Length}");
        int[] shape = new int[x.Shape.Length];
        shape[0] = x.Shape[0];
        shape[1] = x.Shape[1];
        for (int i = 2; i < shape.Length; i++) shape[i] = 1;
        context.SetOutput(0, DataType.Float32, shape);
        context.Flops = x.ElementCount;
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] shape = context.Input(0).Shape;
        long plane = 1;
        for (int i = 2; i < shape.Length; i++) plane *= shape[i];
        return new GlobalPoolKernel(shape[0] * shape[1], checked((int)plane), max);
    }
}

/// <summary>The compiled global pooling.</summary>
internal sealed unsafe class GlobalPoolKernel(int planes, int planeSize, bool max) : Kernel
{
    /// <inheritdoc />
    public override void Run(in KernelIO io)
        => GlobalPooling.Run(io.InputPointer<float>(0), io.OutputPointer<float>(0), planes, planeSize, max, io.Pool);
}
