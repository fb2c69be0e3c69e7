namespace Pipeline.Tensors.Numerics;

/// <summary>bfloat16 (the top 16 bits of a float32), stored as its raw bits in a ushort.</summary>
internal static class BFloat16
{
    /// <summary>The float32 with these top bits.</summary>
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>The bits of the nearest bfloat16 (ties to even); NaN stays NaN.</summary>
    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
