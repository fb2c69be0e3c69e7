using System.Globalization;
using Pipeline.Tensors;

namespace Pipeline.Graph.Conformance;

/// <summary>How close an actual float value must be to the expected one: |actual − expected| ≤ Absolute + Relative·|expected|.</summary>
internal readonly record struct Tolerance(double Relative, double Absolute)
{
    /// <summary>The project's bar for the single-operator cases: rtol 1e-3, atol 1e-4.</summary>
    public static Tolerance NodeCases => new(1e-3, 1e-4);

    /// <summary>The ONNX suite's own bar for whole models: rtol 1e-3, atol 1e-7.</summary>
    public static Tolerance ModelCases => new(1e-3, 1e-7);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"rtol {Relative:g}, atol {Absolute:g}");
}

/// <summary>The outcome of comparing one tensor with its reference.</summary>
internal sealed record Comparison(bool Passed, double MaxAbsError, double MaxRelError, string? Mismatch);

/// <summary>
/// Compares a computed tensor with a reference the way the ONNX backend tests do: same type and shape; floats within
/// a <see cref="Tolerance"/>, NaN matching NaN and infinities matching themselves; integers and booleans exactly.
/// </summary>
internal static class TensorComparison
{
    public static Comparison Compare(Tensor expected, Tensor actual, Tolerance tolerance)
    {
        if (expected.Type != actual.Type)
            return new Comparison(false, double.NaN, double.NaN, $"type is {actual.Type}, expected {expected.Type}");
        if (!expected.Shape.SequenceEqual(actual.Shape))
            return new Comparison(false, double.NaN, double.NaN,
                $"shape is [{string.Join(",", actual.ShapeArray())}], expected [{string.Join(",", expected.ShapeArray())}]");

        bool exact = !IsFloat(expected.Type);
        double maxAbs = 0, maxRel = 0;
        string? mismatch = null;
        for (long i = 0; i < expected.Length; i++)
        {
            double e = ElementAsDouble(expected, i), a = ElementAsDouble(actual, i);
            bool ok;
            if (double.IsNaN(e) || double.IsNaN(a)) ok = double.IsNaN(e) && double.IsNaN(a);
            else if (double.IsInfinity(e) || double.IsInfinity(a)) ok = e == a;
            else
            {
                double abs = Math.Abs(a - e);
                maxAbs = Math.Max(maxAbs, abs);
                if (e != 0) maxRel = Math.Max(maxRel, abs / Math.Abs(e));
                ok = exact ? a == e : abs <= tolerance.Absolute + tolerance.Relative * Math.Abs(e);
            }
            if (!ok && mismatch is null)
                mismatch = string.Create(CultureInfo.InvariantCulture, $"element {i}: got {a:g9}, expected {e:g9}");
        }
        return new Comparison(mismatch is null, maxAbs, maxRel, mismatch);
    }

    private static bool IsFloat(DataType type) => type is DataType.Float32 or DataType.Float64 or DataType.Float16 or DataType.BFloat16;

    /// <summary>Element <paramref name="i"/> as a double (bfloat16 from its bits, bool as 0/1, 4-bit floats decoded).</summary>
    public static double ElementAsDouble(Tensor t, long i) => t.Type switch
    {
        DataType.Float32 => t.AsSpan<float>()[(int)i],
        DataType.Float64 => t.AsSpan<double>()[(int)i],
        DataType.Float16 => (double)t.AsSpan<Half>()[(int)i],
        DataType.BFloat16 => BitConverter.Int32BitsToSingle(t.AsSpan<ushort>()[(int)i] << 16),
        DataType.UInt8 or DataType.UInt4 or DataType.UInt2 => t.AsSpan<byte>()[(int)i],
        DataType.Float4E2M1 => Float4E2M1(t.AsSpan<byte>()[(int)i]),
        DataType.Int8 or DataType.Int4 or DataType.Int2 => t.AsSpan<sbyte>()[(int)i],
        DataType.UInt16 => t.AsSpan<ushort>()[(int)i],
        DataType.Int16 => t.AsSpan<short>()[(int)i],
        DataType.Int32 => t.AsSpan<int>()[(int)i],
        DataType.UInt32 => t.AsSpan<uint>()[(int)i],
        DataType.Int64 => t.AsSpan<long>()[(int)i],
        DataType.UInt64 => t.AsSpan<ulong>()[(int)i],
        DataType.Bool => t.AsSpan<bool>()[(int)i] ? 1 : 0,
        _ => throw new NotSupportedException($"Cannot compare {t.Type}."),
    };

    /// <summary>The value of a 4-bit E2M1 code (1 sign, 2 exponent with bias 1, 1 mantissa bit; no inf or NaN).</summary>
    private static double Float4E2M1(byte code)
    {
        int sign = (code >> 3) & 1, exponent = (code >> 1) & 3, mantissa = code & 1;
        double magnitude = exponent == 0 ? mantissa * 0.5 : (1 + mantissa * 0.5) * Math.Pow(2, exponent - 1);
        return sign == 1 ? -magnitude : magnitude;
    }
}
