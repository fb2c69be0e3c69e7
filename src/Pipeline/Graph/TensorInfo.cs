using Pipeline.Tensors;

namespace Pipeline.Graph;

/// <summary>The type and concrete shape of one value in a compiled plan.</summary>
internal readonly record struct TensorInfo(DataType Type, int[] Shape)
{
    /// <summary>The number of elements.</summary>
    public long ElementCount => Tensor.ElementCount(Shape);

    /// <summary>The size of the value's buffer in bytes.</summary>
    public long ByteCount => ElementCount * DataTypes.SizeOf(Type);

    /// <inheritdoc />
    public override string ToString() => $"{Type}[{string.Join(",", Shape)}]";
}
