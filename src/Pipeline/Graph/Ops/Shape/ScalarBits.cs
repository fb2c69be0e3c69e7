using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>A float attribute (a fill value) stored in the bits of another element type, for size-generic kernels.</summary>
internal static class ScalarBits
{
    /// <summary>The little-endian bits of <paramref name="value"/> converted to <paramref name="type"/>, in the low bytes of a ulong.</summary>
    public static ulong Encode(DataType type, double value, NodeIdentity node)
    {
        Tensor t = Tensor.Create(new[] { value }, 1);
        Tensor converted = Tensors.Numerics.ElementConversion.Convert(t, type);
        Span<byte> bytes = stackalloc byte[8];
        bytes.Clear();
        converted.AsBytes().CopyTo(bytes);
        return BitConverter.ToUInt64(bytes);
    }
}
