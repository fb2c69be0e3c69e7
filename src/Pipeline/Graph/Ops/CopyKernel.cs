namespace Pipeline.Graph.Ops;

/// <summary>
/// Copies input 0 to output 0 byte for byte. The kernel of the operators that only reinterpret their input
/// (<see cref="Operator.AliasedInput"/>), for when the executor does not give them the input's buffer.
/// </summary>
internal sealed unsafe class CopyKernel(long bytes) : Kernel
{
    /// <inheritdoc />
    public override void Run(in KernelIO io)
    {
        byte* source = io.InputPointer<byte>(0);
        byte* destination = io.OutputPointer<byte>(0);
        if (source != destination && bytes > 0) Buffer.MemoryCopy(source, destination, bytes, bytes);
    }
}
