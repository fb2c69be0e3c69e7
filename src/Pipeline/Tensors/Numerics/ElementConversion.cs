using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Pipeline.Tensors.Numerics;

/// <summary>
/// Converts elements between any two <see cref="DataType"/>s with ONNX Cast semantics:
/// <list type="bullet">
/// <item>float → float rounds to nearest even (float16, bfloat16); float → E2M1 rounds to nearest even and saturates.</item>
/// <item>float → integer truncates toward zero (NaN gives 0), then keeps the target's low bits (numpy's wrap-around,
/// which the 2- and 4-bit types also follow); integer → integer keeps the low bits.</item>
/// <item>anything → bool is "not zero" (NaN is true); bool → number is 0 or 1.</item>
/// </list>
/// The common float pairs take vectorized paths; the rest go through double (floats) or long (integers) in blocks.
/// </summary>
internal static unsafe class ElementConversion
{
    private const int Block = 256;

    /// <summary>A new tensor holding <paramref name="source"/>'s elements converted to <paramref name="type"/>.</summary>
    public static Tensor Convert(Tensor source, DataType type)
    {
        Tensor result = Tensor.Zeros(type, source.ShapeArray());
        fixed (byte* s = source.AsBytes())
        fixed (byte* d = result.AsBytes())
            Convert(source.Type, s, type, d, source.Length);
        return result;
    }

    /// <summary>Converts <paramref name="count"/> elements from <paramref name="source"/> to <paramref name="destination"/> (distinct buffers).</summary>
    public static void Convert(DataType from, void* source, DataType to, void* destination, long count)
    {
        if (count == 0) return;
        if (from == to)
        {
            long bytes = count * DataTypes.SizeOf(from);
            Buffer.MemoryCopy(source, destination, bytes, bytes);
            return;
        }
        if (TryFast(from, source, to, destination, count)) return;

        bool floatSource = IsFloat(from);
        double* doubles = stackalloc double[Block];
        long* longs = stackalloc long[Block];
        for (long start = 0; start < count; start += Block)
        {
            int n = (int)Math.Min(Block, count - start);
            if (floatSource)
            {
                ReadFloats(from, source, start, n, doubles);
                WriteFromFloats(to, destination, start, n, doubles, longs);
            }
            else
            {
                ReadIntegers(from, source, start, n, longs);
                WriteFromIntegers(to, destination, start, n, longs, from == DataType.UInt64, doubles);
            }
        }
    }

    private static bool IsFloat(DataType t) => t is DataType.Float32 or DataType.Float64 or DataType.Float16 or DataType.BFloat16 or DataType.Float4E2M1;

