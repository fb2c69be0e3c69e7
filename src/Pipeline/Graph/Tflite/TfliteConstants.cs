using System.Buffers.Binary;
using Pipeline.Tensors;

namespace Pipeline.Graph.Tflite;

/// <summary>
/// Decodes constant tensors (weights, biases, shapes, axes) from their buffers, in the file's layout. Quantized
/// weights are dequantized here, once, at load: real = scale · (q − zero_point), per tensor or per axis
/// (<c>quantized_dimension</c>); int32 biases carry their own scale (input_scale · weight_scale, written by the
/// converter). The element count is checked against the buffer before anything is allocated.
/// </summary>
internal sealed class TfliteConstants(TfliteModel model)
{
    private readonly FlatBuffer _file = model.File;

    /// <summary>True when <paramref name="tensor"/> has data (a constant); buffer 0 and empty buffers mean "computed at run time".</summary>
    public bool HasData(TfliteTensor tensor)
        => tensor.Buffer > 0 && tensor.Buffer < model.Buffers.Length && model.Buffers[tensor.Buffer].Length > 0;

    /// <summary>The tensor's value as float32 in the file's layout, dequantized when quantized.</summary>
    public Tensor Float(TfliteTensor tensor, NodeIdentity node)
    {
        ReadOnlySpan<byte> bytes = Bytes(tensor, node, out long count);
        // Charged by the bytes read, so a buffer shared by many tensors counts each time it is decoded.
        _file.Charge(bytes.Length, tensor.ToString(), model.Buffers[tensor.Buffer].Start);
        var values = new float[count];
        switch (tensor.Type)
        {
            case TfliteTensorType.FLOAT32:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case TfliteTensorType.FLOAT16:
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                break;
            case TfliteTensorType.UINT8:
            case TfliteTensorType.INT8:
            case TfliteTensorType.INT16:
            case TfliteTensorType.INT32:
                if (tensor.IsQuantized) Dequantize(tensor, bytes, values, node);
                else ToFloats(tensor.Type, bytes, 0, values, zero: 0, scale: 1);
                break;
            default:
                throw node.Fail($"{tensor} is a constant of type {tensor.Type}, which is not supported as a float operand");
        }
        return Tensor.Create(values, tensor.Shape);
    }

