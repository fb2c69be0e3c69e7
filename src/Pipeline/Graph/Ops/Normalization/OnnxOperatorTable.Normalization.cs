using Pipeline.Graph.Ops.Normalization;

namespace Pipeline.Graph.Onnx;

// Normalization: BatchNormalization, LRN.
internal static partial class OnnxOperatorTable
{
    static partial void RegisterNormalization(Dictionary<string, OnnxOperatorFactory> table)
    {
        table["BatchNormalization"] = BatchNormalization;
        table["LRN"] = LRN;
    }

    // Before opset 9 a non-spatial form existed (statistics per activation); 14 adds training_mode. Earlier opsets'
    // training outputs (is_test = 0) are not produced: the engine runs inference.
    private static Operator BatchNormalization(OnnxNode node)
    {
        if (node.Opset < 9 && node.GetInt("spatial", 1) == 0)
            throw node.Fail("non-spatial BatchNormalization (spatial = 0) is not supported");
        bool training = node.Opset >= 14 && node.GetInt("training_mode", 0) != 0;
        return new BatchNormalizationOperator(node.GetFloat("epsilon", 1e-5f), node.GetFloat("momentum", 0.9f), training);
    }

    private static Operator LRN(OnnxNode node)
    {
        long size = node.GetInt("size");
        if (size < 1 || size > int.MaxValue) throw node.Fail($"size must be a positive channel count, got {size}");
        return new LrnOperator(node.GetFloat("alpha", 1e-4f), node.GetFloat("beta", 0.75f), node.GetFloat("bias", 1f), (int)size);
    }
}
