using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>ConstantOfShape: a tensor of the shape in input 0 (int64), every element the one-element <c>value</c> (default float32 0).</summary>
internal sealed class ConstantOfShapeOperator(Tensor? value) : Operator
{
    private readonly Tensor _value = value ?? Tensor.Create(new float[1], 1);

    /// <inheritdoc />
    public override string Name => "ConstantOfShape";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        if (_value.Length != 1) throw context.Fail($"value must hold one element, got {_value.Length}");
        long[] dims = IntegerValues.ReadVector(context.RequireValue(0, "the output shape"), context.Node, "the output shape");
        context.SetOutput(0, _value.Type, IntegerValues.ToShape(dims, context.Node, "the output shape"));
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
        => ElementSizeDispatch.Dispatch<Factory, Kernel>(_value.Type, new Factory(_value, context.Output(0).ElementCount));

    /// <inheritdoc />
    public override string Describe() => _value.ToString();

    private readonly struct Factory(Tensor value, long count) : IElementFactory<Kernel>
    {
        public Kernel Create<T>() where T : unmanaged
            => new FillKernel<T>(System.Runtime.InteropServices.MemoryMarshal.Read<T>(value.AsBytes()), count);
    }

    private sealed unsafe class FillKernel<T>(T element, long count) : Kernel where T : unmanaged
    {
        public override void Run(in KernelIO io)
        {
            T* output = io.OutputPointer<T>(0);
            for (long done = 0; done < count;)
            {
                int n = (int)Math.Min(int.MaxValue, count - done);
                new Span<T>(output + done, n).Fill(element);
                done += n;
            }
        }
    }
}
