using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>Concat: joins inputs of one type and rank along <c>axis</c> (negative allowed); the other dimensions must match.</summary>
internal sealed class ConcatOperator(long axis) : Operator
{
    /// <summary>The axis as written.</summary>
    public long Axis { get; } = axis;

    /// <inheritdoc />
    public override string Name => "Concat";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        if (context.InputCount == 0) throw context.Fail("Concat needs at least one input");
        DataType type = context.InputType(0);
        int[] first = context.InputShape(0);
        if (first.Length == 0) throw context.Fail("Concat cannot join scalars");
        int a = Axes.Normalize(Axis, first.Length, context.Node);
        int[] output = (int[])first.Clone();
        long total = first[a];
        for (int i = 1; i < context.InputCount; i++)
        {
            int[] s = context.InputShape(i);
            if (context.InputType(i) != type) throw context.Fail($"input {i} has type {context.InputType(i)}, expected {type}");
            if (s.Length != first.Length) throw context.Fail($"input {i} has rank {s.Length}, expected {first.Length}");
            for (int d = 0; d < s.Length; d++)
                if (d != a && s[d] != first[d])
                    throw context.Fail($"input {i} of shape {Axes.Format(s)} does not match input 0 {Axes.Format(first)} outside axis {a}");
            total += s[a];
        }
        if (total > int.MaxValue) throw context.Fail($"the concatenated axis would have {total} elements");
        output[a] = (int)total;
        context.SetOutput(0, type, output);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] shape = context.Output(0).Shape;
        int a = Axes.Normalize(Axis, shape.Length, context.Node);
        long outer = Axes.Product(shape, 0, a);
        long innerBytes = Axes.Product(shape, a + 1, shape.Length) * DataTypes.SizeOf(context.Output(0).Type);
        var blocks = new long[context.InputCount];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = context.Input(i).Shape[a] * innerBytes;
        return new ConcatKernel(outer, blocks);
    }

    /// <inheritdoc />
    public override string Describe() => $"axis={Axis}";

    /// <summary>Copies, for each outer index, every input's block in turn; items are (outer, input) pairs.</summary>
    private sealed unsafe class ConcatKernel : Kernel
    {
        private readonly long _outer;
        private readonly long[] _blocks;
        private readonly long[] _offsets;
        private readonly long _rowBytes;

        public ConcatKernel(long outer, long[] blocks)
        {
            _outer = outer;
            _blocks = blocks;
            _offsets = new long[blocks.Length];
            for (int i = 0; i < blocks.Length; i++)
            {
                _offsets[i] = _rowBytes;
                _rowBytes += blocks[i];
            }
        }

        public override void Run(in KernelIO io)
        {
            long pairs = _outer * _blocks.Length;
            if (pairs == 0 || _rowBytes == 0) return;
            nint* inputs = stackalloc nint[_blocks.Length];
            for (int i = 0; i < _blocks.Length; i++) inputs[i] = (nint)io.InputPointer<byte>(i);
            // Parallel only for copies large enough to be worth it (a few hundred KB).
            int items = (int)Math.Min(WorkSplit.Count(_outer * _rowBytes, io.Pool.ThreadCount, 1 << 18), pairs);
            var body = new Body(this, inputs, io.OutputPointer<byte>(0), pairs, items);
            io.Pool.For(items, ref body);
        }

        private readonly struct Body(ConcatKernel k, nint* inputs, byte* output, long pairs, int items) : IParallelBody
        {
            public void Invoke(int index)
            {
                (long start, long end) = WorkSplit.Range(index, items, pairs, 1);
                int n = k._blocks.Length;
                for (long p = start; p < end; p++)
                {
                    long o = p / n;
                    int i = (int)(p % n);
                    long block = k._blocks[i];
                    Buffer.MemoryCopy((byte*)inputs[i] + o * block, output + o * k._rowBytes + k._offsets[i], block, block);
                }
            }
        }
    }
}
