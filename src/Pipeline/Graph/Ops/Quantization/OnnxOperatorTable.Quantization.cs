using Pipeline.Graph.Ops.Quantization;
using Pipeline.Tensors;

namespace Pipeline.Graph.Onnx;

// Quantization: QuantizeLinear, DequantizeLinear.
internal static partial class OnnxOperatorTable
{
    static partial void RegisterQuantization(Dictionary<string, OnnxOperatorFactory> table)
    {
        table["QuantizeLinear"] = QuantizeLinear;
        table["DequantizeLinear"] = DequantizeLinear;
    }

    // Opset 10 is per-tensor only; 13 adds axis (default 1); 21 adds block_size and output_dtype. The float8 types of
    // opset 19+ (and their saturate flag) are not supported; `precision` (23+) is computed in float32.
    private static Operator QuantizeLinear(OnnxNode node)
        => new QuantizeLinearOperator(node.Opset >= 13 ? node.GetInt("axis", 1) : 1, node.Opset >= 21 ? node.GetInt("block_size", 0) : 0,
            QuantizedOutputType(node, node.Opset >= 21));

    // Opset 23 adds output_dtype to DequantizeLinear.
    private static Operator DequantizeLinear(OnnxNode node)
        => new DequantizeLinearOperator(node.Opset >= 13 ? node.GetInt("axis", 1) : 1, node.Opset >= 21 ? node.GetInt("block_size", 0) : 0,
            QuantizedOutputType(node, node.Opset >= 23));

    private static DataType? QuantizedOutputType(OnnxNode node, bool allowed)
    {
        long type = allowed ? node.GetInt("output_dtype", 0) : 0;
        if (type == 0) return null;
        if (!Enum.IsDefined(typeof(DataType), (int)type)) throw node.Fail($"output_dtype {type} is not supported");
        return (DataType)type;
    }
}
