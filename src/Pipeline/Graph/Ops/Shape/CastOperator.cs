using Pipeline.Tensors;
using Pipeline.Tensors.Numerics;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>
/// Cast (to the type in <c>to</c>) and CastLike (to input 1's type), with the semantics of
/// <see cref="ElementConversion"/>. Large tensors are converted in parallel blocks.
/// </summary>
internal sealed class CastOperator(DataType? to) : Operator
{
    /// <inheritdoc />
    public override string Name => to is null ? "CastLike" : "Cast";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        DataType target = to ?? context.InputType(1);
        if (!DataTypes.IsSupported(target)) throw context.Fail($"cannot cast to {target}: the type is not supported");
        DataType source = context.InputType(0);
        if (!DataTypes.IsSupported(source)) throw context.Fail($"cannot cast from {source}: the type is not supported");
        context.SetOutput(0, target, context.InputShape(0));
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
        => new CastKernel(context.Input(0).Type, context.Output(0).Type, context.Input(0).ElementCount);

    /// <inheritdoc />
    public override bool CanRunInPlace(int input)
        => false; // element sizes may differ; the conversion reads blocks ahead of its writes only when they match

    /// <inheritdoc />
    public override string Describe() => to is { } t ? $"to={t}" : string.Empty;

    private sealed unsafe class CastKernel(DataType from, DataType to, long count) : Kernel
    {
        public override void Run(in KernelIO io)
        {
            var body = new Body(from, to, io.InputPointer<byte>(0), io.OutputPointer<byte>(0), count, WorkSplit.Count(count, io.Pool.ThreadCount));
            io.Pool.For(body.Items, ref body);
        }

        private readonly struct Body(DataType from, DataType to, byte* source, byte* destination, long count, int items) : IParallelBody
        {
            public int Items => items;

            public void Invoke(int index)
            {
                (long start, long end) = WorkSplit.Range(index, items, count);
                if (start >= end) return;
                ElementConversion.Convert(from, source + start * DataTypes.SizeOf(from), to, destination + start * DataTypes.SizeOf(to), end - start);
            }
        }
    }
}
