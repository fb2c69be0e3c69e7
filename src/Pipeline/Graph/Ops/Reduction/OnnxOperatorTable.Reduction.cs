using Pipeline.Graph.Ops.Reduction;

namespace Pipeline.Graph.Onnx;

// Reductions: ReduceMean, ReduceMax, ReduceMin, ReduceSum.
internal static partial class OnnxOperatorTable
{
    static partial void RegisterReduction(Dictionary<string, OnnxOperatorFactory> table)
    {
        table["ReduceMean"] = ReduceMean;
        table["ReduceMax"] = ReduceMax;
        table["ReduceMin"] = ReduceMin;
        table["ReduceSum"] = ReduceSum;
    }

    private static Operator ReduceMean(OnnxNode node) => Reduce(node, ReduceKind.Mean, axesInputSince: 18);

    private static Operator ReduceMax(OnnxNode node) => Reduce(node, ReduceKind.Max, axesInputSince: 18);

    private static Operator ReduceMin(OnnxNode node) => Reduce(node, ReduceKind.Min, axesInputSince: 18);

    private static Operator ReduceSum(OnnxNode node) => Reduce(node, ReduceKind.Sum, axesInputSince: 13);

    // The axes moved from an attribute to input 1 (opset 18; 13 for ReduceSum), together with noop_with_empty_axes.
    private static Operator Reduce(OnnxNode node, ReduceKind kind, int axesInputSince)
    {
        bool fromInput = node.Opset >= axesInputSince;
        return new ReduceOperator(kind, fromInput ? null : node.GetInts("axes"), fromInput,
            keepDims: node.GetInt("keepdims", 1) != 0,
            noopWithEmptyAxes: fromInput && node.GetInt("noop_with_empty_axes", 0) != 0);
    }
}
