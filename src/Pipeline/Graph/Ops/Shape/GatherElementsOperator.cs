using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>
/// GatherElements: output[i…] = data[i… with the <c>axis</c> coordinate replaced by indices[i…]]. Indices have data's
/// rank and no larger a dimension off the axis; negative indices count from the end.
/// </summary>
internal sealed class GatherElementsOperator(long axis) : Operator
{
    /// <inheritdoc />
    public override string Name => "GatherElements";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        int[] data = context.InputShape(0);
        int[] indices = context.InputShape(1);
        if (context.InputType(1) is not (DataType.Int64 or DataType.Int32)) throw context.Fail($"indices must be int32 or int64, got {context.InputType(1)}");
        if (data.Length == 0 || indices.Length != data.Length)
            throw context.Fail($"indices {Axes.Format(indices)} must have the rank of data {Axes.Format(data)} (at least 1)");
        int a = Axes.Normalize(axis, data.Length, context.Node);
        for (int d = 0; d < data.Length; d++)
            if (d != a && indices[d] > data[d])
                throw context.Fail($"indices {Axes.Format(indices)} exceed data {Axes.Format(data)} on axis {d}");
        context.SetOutput(0, context.InputType(0), indices);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] data = context.Input(0).Shape;
        int a = Axes.Normalize(axis, data.Length, context.Node);
        return ElementSizeDispatch.Dispatch<Factory, Kernel>(context.Input(0).Type,
            new Factory(context.Node, data, context.Input(1).Shape, a, context.Input(1).Type == DataType.Int64));
    }

    /// <inheritdoc />
    public override string Describe() => $"axis={axis}";

    private readonly struct Factory(NodeIdentity node, int[] data, int[] indices, int axis, bool wide) : IElementFactory<Kernel>
    {
        public Kernel Create<T>() where T : unmanaged => new GatherElementsKernel<T>(node, data, indices, axis, wide);
    }

    private sealed unsafe class GatherElementsKernel<T> : Kernel where T : unmanaged
    {
        private readonly NodeIdentity _node;
        private readonly int[] _indexShape;
        private readonly long[] _dataStrides;
        private readonly int _axis;
        private readonly int _axisLength;
        private readonly bool _wide;

        public GatherElementsKernel(NodeIdentity node, int[] data, int[] indices, int axis, bool wide)
        {
            _node = node;
            _indexShape = indices;
            _axis = axis;
            _axisLength = data[axis];
            _wide = wide;
            _dataStrides = new long[data.Length];
            long stride = 1;
            for (int d = data.Length - 1; d >= 0; d--) { _dataStrides[d] = stride; stride *= data[d]; }
        }

        public override void Run(in KernelIO io)
        {
            T* data = io.InputPointer<T>(0);
            T* output = io.OutputPointer<T>(0);
            long count = Tensor.ElementCount(_indexShape);
            if (count == 0) return;
            int rank = _indexShape.Length;
            Span<int> position = stackalloc int[rank];
            long baseOffset = 0; // data offset of the position with the axis coordinate left at 0
            for (long e = 0; e < count; e++)
            {
                long index = _wide ? io.InputPointer<long>(1)[e] : io.InputPointer<int>(1)[e];
                if (index < -_axisLength || index >= _axisLength)
                    throw _node.Fail($"index {index} is out of range for axis {_axis} of length {_axisLength}");
                if (index < 0) index += _axisLength;
                output[e] = data[baseOffset + index * _dataStrides[_axis]];
                for (int d = rank - 1; d >= 0; d--)
                {
                    if (++position[d] < _indexShape[d])
                    {
                        if (d != _axis) baseOffset += _dataStrides[d];
                        break;
                    }
                    position[d] = 0;
                    if (d != _axis) baseOffset -= (long)(_indexShape[d] - 1) * _dataStrides[d];
                }
            }
        }
    }
}
