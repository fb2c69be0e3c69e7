using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>The ways Pad fills the border.</summary>
internal enum PadMode
{
    /// <summary>A constant value.</summary>
    Constant,
    /// <summary>The input mirrored without repeating the edge (numpy's reflect).</summary>
    Reflect,
    /// <summary>The edge element repeated.</summary>
    Edge,
    /// <summary>The input repeated cyclically (opset 19+).</summary>
    Wrap,
}

/// <summary>
/// Pad: adds (or, with negative amounts, removes) elements at the start and end of each axis. Opsets 2–10 give the
/// pads and the constant as attributes; from 11 they are inputs 1 and 2 (the constant read when the kernel runs),
/// and from 18 input 3 names the axes the pads apply to.
/// </summary>
internal sealed class PadOperator(PadMode mode, long[]? attributePads, float attributeValue) : Operator
{
    /// <inheritdoc />
    public override string Name => "Pad";

    /// <summary>Per input axis: the elements added before and after.</summary>
    private (long[] Begin, long[] End) Amounts(ShapeContext context, int rank)
    {
        long[] pads = attributePads ?? IntegerValues.ReadVector(context.RequireValue(1, "the pads"), context.Node, "the pads");
        int[] axes;
        if (attributePads is null && context.HasInput(3))
            axes = Axes.NormalizeAll(IntegerValues.ReadVector(context.RequireValue(3, "the axes"), context.Node, "the axes"), rank, context.Node);
        else
        {
            axes = new int[rank];
            for (int i = 0; i < rank; i++) axes[i] = i;
        }
        if (pads.Length != 2 * axes.Length)
            throw context.Fail($"pads [{string.Join(",", pads)}] must have 2 × {axes.Length} entries (begin values, then end values)");
        var begin = new long[rank];
        var end = new long[rank];
        for (int i = 0; i < axes.Length; i++)
        {
            begin[axes[i]] = pads[i];
            end[axes[i]] = pads[i + axes.Length];
        }
        return (begin, end);
    }

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        int[] input = context.InputShape(0);
        (long[] begin, long[] end) = Amounts(context, input.Length);
        var output = new int[input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            long d = input[i] + begin[i] + end[i];
            if (d < 0 || d > int.MaxValue) throw context.Fail($"padding axis {i} of size {input[i]} by ({begin[i]}, {end[i]}) gives size {d}");
            if (mode != PadMode.Constant && input[i] == 0 && d > 0) throw context.Fail($"{mode} padding needs a non-empty axis {i}");
            output[i] = (int)d;
        }
        IntegerValues.CheckElementCount(output, context.Node, "the padded shape");
        if (attributePads is null && context.HasInput(2) && context.InputType(2) != context.InputType(0))
            throw context.Fail($"constant_value has type {context.InputType(2)}, expected {context.InputType(0)}");
        context.SetOutput(0, context.InputType(0), output);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] input = context.Input(0).Shape;
        int[] output = context.Output(0).Shape;
        // The output shape does not say how the padding splits between start and end: re-derive it from the pads,
        // which the plan knows (they were required while inferring the shape).
        var shapes = new ShapeContext(context.Node, Infos(context), Constants(context), 1);
        (long[] begin, _) = Amounts(shapes, input.Length);
        DataType type = context.Input(0).Type;
        bool valueFromInput = attributePads is null && context.HasInput(2);
        ulong attributeBits = valueFromInput ? 0 : ScalarBits.Encode(type, attributeValue, context.Node);
        return ElementSizeDispatch.Dispatch<Factory, Kernel>(type, new Factory(mode, input, output, begin, valueFromInput, attributeBits));
    }

    private static TensorInfo?[] Infos(KernelContext context)
    {
        var infos = new TensorInfo?[context.InputCount];
        for (int i = 0; i < infos.Length; i++) if (context.HasInput(i)) infos[i] = context.Input(i);
        return infos;
    }

    private static Tensor?[] Constants(KernelContext context)
    {
        var values = new Tensor?[context.InputCount];
        for (int i = 0; i < values.Length; i++) values[i] = context.Constant(i);
        return values;
    }

    /// <inheritdoc />
    public override string Describe() => $"mode={mode.ToString().ToLowerInvariant()}";

    private readonly struct Factory(PadMode mode, int[] input, int[] output, long[] begin, bool valueFromInput, ulong bits) : IElementFactory<Kernel>
    {
        public Kernel Create<T>() where T : unmanaged => new PadKernel<T>(mode, input, output, begin, valueFromInput, bits);
    }

    /// <summary>
    /// Writes the output row by row (all axes but the last). A row either lies in the border of an outer axis (filled
    /// with the constant, or copied from the mapped input row) or maps to an input row; along the last axis the
    /// middle is one block copy and the borders follow a precomputed index map.
    /// </summary>
    private sealed unsafe class PadKernel<T> : Kernel where T : unmanaged
    {
        private readonly PadMode _mode;
        private readonly int[] _input;
        private readonly int[] _output;
        private readonly long[] _begin;
        private readonly bool _valueFromInput;
        private readonly T _attributeValue;
        private readonly int[] _lastMap; // per output column: input column, or -1 for the constant
        private readonly long[] _inputStrides;

        public PadKernel(PadMode mode, int[] input, int[] output, long[] begin, bool valueFromInput, ulong bits)
        {
            _mode = mode;
            _input = input.Length == 0 ? [1] : input;
            _output = output.Length == 0 ? [1] : output;
            _begin = begin.Length == 0 ? [0] : begin;
            _valueFromInput = valueFromInput;
            _attributeValue = System.Runtime.CompilerServices.Unsafe.As<ulong, T>(ref bits);
            int last = _input.Length - 1;
            _lastMap = new int[_output[last]];
            for (int j = 0; j < _lastMap.Length; j++) _lastMap[j] = Map(j - _begin[last], _input[last]);
            _inputStrides = new long[_input.Length];
            long stride = 1;
            for (int d = _input.Length - 1; d >= 0; d--) { _inputStrides[d] = stride; stride *= _input[d]; }
        }

        /// <summary>The input index an output position reads, or −1 when it takes the constant.</summary>
        private int Map(long i, int n)
        {
            if (i >= 0 && i < n) return (int)i;
            switch (_mode)
            {
                case PadMode.Constant: return -1;
                case PadMode.Edge: return i < 0 ? 0 : n - 1;
                case PadMode.Wrap: return (int)(((i % n) + n) % n);
                default:
                    if (n == 1) return 0;
                    long period = 2L * (n - 1);
                    long r = ((i % period) + period) % period;
                    return (int)(r < n ? r : period - r);
            }
        }

        public override void Run(in KernelIO io)
        {
            T* source = io.InputPointer<T>(0);
            T* destination = io.OutputPointer<T>(0);
            T value = _valueFromInput && io.HasInput(2) ? *io.InputPointer<T>(2) : _attributeValue;
            int rank = _output.Length;
            int width = _output[rank - 1];
            long rows = Tensor.ElementCount(_output) / Math.Max(1, width);
            if (width == 0 || rows == 0) return;
            Span<int> counters = stackalloc int[rank];
            int last = rank - 1;
            // The contiguous middle of the last axis: output columns [m0, m1) read input columns from m0 − begin.
            int m0 = (int)Math.Clamp(_begin[last], 0, width);
            int m1 = (int)Math.Clamp(_begin[last] + _input[last], m0, width);
            for (long row = 0; row < rows; row++)
            {
                T* target = destination + row * width;
                long offset = 0;
                bool inside = true;
                for (int d = 0; d < last; d++)
                {
                    int i = Map(counters[d] - _begin[d], _input[d]);
                    if (i < 0) { inside = false; break; }
                    offset += i * _inputStrides[d];
                }
                if (!inside) new Span<T>(target, width).Fill(value);
                else
                {
                    T* line = source + offset;
                    for (int j = 0; j < m0; j++) target[j] = _lastMap[j] < 0 ? value : line[_lastMap[j]];
                    if (m1 > m0) new ReadOnlySpan<T>(line + (m0 - _begin[last]), m1 - m0).CopyTo(new Span<T>(target + m0, m1 - m0));
                    for (int j = m1; j < width; j++) target[j] = _lastMap[j] < 0 ? value : line[_lastMap[j]];
                }
                for (int d = last - 1; d >= 0; d--)
                {
                    if (++counters[d] < _output[d]) break;
                    counters[d] = 0;
                }
            }
        }
    }
}
