namespace Pipeline.Tensors.Numerics;

/// <summary>
/// Linear quantization of one element, as ONNX QuantizeLinear / DequantizeLinear and TFLite define it:
/// q = saturate(round_half_to_even(x / scale) + zero_point), x = (q − zero_point) · scale.
/// Shared by the QuantizeLinear/DequantizeLinear operators, QLinearConv and the TFLite importer.
/// </summary>
internal static class QuantizationMath
{
    /// <summary>True for the integer types a quantized tensor may have (8/16-bit and the unpacked 4/2-bit ones).</summary>
    public static bool IsQuantizedInteger(DataType type) => type is DataType.UInt8 or DataType.Int8 or DataType.UInt16
        or DataType.Int16 or DataType.UInt4 or DataType.Int4 or DataType.UInt2 or DataType.Int2;

    /// <summary>The representable range of a quantized integer type.</summary>
    public static (int Min, int Max) Range(DataType type) => type switch
    {
        DataType.UInt8 => (0, 255),
        DataType.Int8 => (-128, 127),
        DataType.UInt16 => (0, 65535),
        DataType.Int16 => (-32768, 32767),
        DataType.UInt4 => (0, 15),
        DataType.Int4 => (-8, 7),
        DataType.UInt2 => (0, 3),
        DataType.Int2 => (-2, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a quantized integer type."),
    };

    /// <summary>
    /// Quantizes <paramref name="x"/>: x / scale in float32 (as the reference does), rounded half to even, plus the
    /// zero point, clamped to [min, max]. NaN gives min (the reference's integer conversion of NaN, then clipping).
    /// </summary>
    public static int Quantize(float x, float scale, int zeroPoint, int min, int max)
    {
        float scaled = MathF.Round(x / scale, MidpointRounding.ToEven);
        if (float.IsNaN(scaled)) return min;
        double q = (double)scaled + zeroPoint;
        return q <= min ? min : q >= max ? max : (int)q;
    }

    /// <summary>Dequantizes <paramref name="q"/>: (q − zero point) · scale.</summary>
    public static float Dequantize(int q, float scale, int zeroPoint) => (q - zeroPoint) * scale;

    /// <summary>Quantizes a float to the E2M1 4-bit float code: x / scale, rounded to nearest even code, saturating.</summary>
    public static byte QuantizeFloat4(float x, float scale) => Float4E2M1.Encode(x / scale);

    /// <summary>Reads element <paramref name="index"/> of a quantized integer buffer as an int.</summary>
    public static unsafe int Read(DataType type, void* data, long index) => type switch
    {
        DataType.UInt8 or DataType.UInt4 or DataType.UInt2 => ((byte*)data)[index],
        DataType.Int8 or DataType.Int4 or DataType.Int2 => ((sbyte*)data)[index],
        DataType.UInt16 => ((ushort*)data)[index],
        DataType.Int16 => ((short*)data)[index],
        DataType.Int32 => ((int*)data)[index],
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a quantized integer type."),
    };

    /// <summary>Writes <paramref name="value"/> (already in range) as element <paramref name="index"/> of a quantized integer buffer.</summary>
    public static unsafe void Write(DataType type, void* data, long index, int value)
    {
        switch (type)
        {
            case DataType.UInt8 or DataType.UInt4 or DataType.UInt2: ((byte*)data)[index] = (byte)value; break;
            case DataType.Int8 or DataType.Int4 or DataType.Int2: ((sbyte*)data)[index] = (sbyte)value; break;
            case DataType.UInt16: ((ushort*)data)[index] = (ushort)value; break;
            case DataType.Int16: ((short*)data)[index] = (short)value; break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "Not a quantized integer type.");
        }
    }
}
