using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Pipeline.Training.Numerics;

namespace Pipeline.Training.Heads;

/// <summary>
/// The head weights entry of a model package. Little-endian throughout; version 1:
/// <code>
///   offset  size       field
///   0       4          magic "PLHD"
///   4       4          format version (1)
///   8       4          kind: 0 logistic, 1 mlp
///   12      4          flags: bit 0 = standardized (no other bit is defined)
///   16      4          S = number of layer sizes (2 for logistic, 2–4 for the MLP)
///   20      4·S        layer sizes: d, hidden…, k
///   …       4·d, 4·d   mean, then scale (only when standardized)
///   …       4·P        parameters, float32, in <see cref="DenseLayout"/> order (W_l row-major then b_l, per layer)
///   end−32  32         SHA-256 of every preceding byte
/// </code>
/// Version history: 1 — first version.
/// Reading checks every field and the total length before allocating, so a hostile entry costs nothing; every
/// problem is an <see cref="InvalidDataException"/> naming the field, the value and a hint.
/// </summary>
internal static class HeadFormat
{
    private const uint Magic = 0x44484C50; // "PLHD" read as a little-endian uint32
    private const int HeaderFixedBytes = 20;
    private const int HashBytes = 32;
    private const int MaxDimension = 1 << 24, MaxClasses = 1 << 20, MaxHidden = 1 << 16;

    public static byte[] Write(HeadModel model)
    {
        DenseLayout layout = model.Layout;
        int sizes = layout.Sizes.Length;
        long length = HeaderFixedBytes + 4L * sizes + (model.Standardized ? 8L * layout.InputSize : 0) + 4L * layout.ParameterCount + HashBytes;
        var bytes = new byte[length];
        Span<byte> span = bytes;
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], HeadSpec.CurrentWeightsFormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], (int)model.Kind);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], model.Standardized ? 1 : 0);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], sizes);
        int offset = HeaderFixedBytes;
        foreach (int size in layout.Sizes)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], size);
            offset += 4;
        }
        if (model.Standardized)
        {
            offset = WriteFloats(span, offset, model.Mean);
            offset = WriteFloats(span, offset, model.Scale);
        }
        offset = WriteFloats(span, offset, model.Parameters);
        SHA256.HashData(span[..offset], span[offset..]);
        return bytes;
    }

    public static HeadModel Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderFixedBytes + HashBytes) Fail("length", bytes.Length, $"shorter than the smallest possible entry ({HeaderFixedBytes + HashBytes} bytes)", "the entry is truncated");
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        if (magic != Magic) Fail("magic", $"0x{magic:X8}", "not \"PLHD\"", "this is not a head weights entry");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        if (version > HeadSpec.CurrentWeightsFormatVersion)
            Fail("version", version, $"newer than the newest version this library reads ({HeadSpec.CurrentWeightsFormatVersion})", "it was written by a newer version of Pipeline: upgrade the library to load it");
        if (version < 1) Fail("version", version, "not a valid version", "the entry is corrupt");
        int kindValue = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        if (kindValue is not (0 or 1)) Fail("kind", kindValue, "neither 0 (logistic) nor 1 (mlp)", "the entry is corrupt");
        var kind = (HeadKind)kindValue;
        int flags = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        if ((flags & ~1) != 0) Fail("flags", $"0x{flags:X}", "has undefined bits", "the entry is corrupt or from a newer version");
        bool standardized = (flags & 1) != 0;
        int sizeCount = BinaryPrimitives.ReadInt32LittleEndian(bytes[16..]);
        if (kind == HeadKind.Logistic ? sizeCount != 2 : sizeCount is < 2 or > 4)
            Fail("layer count", sizeCount, kind == HeadKind.Logistic ? "logistic regression has exactly 2 layer sizes" : "an MLP has 2 to 4 layer sizes", "the entry is corrupt");
        if (bytes.Length < HeaderFixedBytes + 4 * sizeCount + HashBytes) Fail("length", bytes.Length, "too short for its layer sizes", "the entry is truncated");
        var sizes = new int[sizeCount];
        long parameterCount = 0;
        for (int s = 0; s < sizeCount; s++)
        {
            sizes[s] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(HeaderFixedBytes + 4 * s)..]);
            int max = s == 0 ? MaxDimension : s == sizeCount - 1 ? MaxClasses : MaxHidden;
            if (sizes[s] < 1 || sizes[s] > max) Fail($"layer size {s}", sizes[s], $"outside [1, {max}]", "the entry is corrupt");
            if (s > 0) parameterCount += (long)sizes[s] * sizes[s - 1] + sizes[s];
        }
        long expected = HeaderFixedBytes + 4L * sizeCount + (standardized ? 8L * sizes[0] : 0) + 4 * parameterCount + HashBytes;
        if (bytes.Length != expected)
            Fail("length", bytes.Length, $"the header describes an entry of {expected} bytes", "the entry is truncated or has trailing bytes");
        int body = bytes.Length - HashBytes;
        Span<byte> hash = stackalloc byte[HashBytes];
        SHA256.HashData(bytes[..body], hash);
        if (!hash.SequenceEqual(bytes[body..])) Fail("checksum", Convert.ToHexString(bytes[body..]), "does not match the content", "the entry is corrupt");

        var layout = new DenseLayout(sizes);
        int offset = HeaderFixedBytes + 4 * sizeCount;
        float[]? mean = null, scale = null;
        if (standardized)
        {
            mean = ReadFloats(bytes, ref offset, sizes[0], "mean");
            scale = ReadFloats(bytes, ref offset, sizes[0], "scale");
        }
        float[] parameters = ReadFloats(bytes, ref offset, layout.ParameterCount, "parameters");
        return new HeadModel(kind, layout, parameters, mean, scale);
    }

    private static int WriteFloats(Span<byte> destination, int offset, ReadOnlySpan<float> values)
    {
        Span<byte> target = destination.Slice(offset, values.Length * 4);
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(values).CopyTo(target);
        else for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(target[(4 * i)..], values[i]);
        return offset + target.Length;
    }

    private static float[] ReadFloats(ReadOnlySpan<byte> source, ref int offset, int count, string field)
    {
        var values = new float[count];
        ReadOnlySpan<byte> bytes = source.Slice(offset, count * 4);
        if (BitConverter.IsLittleEndian) bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        else for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        for (int i = 0; i < count; i++)
            if (!float.IsFinite(values[i])) Fail($"{field}[{i}]", values[i], "not finite", "the entry is corrupt");
        offset += count * 4;
        return values;
    }

    private static void Fail(string field, object value, string problem, string hint)
        => throw new InvalidDataException($"Head weights: {field} = {value}: {problem}; {hint}.");
}
