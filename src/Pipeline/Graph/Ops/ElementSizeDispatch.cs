using Pipeline.Tensors;

namespace Pipeline.Graph.Ops;

/// <summary>Builds something for an element of a given byte size, whatever its type (data movement ignores the meaning of bits).</summary>
internal interface IElementFactory<out TResult>
{
    /// <summary>Builds it for elements stored as <typeparamref name="T"/> (byte, ushort, uint or ulong).</summary>
    TResult Create<T>() where T : unmanaged;
}

/// <summary>
/// Picks the unsigned integer type of an element's size, so that copy, gather, transpose and pad kernels are written
/// once and specialized for 1-, 2-, 4- and 8-byte elements.
/// </summary>
internal static class ElementSizeDispatch
{
    /// <summary>Calls <paramref name="factory"/> with the storage type of <paramref name="type"/>'s size.</summary>
    public static TResult Dispatch<TFactory, TResult>(DataType type, TFactory factory) where TFactory : IElementFactory<TResult>
        => DataTypes.SizeOf(type) switch
        {
            1 => factory.Create<byte>(),
            2 => factory.Create<ushort>(),
            4 => factory.Create<uint>(),
            _ => factory.Create<ulong>(),
        };
}
