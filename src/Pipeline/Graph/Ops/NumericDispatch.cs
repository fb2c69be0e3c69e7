using System.Numerics;
using Pipeline.Tensors;

namespace Pipeline.Graph.Ops;

/// <summary>Builds something (usually a kernel) for one numeric element type chosen at run time.</summary>
internal interface INumericFactory<out TResult>
{
    /// <summary>Builds it for elements of type <typeparamref name="T"/>.</summary>
    TResult Create<T>() where T : unmanaged, INumber<T>;
}

/// <summary>
/// Maps a <see cref="DataType"/> to the generic instantiation that handles it, so an operator's math is written once
/// over <see cref="INumber{TSelf}"/> and the JIT specializes it per type.
/// </summary>
internal static class NumericDispatch
{
    /// <summary>True for the types with a native CLR number: floats (32, 64, 16 bit) and the 8- to 64-bit integers.</summary>
    public static bool IsNumeric(DataType type) => type is DataType.Float32 or DataType.Float64 or DataType.Float16
        or DataType.Int8 or DataType.UInt8 or DataType.Int16 or DataType.UInt16 or DataType.Int32 or DataType.UInt32
        or DataType.Int64 or DataType.UInt64;

    /// <summary>True for float32, float64 and float16.</summary>
    public static bool IsFloat(DataType type) => type is DataType.Float32 or DataType.Float64 or DataType.Float16;

    /// <summary>True for the 8- to 64-bit signed and unsigned integers.</summary>
    public static bool IsInteger(DataType type) => IsNumeric(type) && !IsFloat(type);

    /// <summary>Calls <paramref name="factory"/> with the CLR type of <paramref name="type"/>, which must be numeric.</summary>
    public static TResult Dispatch<TFactory, TResult>(DataType type, TFactory factory) where TFactory : INumericFactory<TResult>
        => type switch
        {
            DataType.Float32 => factory.Create<float>(),
            DataType.Float64 => factory.Create<double>(),
            DataType.Float16 => factory.Create<Half>(),
            DataType.Int8 => factory.Create<sbyte>(),
            DataType.UInt8 => factory.Create<byte>(),
            DataType.Int16 => factory.Create<short>(),
            DataType.UInt16 => factory.Create<ushort>(),
            DataType.Int32 => factory.Create<int>(),
            DataType.UInt32 => factory.Create<uint>(),
            DataType.Int64 => factory.Create<long>(),
            DataType.UInt64 => factory.Create<ulong>(),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a numeric element type."),
        };
}