    /// <summary>The tensor's value as integers (a shape, axes or paddings), from INT32 or INT64 data.</summary>
    public long[] Integers(TfliteTensor tensor, NodeIdentity node)
    {
        if (tensor.Type is not (TfliteTensorType.INT32 or TfliteTensorType.INT64))
            throw node.Fail($"{tensor} must be INT32 or INT64, not {tensor.Type}");
        ReadOnlySpan<byte> bytes = Bytes(tensor, node, out long count);
        var values = new long[count];
        for (int i = 0; i < values.Length; i++)
            values[i] = tensor.Type == TfliteTensorType.INT32
                ? BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..])
                : BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]);
        return values;
    }

    /// <summary>Bytes per element of the types a constant may have; 0 for the others.</summary>
    public static int ElementSize(TfliteTensorType type) => type switch
    {
        TfliteTensorType.FLOAT32 or TfliteTensorType.INT32 or TfliteTensorType.UINT32 => 4,
        TfliteTensorType.FLOAT16 or TfliteTensorType.INT16 or TfliteTensorType.UINT16 => 2,
        TfliteTensorType.UINT8 or TfliteTensorType.INT8 or TfliteTensorType.BOOL => 1,
        TfliteTensorType.INT64 or TfliteTensorType.FLOAT64 or TfliteTensorType.UINT64 => 8,
        _ => 0,
    };

    private ReadOnlySpan<byte> Bytes(TfliteTensor tensor, NodeIdentity node, out long count)
    {
        if (tensor.IsSparse) throw node.Fail($"{tensor} is a sparse constant, which is not supported");
        if (!HasData(tensor)) throw node.Fail($"{tensor} must be a constant but has no data");
        int size = ElementSize(tensor.Type);
        if (size == 0) throw node.Fail($"{tensor} is a constant of type {tensor.Type}, which is not supported");
        count = Compilation.MemoryBudget.ElementCount(tensor.Shape);
        TfliteBuffer buffer = model.Buffers[tensor.Buffer];
        if (count > Array.MaxLength || count * size != buffer.Length)
            throw node.Fail($"{tensor} declares shape [{string.Join(",", tensor.Shape)}] of {tensor.Type} ({(count > Array.MaxLength ? "too many" : (count * size).ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes) but its buffer {tensor.Buffer} holds {buffer.Length} bytes");
        return _file.Slice(buffer.Start, buffer.Length, $"buffer {tensor.Buffer}");
    }

    /// <summary>
    /// Widens stored integers [<paramref name="start"/>, <paramref name="start"/> + destination length) of a UINT8, INT8,
    /// INT16 or INT32 buffer (one loop per type: weights are megabytes).
    /// </summary>
    private static void Widen(TfliteTensorType type, ReadOnlySpan<byte> bytes, int start, Span<int> destination)
    {
        switch (type)
        {
            case TfliteTensorType.UINT8:
                ReadOnlySpan<byte> u8 = bytes.Slice(start, destination.Length);
                for (int i = 0; i < destination.Length; i++) destination[i] = u8[i];
                break;
            case TfliteTensorType.INT8:
                ReadOnlySpan<byte> s8 = bytes.Slice(start, destination.Length);
                for (int i = 0; i < destination.Length; i++) destination[i] = (sbyte)s8[i];
                break;
            case TfliteTensorType.INT16:
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes.Slice(2 * (start + i), 2));
                break;
            default:
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(4 * (start + i), 4));
                break;
        }
    }

    /// <summary>
    /// Stored integers [<paramref name="start"/>, <paramref name="start"/> + destination length) as (q − zero)·scale,
    /// widened a chunk at a time: a whole-tensor int[] would be another copy of the weights to fault in.
    /// </summary>
    private static void ToFloats(TfliteTensorType type, ReadOnlySpan<byte> bytes, int start, Span<float> destination, long zero, double scale)
    {
        Span<int> raw = stackalloc int[1024];
        for (int k = 0; k < destination.Length; k += raw.Length)
        {
            Span<int> chunk = raw[..Math.Min(raw.Length, destination.Length - k)];
            Widen(type, bytes, start + k, chunk);
            for (int j = 0; j < chunk.Length; j++) destination[k + j] = (float)((chunk[j] - zero) * scale);
        }
    }

    private static void Dequantize(TfliteTensor tensor, ReadOnlySpan<byte> bytes, float[] values, NodeIdentity node)
    {
        TfliteQuantization q = tensor.Quantization!;
        int channels = q.Scale.Length;
        int inner = 1, axisLength = 1;
        if (channels > 1)
        {
            int axis = q.QuantizedDimension;
            if (axis < 0 || axis >= tensor.Shape.Length || tensor.Shape[axis] != channels)
                throw node.Fail($"{tensor} has {channels} scales but quantized_dimension {axis} of shape [{string.Join(",", tensor.Shape)}] does not have that length");
            axisLength = channels;
            for (int d = axis + 1; d < tensor.Shape.Length; d++) inner *= tensor.Shape[d];
        }
        if (q.ZeroPoint.Length > 1 && q.ZeroPoint.Length != channels)
            throw node.Fail($"{tensor} has {q.ZeroPoint.Length} zero points for {channels} scales");

        for (int c = 0; c < channels; c++)
        {
            float scale = q.Scale[c];
            if (!float.IsFinite(scale)) throw node.Fail($"{tensor} has a non-finite scale {scale}");
        }

        // Row-major blocks: [outer][axis][inner], one scale and zero point per axis index; one scale is one long row.
        if (channels <= 1) inner = values.Length;
        int block = axisLength * inner;
        int outer = block == 0 ? 0 : values.Length / block;
        for (int o = 0, i = 0; o < outer; o++)
            for (int c = 0; c < axisLength; c++, i += inner)
                ToFloats(tensor.Type, bytes, i, values.AsSpan(i, inner), q.ZeroPoint.Length == 0 ? 0 : q.ZeroPoint[q.ZeroPoint.Length > 1 ? c : 0], q.Scale[channels > 1 ? c : 0]);
    }
}
