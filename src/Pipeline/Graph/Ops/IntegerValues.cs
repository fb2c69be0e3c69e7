using Pipeline.Tensors;

namespace Pipeline.Graph.Ops;

/// <summary>Reads the integer tensors that parameterize operators (shapes, axes, pads, indices known while planning).</summary>
internal static class IntegerValues
{
    /// <summary>The elements of an int64 or int32 tensor as longs; fails naming the node for any other type.</summary>
    public static long[] Read(Tensor tensor, NodeIdentity node, string what)
    {
        switch (tensor.Type)
        {
            case DataType.Int64:
                return tensor.AsSpan<long>().ToArray();
            case DataType.Int32:
            {
                ReadOnlySpan<int> s = tensor.AsSpan<int>();
                var r = new long[s.Length];
                for (int i = 0; i < s.Length; i++) r[i] = s[i];
                return r;
            }
            default:
                throw node.Fail($"{what} must be an int64 (or int32) tensor, got {tensor.Type}");
        }
    }

    /// <summary>Reads a 1-D (or scalar) integer tensor; fails for higher ranks.</summary>
    public static long[] ReadVector(Tensor tensor, NodeIdentity node, string what)
    {
        if (tensor.Rank > 1) throw node.Fail($"{what} must be a 1-D tensor, got shape {Axes.Format(tensor.Shape)}");
        return Read(tensor, node, what);
    }

    /// <summary>A shape given as longs, checked to be non-negative and to fit in int.</summary>
    public static int[] ToShape(ReadOnlySpan<long> dims, NodeIdentity node, string what)
    {
        var shape = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0 || dims[i] > int.MaxValue)
                throw node.Fail($"{what} has invalid dimension {dims[i]} in [{string.Join(",", dims.ToArray())}]");
            shape[i] = (int)dims[i];
        }
        CheckElementCount(shape, node, what);
        return shape;
    }

    /// <summary>Fails when the shape's element count overflows or exceeds what one buffer can hold.</summary>
    public static void CheckElementCount(ReadOnlySpan<int> shape, NodeIdentity node, string what)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d == 0) return;
            if (count > MaxElements / d) throw node.Fail($"{what} {Axes.Format(shape)} has more than {MaxElements} elements");
            count *= d;
        }
    }

    /// <summary>The most elements any one tensor may have (a guard against absurd shapes from hostile models).</summary>
    public const long MaxElements = 1L << 34;
}