    private static bool TryFast(DataType from, void* source, DataType to, void* destination, long count)
    {
        if (count > int.MaxValue) return false;
        int n = (int)count;
        switch (from, to)
        {
            case (DataType.Float32, DataType.Float16):
                TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(source, n), new Span<Half>(destination, n));
                return true;
            case (DataType.Float16, DataType.Float32):
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(source, n), new Span<float>(destination, n));
                return true;
            case (DataType.Float32, DataType.Float64):
                TensorPrimitives.ConvertTruncating(new ReadOnlySpan<float>(source, n), new Span<double>(destination, n));
                return true;
            case (DataType.Float64, DataType.Float32):
            {
                double* s = (double*)source;
                float* d = (float*)destination;
                for (int i = 0; i < n; i++) d[i] = (float)s[i];
                return true;
            }
            case (DataType.Int64, DataType.Int32):
                TensorPrimitives.ConvertTruncating(new ReadOnlySpan<long>(source, n), new Span<int>(destination, n));
                return true;
            case (DataType.Int32, DataType.Int64):
                TensorPrimitives.ConvertTruncating(new ReadOnlySpan<int>(source, n), new Span<long>(destination, n));
                return true;
            case (DataType.Int32, DataType.Float32):
                TensorPrimitives.ConvertTruncating(new ReadOnlySpan<int>(source, n), new Span<float>(destination, n));
                return true;
            case (DataType.UInt8, DataType.Float32):
                TensorPrimitives.ConvertTruncating(new ReadOnlySpan<byte>(source, n), new Span<float>(destination, n));
                return true;
            default:
                return false;
        }
    }

    private static void ReadFloats(DataType type, void* data, long start, int n, double* values)
    {
        switch (type)
        {
            case DataType.Float32: { float* s = (float*)data + start; for (int i = 0; i < n; i++) values[i] = s[i]; break; }
            case DataType.Float64: { double* s = (double*)data + start; for (int i = 0; i < n; i++) values[i] = s[i]; break; }
            case DataType.Float16: { Half* s = (Half*)data + start; for (int i = 0; i < n; i++) values[i] = (double)s[i]; break; }
            case DataType.BFloat16: { ushort* s = (ushort*)data + start; for (int i = 0; i < n; i++) values[i] = BFloat16.ToSingle(s[i]); break; }
            case DataType.Float4E2M1: { byte* s = (byte*)data + start; for (int i = 0; i < n; i++) values[i] = Float4E2M1.Decode(s[i]); break; }
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "Not a float type.");
        }
    }

    private static void ReadIntegers(DataType type, void* data, long start, int n, long* values)
    {
        switch (type)
        {
            case DataType.Int8 or DataType.Int4 or DataType.Int2: { sbyte* s = (sbyte*)data + start; for (int i = 0; i < n; i++) values[i] = s[i]; break; }
            case DataType.UInt8 or DataType.UInt4 or DataType.UInt2: { byte* s = (byte*)data + start; for (int i = 0; i < n; i++) values[i] = s[i]; break; }
            case DataType.Bool: { byte* s = (byte*)data + start; for (int i = 0; i < n; i++) values[i] = s[i] != 0 ? 1 : 0; break; }
            case DataType.Int16: { short* s = (short*)data + start; for (int i = 0; i < n; i++) values[i] = s[i]; break; }
            case DataType.UInt16: { ushort* s = (ushort*)data + start; for (int i = 0; i < n; i++) values[i] = s[i]; break; }
            case DataType.Int32: { int* s = (int*)data + start; for (int i = 0; i < n; i++) values[i] = s[i]; break; }
            case DataType.UInt32: { uint* s = (uint*)data + start; for (int i = 0; i < n; i++) values[i] = s[i]; break; }
            case DataType.Int64 or DataType.UInt64: { long* s = (long*)data + start; for (int i = 0; i < n; i++) values[i] = s[i]; break; }
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "Not an integer type.");
        }
    }

    private static void WriteFromFloats(DataType type, void* data, long start, int n, double* values, long* scratch)
    {
        switch (type)
        {
            case DataType.Float32: { float* d = (float*)data + start; for (int i = 0; i < n; i++) d[i] = (float)values[i]; return; }
            case DataType.Float64: { double* d = (double*)data + start; for (int i = 0; i < n; i++) d[i] = values[i]; return; }
            case DataType.Float16: { Half* d = (Half*)data + start; for (int i = 0; i < n; i++) d[i] = (Half)values[i]; return; }
            case DataType.BFloat16: { ushort* d = (ushort*)data + start; for (int i = 0; i < n; i++) d[i] = BFloat16.FromSingle((float)values[i]); return; }
            case DataType.Float4E2M1: { byte* d = (byte*)data + start; for (int i = 0; i < n; i++) d[i] = Float4E2M1.Encode(values[i]); return; }
            case DataType.Bool: { byte* d = (byte*)data + start; for (int i = 0; i < n; i++) d[i] = values[i] != 0 ? (byte)1 : (byte)0; return; }
        }
        // Float → integer: truncate toward zero (NaN → 0), then wrap to the target's width.
        for (int i = 0; i < n; i++)
        {
            double v = values[i];
            scratch[i] = double.IsNaN(v) ? 0
                : type == DataType.UInt64 && v >= 9223372036854775808.0 ? (long)(ulong)Math.Min(v, 18446744073709551615.0)
                : (long)Math.Truncate(v);
        }
        WriteIntegers(type, data, start, n, scratch);
    }

    private static void WriteFromIntegers(DataType type, void* data, long start, int n, long* values, bool unsigned64, double* scratch)
    {
        if (IsFloat(type))
        {
            for (int i = 0; i < n; i++) scratch[i] = unsigned64 ? (double)(ulong)values[i] : values[i];
            WriteFromFloats(type, data, start, n, scratch, values);
            return;
        }
        if (type == DataType.Bool)
        {
            byte* d = (byte*)data + start;
            for (int i = 0; i < n; i++) d[i] = values[i] != 0 ? (byte)1 : (byte)0;
            return;
        }
        WriteIntegers(type, data, start, n, values);
    }

    private static void WriteIntegers(DataType type, void* data, long start, int n, long* values)
    {
        switch (type)
        {
            case DataType.Int8: { sbyte* d = (sbyte*)data + start; for (int i = 0; i < n; i++) d[i] = (sbyte)values[i]; break; }
            case DataType.UInt8: { byte* d = (byte*)data + start; for (int i = 0; i < n; i++) d[i] = (byte)values[i]; break; }
            case DataType.Int4: { sbyte* d = (sbyte*)data + start; for (int i = 0; i < n; i++) d[i] = (sbyte)((sbyte)(values[i] << 4) >> 4); break; }
            case DataType.UInt4: { byte* d = (byte*)data + start; for (int i = 0; i < n; i++) d[i] = (byte)(values[i] & 0xF); break; }
            case DataType.Int2: { sbyte* d = (sbyte*)data + start; for (int i = 0; i < n; i++) d[i] = (sbyte)((sbyte)(values[i] << 6) >> 6); break; }
            case DataType.UInt2: { byte* d = (byte*)data + start; for (int i = 0; i < n; i++) d[i] = (byte)(values[i] & 0x3); break; }
            case DataType.Int16: { short* d = (short*)data + start; for (int i = 0; i < n; i++) d[i] = (short)values[i]; break; }
            case DataType.UInt16: { ushort* d = (ushort*)data + start; for (int i = 0; i < n; i++) d[i] = (ushort)values[i]; break; }
            case DataType.Int32: { int* d = (int*)data + start; for (int i = 0; i < n; i++) d[i] = (int)values[i]; break; }
            case DataType.UInt32: { uint* d = (uint*)data + start; for (int i = 0; i < n; i++) d[i] = (uint)values[i]; break; }
            case DataType.Int64 or DataType.UInt64: { long* d = (long*)data + start; for (int i = 0; i < n; i++) d[i] = values[i]; break; }
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "Not an integer type.");
        }
    }

    /// <summary>Reads element <paramref name="index"/> of any buffer as a double (for references and small host-side values).</summary>
    public static double ReadAsDouble(DataType type, ReadOnlySpan<byte> data, long index)
    {
        double result;
        fixed (byte* p = data)
        {
            if (IsFloat(type)) ReadFloats(type, p, index, 1, &result);
            else
            {
                long l;
                ReadIntegers(type, p, index, 1, &l);
                result = type == DataType.UInt64 ? (double)(ulong)l : l;
            }
        }
        return result;
    }

    /// <summary>The bytes of one element of <paramref name="type"/> holding <paramref name="value"/> converted by the rules above.</summary>
    public static void WriteFromDouble(DataType type, double value, Span<byte> destination)
    {
        long scratch;
        fixed (byte* p = destination)
            WriteFromFloats(type, p, 0, 1, &value, &scratch);
    }
}
