namespace Pipeline.Tensors;

/// <summary>Facts about each <see cref="DataType"/>: storage size and the CLR element type that holds it.</summary>
public static class DataTypes
{
    /// <summary>Bytes one element occupies in memory (sub-byte types are stored unpacked: 1).</summary>
    public static int SizeOf(DataType type) => type switch
    {
        DataType.Float32 or DataType.Int32 or DataType.UInt32 => 4,
        DataType.Int64 or DataType.UInt64 or DataType.Float64 => 8,
        DataType.Float16 or DataType.BFloat16 or DataType.Int16 or DataType.UInt16 => 2,
        DataType.UInt8 or DataType.Int8 or DataType.Bool or DataType.UInt4 or DataType.Int4
            or DataType.Float4E2M1 or DataType.UInt2 or DataType.Int2 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported data type."),
    };

    /// <summary>The CLR type used for storage: float, byte, sbyte, ushort, short, int, long, bool, Half, double, uint or ulong.</summary>
    public static Type ClrType(DataType type) => type switch
    {
        DataType.Float32 => typeof(float),
        DataType.UInt8 or DataType.UInt4 or DataType.Float4E2M1 or DataType.UInt2 => typeof(byte),
        DataType.Int8 or DataType.Int4 or DataType.Int2 => typeof(sbyte),
        DataType.UInt16 or DataType.BFloat16 => typeof(ushort),
        DataType.Int16 => typeof(short),
        DataType.Int32 => typeof(int),
        DataType.Int64 => typeof(long),
        DataType.Bool => typeof(bool),
        DataType.Float16 => typeof(Half),
        DataType.Float64 => typeof(double),
        DataType.UInt32 => typeof(uint),
        DataType.UInt64 => typeof(ulong),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported data type."),
    };

    /// <summary>True when <paramref name="type"/> is a known, storable element type.</summary>
    public static bool IsSupported(DataType type) => type is DataType.Float32 or DataType.UInt8 or DataType.Int8
        or DataType.UInt16 or DataType.Int16 or DataType.Int32 or DataType.Int64 or DataType.Bool or DataType.Float16
        or DataType.Float64 or DataType.UInt32 or DataType.UInt64 or DataType.BFloat16 or DataType.UInt4 or DataType.Int4
        or DataType.Float4E2M1 or DataType.UInt2 or DataType.Int2;

    /// <summary>The <see cref="DataType"/> whose storage is <typeparamref name="T"/> (the first, for shared storage types).</summary>
    public static DataType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DataType.Float32;
        if (typeof(T) == typeof(byte)) return DataType.UInt8;
        if (typeof(T) == typeof(sbyte)) return DataType.Int8;
        if (typeof(T) == typeof(ushort)) return DataType.UInt16;
        if (typeof(T) == typeof(short)) return DataType.Int16;
        if (typeof(T) == typeof(int)) return DataType.Int32;
        if (typeof(T) == typeof(long)) return DataType.Int64;
        if (typeof(T) == typeof(bool)) return DataType.Bool;
        if (typeof(T) == typeof(Half)) return DataType.Float16;
        if (typeof(T) == typeof(double)) return DataType.Float64;
        if (typeof(T) == typeof(uint)) return DataType.UInt32;
        if (typeof(T) == typeof(ulong)) return DataType.UInt64;
        throw new ArgumentException($"{typeof(T)} is not a tensor element type.");
    }
}
