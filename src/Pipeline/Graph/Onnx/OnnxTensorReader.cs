using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Pipeline.Graph.Onnx.Proto;
using Pipeline.Tensors;

namespace Pipeline.Graph.Onnx;

/// <summary>
/// Turns a serialized <c>onnx.TensorProto</c> into a <see cref="Tensor"/>. The declared shape is checked against the
/// data actually present before anything is allocated, so a hostile file cannot make the reader allocate more than
/// the bytes it contains (plus the element-size expansion of the typed fields).
/// <para>
/// Encodings (onnx.proto): raw_data is little-endian fixed width; int32_data carries int8/16, uint8/16, bool and the
/// bit patterns of float16/bfloat16; 4-bit types are packed two per byte (first element in the low nibble) and 2-bit
/// types four per byte (first element in the lowest two bits), in raw_data and in int32_data alike.
/// </para>
/// </summary>
internal static class OnnxTensorReader
{
    /// <summary>The largest rank accepted; real models stay far below it.</summary>
    public const int MaxRank = 32;

    /// <summary>Reads <paramref name="proto"/>; <paramref name="what"/> names it in errors (e.g. "initializer 'W'").</summary>
    public static Tensor Read(TensorProto proto, string what, string? file = null, NodeIdentity? node = null)
    {
        InvalidModelException Fail(string reason) => node is { } n ? n.Fail($"{what}: {reason}") : new InvalidModelException($"{what}: {reason}", file);

        if (proto.Segment is not null) throw Fail("segmented tensors (TensorProto.segment) are not supported");
        if (proto.ExternalData.Count > 0 || (proto.HasDataLocation && proto.DataLocation == TensorProto.Types.DataLocation.External))
        {
            string location = proto.ExternalData.FirstOrDefault(e => e.Key == "location")?.Value ?? "?";
            throw Fail($"its data is stored in an external file ('{location}'), which is not supported; embed the weights in the .onnx file");
        }

        DataType type = ToDataType(proto.DataType, Fail);
        int[] shape = ReadShape(proto.Dims, Fail, out long count);

        int fields = (proto.HasRawData ? 1 : 0) + (proto.FloatData.Count > 0 ? 1 : 0) + (proto.Int32Data.Count > 0 ? 1 : 0)
            + (proto.Int64Data.Count > 0 ? 1 : 0) + (proto.DoubleData.Count > 0 ? 1 : 0) + (proto.Uint64Data.Count > 0 ? 1 : 0)
            + (proto.StringData.Count > 0 ? 1 : 0);
        if (fields > 1) throw Fail("more than one data field is set");
        if (proto.StringData.Count > 0) throw Fail("string data is not supported");

        if (proto.HasRawData)
        {
            ReadOnlySpan<byte> raw = proto.RawData.Span;
            long expected = PackedByteCount(type, count);
            if (raw.Length != expected)
                throw Fail($"declares shape [{string.Join(",", shape)}] of {type} ({expected} bytes) but raw_data holds {raw.Length} bytes");
            return FromRaw(type, shape, count, raw);
        }

        if (count == 0) return Tensor.Zeros(type, shape);
        if (fields == 0) throw Fail($"declares shape [{string.Join(",", shape)}] of {type} but carries no data");

        switch (type)
        {
            case DataType.Float32:
                RequireCount(proto.FloatData.Count, count, "float_data", shape, Fail);
                return Tensor.Create(ToArray(proto.FloatData), shape);
            case DataType.Float64:
                RequireCount(proto.DoubleData.Count, count, "double_data", shape, Fail);
                return Tensor.Create(ToArray(proto.DoubleData), shape);
            case DataType.Int64:
                RequireCount(proto.Int64Data.Count, count, "int64_data", shape, Fail);
                return Tensor.Create(ToArray(proto.Int64Data), shape);
            case DataType.UInt64:
            {
                RequireCount(proto.Uint64Data.Count, count, "uint64_data", shape, Fail);
                return Tensor.Create(ToArray(proto.Uint64Data), shape);
            }
            case DataType.UInt32:
            {
                RequireCount(proto.Uint64Data.Count, count, "uint64_data", shape, Fail);
                var data = new uint[count];
                for (int i = 0; i < data.Length; i++) data[i] = unchecked((uint)proto.Uint64Data[i]);
                return Tensor.Create(data, shape);
            }
            default:
                return FromInt32Data(type, shape, count, proto.Int32Data, Fail);
        }
    }

    /// <summary>Bytes the raw encoding of <paramref name="count"/> elements occupies (sub-byte types packed).</summary>
    public static long PackedByteCount(DataType type, long count) => type switch
    {
        DataType.Int4 or DataType.UInt4 or DataType.Float4E2M1 => (count + 1) / 2,
        DataType.Int2 or DataType.UInt2 => (count + 3) / 4,
        _ => count * DataTypes.SizeOf(type),
    };

    /// <summary>Maps an ONNX element type number; unsupported and unknown ones fail with their name.</summary>
    public static DataType ToDataType(int onnxType, Func<string, InvalidModelException> fail)
    {
        var type = (DataType)onnxType;
        if (onnxType != 0 && DataTypes.IsSupported(type)) return type;
        string name = Enum.IsDefined(typeof(TensorProto.Types.DataType), onnxType)
            ? ((TensorProto.Types.DataType)onnxType).ToString().ToUpperInvariant() : "unknown";
        throw fail($"element type {name} ({onnxType}) is not supported");
    }

