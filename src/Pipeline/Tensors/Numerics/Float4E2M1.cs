namespace Pipeline.Tensors.Numerics;

/// <summary>
/// The 4-bit float E2M1 (1 sign, 2 exponent, 1 mantissa bit, no inf/NaN), stored one code per byte. Magnitudes:
/// 0, 0.5, 1, 1.5, 2, 3, 4, 6. Encoding rounds to nearest, ties to the even code, and saturates at ±6.
/// </summary>
internal static class Float4E2M1
{
    private static readonly float[] Magnitudes = [0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f];

    /// <summary>The largest magnitude.</summary>
    public const float MaxValue = 6f;

    /// <summary>The value of a 4-bit code (bits above the low four are ignored).</summary>
    public static float Decode(byte code)
    {
        float magnitude = Magnitudes[code & 7];
        return (code & 8) != 0 ? -magnitude : magnitude;
    }

    /// <summary>
    /// The nearest code to <paramref name="value"/> (ties to even codes, saturating at ±6). NaN has no code; it maps
    /// to 0b1000 (negative zero), which is what the ONNX reference produces.
    /// </summary>
    public static byte Encode(double value)
    {
        if (double.IsNaN(value)) return 8;
        byte sign = (byte)(double.IsNegative(value) ? 8 : 0);
        double a = Math.Abs(value);
        // Midpoints between neighbours; at a tie the code with an even mantissa bit (0, 2, 4, 6) wins.
        byte code = a <= 0.25 ? (byte)0
            : a < 0.75 ? (byte)1
            : a <= 1.25 ? (byte)2
            : a < 1.75 ? (byte)3
            : a <= 2.5 ? (byte)4
            : a < 3.5 ? (byte)5
            : a <= 5 ? (byte)6
            : (byte)7;
        return (byte)(sign | code);
    }
}
