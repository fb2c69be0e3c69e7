using Pipeline.Tensors;

namespace Pipeline.Graph.Tflite;

/// <summary>How a TFLite model is imported.</summary>
internal sealed record TfliteImportOptions
{
    /// <summary>
    /// After every operator whose output the file quantizes (uint8/int8 activations), round the float result to the
    /// file's quantization grid and back (QuantizeLinear then DequantizeLinear), imitating the integer kernels' output
    /// rounding. Measured on the shared uint8 MobileNetV2 against TFLite itself (LiteRT's XNNPACK kernels, same input
    /// bytes): with it, the 1001 scores of all three shared images are identical to TFLite's; without it they differ by
    /// up to 0.037 (cat: 0.783 instead of 0.746), with the same top-1. Off by default (<see cref="NetworkOptions.SimulateQuantization"/>):
    /// the float graph is faster (two fewer elementwise passes per operator) and keeps full precision for featurizers.
    /// </summary>
    public bool SimulateQuantization { get; init; }
}

/// <summary>
/// Reads a TFLite flatbuffer ("TFL3") into a <see cref="GraphModel"/> of ONNX-semantics operators: the first
/// subgraph's inputs, outputs and operators. TFLite is NHWC; the imported graph computes in NCHW like the ONNX
/// importer's, so:
/// <list type="bullet">
/// <item>graph inputs and outputs keep the file's names, types and NHWC shapes (a uint8 image input stays uint8,
/// followed by DequantizeLinear and a Transpose to NCHW); a quantized output comes out dequantized, as float32;</item>
/// <item>every other 4-D value named after a TFLite tensor is NCHW, so a tap at a feature map gives [N, C, H, W];</item>
/// <item>weights are transposed at load (OHWI → OIHW; depthwise 1HW(C·m) → (C·m)1HW with group C) and quantized weights
/// dequantized to float32 (see <see cref="TfliteConstants"/>);</item>
/// <item>fused activations become separate Relu/Clip/Tanh nodes, which the engine fuses back into the kernels.</item>
/// </list>
/// Unsupported builtin or custom operators (e.g. an Edge TPU op) fail with <see cref="InvalidModelException"/>
/// naming the operator index, its output tensor, the op name and its version.
/// </summary>
internal static class TfliteModelReader
{
    /// <summary>True when <paramref name="bytes"/> look like a TFLite flatbuffer (identifier "TFL3" at offset 4).</summary>
    public static bool IsTflite(ReadOnlySpan<byte> bytes)
        => bytes.Length >= 8 && bytes[4] == (byte)'T' && bytes[5] == (byte)'F' && bytes[6] == (byte)'L' && bytes[7] == (byte)'3';

    /// <summary>Parses and imports <paramref name="bytes"/>.</summary>
    public static GraphModel Read(byte[] bytes, string? file = null, TfliteImportOptions? options = null)
    {
        TfliteModel model = TfliteModel.Parse(new FlatBuffer(bytes, file));
        return new TfliteGraphBuilder(model, options ?? new TfliteImportOptions()).Build();
    }

    /// <summary>Imports <paramref name="bytes"/> and also returns the emitted nodes in ONNX terms (for exporting the graph as ONNX).</summary>
    public static (GraphModel Graph, IReadOnlyList<OnnxNodeSpec> Nodes) ReadWithNodes(byte[] bytes, string? file = null, TfliteImportOptions? options = null)
    {
        var builder = new TfliteGraphBuilder(TfliteModel.Parse(new FlatBuffer(bytes, file)), options ?? new TfliteImportOptions());
        GraphModel graph = builder.Build();
        return (graph, builder.Emitted);
    }

    /// <summary>Maps a TFLite element type of a graph input or output to the engine's.</summary>
    public static DataType? ToDataType(TfliteTensorType type) => type switch
    {
        TfliteTensorType.FLOAT32 => DataType.Float32,
        TfliteTensorType.UINT8 => DataType.UInt8,
        TfliteTensorType.INT8 => DataType.Int8,
        TfliteTensorType.INT16 => DataType.Int16,
        TfliteTensorType.INT32 => DataType.Int32,
        TfliteTensorType.INT64 => DataType.Int64,
        _ => null,
    };
}
