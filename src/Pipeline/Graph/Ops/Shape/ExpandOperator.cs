namespace Pipeline.Graph.Ops.Shape;

/// <summary>Expand: broadcasts the input with the shape in input 1 (numpy rules in both directions, so dims of 1 in the shape keep the input's).</summary>
internal sealed class ExpandOperator : Operator
{
    /// <inheritdoc />
    public override string Name => "Expand";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        int[] input = context.InputShape(0);
        long[] dims = IntegerValues.ReadVector(context.RequireValue(1, "the shape"), context.Node, "the shape");
        int[] requested = IntegerValues.ToShape(dims, context.Node, "the shape");
        int[] output = Broadcast.TryShape(input, requested)
            ?? throw context.Fail($"input {Axes.Format(input)} cannot be expanded to {Axes.Format(requested)}");
        IntegerValues.CheckElementCount(output, context.Node, "the expanded shape");
        context.SetOutput(0, context.InputType(0), output);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        BroadcastLayout layout = BroadcastLayout.Create(context.Output(0).Shape, context.Input(0).Shape);
        return ElementSizeDispatch.Dispatch<BroadcastCopy.Factory, Kernel>(context.Input(0).Type, new BroadcastCopy.Factory(layout));
    }
}

/// <summary>Copies one input into a larger output under broadcasting: rows are copied or filled with one repeated element.</summary>
internal static class BroadcastCopy
{
    /// <summary>Makes the kernel for the element size.</summary>
    public readonly struct Factory(BroadcastLayout layout) : IElementFactory<Kernel>
    {
        /// <inheritdoc />
        public Kernel Create<T>() where T : unmanaged => new Kernel<T>(layout);
    }

    private sealed unsafe class Kernel<T>(BroadcastLayout layout) : Kernel where T : unmanaged
    {
        public override void Run(in KernelIO io)
        {
            T* source = io.InputPointer<T>(0);
            T* destination = io.OutputPointer<T>(0);
            if (layout.ElementCount == 0) return;
            Span<long> offsets = stackalloc long[1];
            Span<int> counters = stackalloc int[Math.Max(1, layout.Dims.Length - 1)];
            layout.Seek(0, offsets, counters);
            int inner = layout.InnerLength;
            bool contiguous = layout.InnerStrides[0] != 0;
            for (long row = 0; row < layout.RowCount; row++)
            {
                var target = new Span<T>(destination + row * inner, inner);
                if (contiguous) new ReadOnlySpan<T>(source + offsets[0], inner).CopyTo(target);
                else target.Fill(source[offsets[0]]);
                layout.Advance(offsets, counters);
            }
        }
    }
}
