using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>Writes a fixed tensor's bytes to output 0 (Constant, Shape, ConstantOfShape's fill when small).</summary>
internal sealed unsafe class ConstantKernel(Tensor value) : Kernel
{
    /// <inheritdoc />
    public override void Run(in KernelIO io)
    {
        ReadOnlySpan<byte> bytes = value.AsBytes();
        bytes.CopyTo(new Span<byte>(io.OutputPointer<byte>(0), bytes.Length));
    }
}
