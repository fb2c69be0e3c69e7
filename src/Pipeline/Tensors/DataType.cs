namespace Pipeline.Tensors;

/// <summary>
/// Element types of a <see cref="Tensor"/>. The numbering follows <c>onnx.TensorProto.DataType</c> so the ONNX
/// importer maps by value. Sub-byte types (4- and 2-bit) are stored unpacked, one element per byte.
/// </summary>
public enum DataType
{
    /// <summary>No type; never the type of a real tensor.</summary>
    Undefined = 0,
    /// <summary>IEEE 754 single precision.</summary>
    Float32 = 1,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    Bool = 9,
    /// <summary>IEEE 754 half precision.</summary>
    Float16 = 10,
    /// <summary>IEEE 754 double precision.</summary>
    Float64 = 11,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,
    /// <summary>Brain floating point, stored as its 16 raw bits.</summary>
    BFloat16 = 16,
    /// <summary>Unsigned 4-bit integer, one element per byte.</summary>
    UInt4 = 21,
    /// <summary>Signed 4-bit integer, one element per byte (sign-extended).</summary>
    Int4 = 22,
    /// <summary>4-bit float (1 sign, 2 exponent, 1 mantissa bit); the 4-bit code, one element per byte.</summary>
    Float4E2M1 = 23,
    /// <summary>Unsigned 2-bit integer, one element per byte.</summary>
    UInt2 = 25,
    /// <summary>Signed 2-bit integer, one element per byte (sign-extended).</summary>
    Int2 = 26,
}
