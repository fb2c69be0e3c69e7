using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>
/// An operator whose output is its input's bytes under another shape (Reshape, Flatten, Squeeze, Unsqueeze,
/// Identity): the executor aliases the buffers and runs nothing; the kernel copies only when it does not.
/// </summary>
internal abstract class ReinterpretOperator : Operator
{
    /// <summary>The output shape for the input's shape (and any values the subclass requires).</summary>
    protected abstract int[] OutputShape(ShapeContext context, int[] input);

    /// <inheritdoc />
    public sealed override void InferOutputs(ShapeContext context)
    {
        int[] input = context.InputShape(0);
        int[] output = OutputShape(context, input);
        if (Tensor.ElementCount(output) != Tensor.ElementCount(input))
            throw context.Fail($"output shape {Axes.Format(output)} does not hold the {Tensor.ElementCount(input)} elements of input {Axes.Format(input)}");
        context.SetOutput(0, context.InputType(0), output);
    }

    /// <inheritdoc />
    public sealed override Kernel CreateKernel(KernelContext context) => new CopyKernel(context.Input(0).ByteCount);

    /// <inheritdoc />
    public sealed override int AliasedInput => 0;
}
