using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>
/// Dropout at inference: the output is the input and the optional mask is all ones (bool from opset 10, the input's
/// type before). Training-mode dropout (opset 12+ <c>training_mode</c> = true) is random and is refused when known.
/// Without a mask output the node only aliases its input.
/// </summary>
internal sealed class DropoutOperator(bool maskRequested, bool boolMask, bool hasTrainingModeInput) : Operator
{
    /// <inheritdoc />
    public override string Name => "Dropout";

    /// <inheritdoc />
    public override int AliasedInput => maskRequested ? -1 : 0;

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        if (hasTrainingModeInput && context.HasInput(2))
        {
            Tensor mode = context.RequireValue(2, "training_mode");
            if (mode.Type != DataType.Bool || mode.Length != 1) throw context.Fail("training_mode must be a bool scalar");
            if (mode.AsSpan<bool>()[0]) throw context.Fail("training-mode Dropout is not supported: the engine runs inference (set training_mode to false)");
        }
        DataType type = context.InputType(0);
        int[] shape = context.InputShape(0);
        context.SetOutput(0, type, shape);
        if (maskRequested) context.SetOutput(1, boolMask ? DataType.Bool : type, shape);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
        => new DropoutKernel(context.Input(0).ByteCount, context.HasOutput(1) ? context.Output(1) : null);

    /// <inheritdoc />
    public override bool CanRunInPlace(int input) => input == 0;

    private sealed unsafe class DropoutKernel(long bytes, TensorInfo? mask) : Kernel
    {
        public override void Run(in KernelIO io)
        {
            byte* source = io.InputPointer<byte>(0), destination = io.OutputPointer<byte>(0);
            if (source != destination && bytes > 0) Buffer.MemoryCopy(source, destination, bytes, bytes);
            if (mask is not { } m || !io.HasOutput(1)) return;
            int n = checked((int)m.ElementCount);
            switch (m.Type)
            {
                case DataType.Bool: new Span<bool>(io.OutputPointer<bool>(1), n).Fill(true); break;
                case DataType.Float32: new Span<float>(io.OutputPointer<float>(1), n).Fill(1f); break;
                case DataType.Float64: new Span<double>(io.OutputPointer<double>(1), n).Fill(1d); break;
                case DataType.Float16: new Span<Half>(io.OutputPointer<Half>(1), n).Fill(Half.One); break;
                default: throw new InvalidOperationException($"Unexpected mask type {m.Type}.");
            }
        }
    }
}