    private static int[] ReadShape(IList<long> dims, Func<string, InvalidModelException> fail, out long count)
    {
        if (dims.Count > MaxRank) throw fail($"rank {dims.Count} is above the supported maximum of {MaxRank}");
        var shape = new int[dims.Count];
        // The product of the non-zero dimensions must fit a tensor even when a zero makes the tensor empty: the
        // shape itself must stay computable without overflow wherever it travels.
        long product = 1;
        bool empty = false;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = dims[i];
            if (d < 0 || d > int.MaxValue) throw fail($"dimension {i} is {d}, outside [0, {int.MaxValue}]");
            shape[i] = (int)d;
            if (d == 0) empty = true;
            else if ((product *= d) > Array.MaxLength)
                throw fail($"shape [{string.Join(",", dims)}] has more elements than a tensor can hold");
        }
        count = empty ? 0 : product;
        return shape;
    }

    private static void RequireCount(int present, long expected, string field, int[] shape, Func<string, InvalidModelException> fail)
    {
        if (present != expected)
            throw fail($"declares shape [{string.Join(",", shape)}] ({expected} elements) but {field} holds {present}");
    }

    private static T[] ToArray<T>(Google.Protobuf.Collections.RepeatedField<T> field)
    {
        var data = new T[field.Count];
        field.CopyTo(data, 0);
        return data;
    }

    private static Tensor FromRaw(DataType type, int[] shape, long count, ReadOnlySpan<byte> raw)
    {
        Tensor tensor = Tensor.Zeros(type, shape);
        if (count == 0) return tensor;
        Span<byte> bytes = tensor.AsBytes();
        switch (type)
        {
            case DataType.Int4: case DataType.UInt4: case DataType.Float4E2M1:
                for (int i = 0; i < bytes.Length; i++)
                {
                    int nibble = (raw[i >> 1] >> ((i & 1) * 4)) & 0xF;
                    bytes[i] = (byte)(type == DataType.Int4 ? (sbyte)(nibble << 4) >> 4 : nibble);
                }
                break;
            case DataType.Int2: case DataType.UInt2:
                for (int i = 0; i < bytes.Length; i++)
                {
                    int bits = (raw[i >> 2] >> ((i & 3) * 2)) & 0x3;
                    bytes[i] = (byte)(type == DataType.Int2 ? (sbyte)(bits << 6) >> 6 : bits);
                }
                break;
            case DataType.Bool:
                for (int i = 0; i < bytes.Length; i++) bytes[i] = raw[i] != 0 ? (byte)1 : (byte)0;
                break;
            default:
                raw.CopyTo(bytes);
                if (!BitConverter.IsLittleEndian) ReverseEndianness(type, bytes);
                break;
        }
        return tensor;
    }

    private static void ReverseEndianness(DataType type, Span<byte> bytes)
    {
        switch (DataTypes.SizeOf(type))
        {
            case 2: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(bytes), MemoryMarshal.Cast<byte, ushort>(bytes)); break;
            case 4: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(bytes), MemoryMarshal.Cast<byte, uint>(bytes)); break;
            case 8: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(bytes), MemoryMarshal.Cast<byte, ulong>(bytes)); break;
        }
    }

    private static Tensor FromInt32Data(DataType type, int[] shape, long count, IList<int> values, Func<string, InvalidModelException> fail)
    {
        switch (type)
        {
            case DataType.Int4: case DataType.UInt4: case DataType.Float4E2M1: case DataType.Int2: case DataType.UInt2:
            {
                // Packed like raw_data, one packed byte per int32.
                long packed = PackedByteCount(type, count);
                if (values.Count != packed)
                    throw fail($"declares shape [{string.Join(",", shape)}] of {type} ({packed} packed bytes) but int32_data holds {values.Count}");
                var raw = new byte[packed];
                for (int i = 0; i < raw.Length; i++) raw[i] = unchecked((byte)values[i]);
                return FromRaw(type, shape, count, raw);
            }
        }

        RequireCount(values.Count, count, "int32_data", shape, fail);
        Tensor tensor = Tensor.Zeros(type, shape);
        switch (type)
        {
            case DataType.Int32: { Span<int> d = tensor.AsSpan<int>(); for (int i = 0; i < d.Length; i++) d[i] = values[i]; break; }
            case DataType.Int16: { Span<short> d = tensor.AsSpan<short>(); for (int i = 0; i < d.Length; i++) d[i] = unchecked((short)values[i]); break; }
            case DataType.UInt16: case DataType.BFloat16: { Span<ushort> d = tensor.AsSpan<ushort>(); for (int i = 0; i < d.Length; i++) d[i] = unchecked((ushort)values[i]); break; }
            case DataType.Float16: { Span<Half> d = tensor.AsSpan<Half>(); for (int i = 0; i < d.Length; i++) d[i] = BitConverter.UInt16BitsToHalf(unchecked((ushort)values[i])); break; }
            case DataType.Int8: { Span<sbyte> d = tensor.AsSpan<sbyte>(); for (int i = 0; i < d.Length; i++) d[i] = unchecked((sbyte)values[i]); break; }
            case DataType.UInt8: { Span<byte> d = tensor.AsSpan<byte>(); for (int i = 0; i < d.Length; i++) d[i] = unchecked((byte)values[i]); break; }
            case DataType.Bool: { Span<bool> d = tensor.AsSpan<bool>(); for (int i = 0; i < d.Length; i++) d[i] = values[i] != 0; break; }
            default: throw fail($"{type} data cannot be stored in int32_data");
        }
        return tensor;
    }
}
