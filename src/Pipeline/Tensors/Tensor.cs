using System.Runtime.InteropServices;

namespace Pipeline.Tensors;

/// <summary>
/// A dense, row-major tensor: an element type, a shape and the elements in one managed array
/// (<see cref="DataTypes.ClrType"/> gives the array's element type). Tensors are the values that cross the public
/// API (model inputs and outputs, constants); the executor's intermediates live in its own planned buffers.
/// </summary>
public sealed class Tensor
{
    private readonly int[] _shape;

    private Tensor(DataType type, int[] shape, Array data)
    {
        Type = type;
        _shape = shape;
        Data = data;
    }

    /// <summary>The element type.</summary>
    public DataType Type { get; }

    /// <summary>The dimensions, outermost first. A scalar has rank 0.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements: the product of the dimensions (1 for a scalar).</summary>
    public long Length => Data.LongLength;

    /// <summary>The backing array; its element type is <see cref="DataTypes.ClrType"/>(<see cref="Type"/>).</summary>
    internal Array Data { get; }

    /// <summary>The elements as a span of their storage type.</summary>
    /// <exception cref="InvalidOperationException">When <typeparamref name="T"/> is not the storage type.</exception>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (Data is not T[] array)
            throw new InvalidOperationException($"This tensor holds {Type} ({Data.GetType().GetElementType()}), not {typeof(T)}.");
        return array;
    }

    /// <summary>The raw bytes of the elements, little-endian as in memory.</summary>
    public Span<byte> AsBytes() => MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(Data), checked((int)(Data.LongLength * DataTypes.SizeOf(Type))));

    /// <summary>Copies the shape into a new array.</summary>
    public int[] ShapeArray() => (int[])_shape.Clone();

    /// <summary>Wraps <paramref name="data"/> (not copied) as a tensor of <paramref name="shape"/>, typed after <typeparamref name="T"/>.</summary>
    public static Tensor Create<T>(T[] data, params ReadOnlySpan<int> shape) where T : unmanaged
        => Create(DataTypes.Of<T>(), data, shape);

    /// <summary>Wraps <paramref name="data"/> (not copied) as a tensor of <paramref name="type"/>; use for types that share storage (e.g. Int4 in sbyte).</summary>
    public static Tensor Create<T>(DataType type, T[] data, params ReadOnlySpan<int> shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        if (DataTypes.ClrType(type) != typeof(T))
            throw new ArgumentException($"{type} is stored as {DataTypes.ClrType(type)}, not {typeof(T)}.", nameof(data));
        long count = ElementCount(shape);
        if (count != data.LongLength)
            throw new ArgumentException($"Shape [{string.Join(",", shape.ToArray())}] holds {count} elements but the data has {data.LongLength}.", nameof(data));
        return new Tensor(type, shape.ToArray(), data);
    }

    /// <summary>A zero-filled tensor.</summary>
    public static Tensor Zeros(DataType type, params ReadOnlySpan<int> shape)
    {
        long count = ElementCount(shape);
        Array data = Array.CreateInstance(DataTypes.ClrType(type), count);
        return new Tensor(type, shape.ToArray(), data);
    }

    /// <summary>A copy of this tensor viewed with another shape of the same element count.</summary>
    public Tensor Reshape(params ReadOnlySpan<int> shape)
    {
        if (ElementCount(shape) != Length)
            throw new ArgumentException($"Cannot reshape {Length} elements to [{string.Join(",", shape.ToArray())}].", nameof(shape));
        return new Tensor(Type, shape.ToArray(), Data);
    }

    /// <summary>The product of the dimensions; throws on negative dimensions or overflow.</summary>
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension {d}.", nameof(shape));
            count = checked(count * d);
        }
        return count;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Type}[{string.Join(",", _shape)}]";
}
