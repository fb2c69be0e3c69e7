using Pipeline.Graph.Ops.Matrix;

namespace Pipeline.Graph.Onnx;

/// <summary>The matrix family's import functions: Gemm and MatMul.</summary>
internal static partial class OnnxOperatorTable
{
    static partial void RegisterMatrix(Dictionary<string, OnnxOperatorFactory> table)
    {
        table["Gemm"] = Gemm;
        table["MatMul"] = _ => new MatMulOperator();
    }

    /// <summary>Gemm: alpha 1, beta 1, transA 0, transB 0 (opset 1–6's 'broadcast' attribute is implied).</summary>
    private static Operator Gemm(OnnxNode node)
        => new GemmOperator(node.GetFloat("alpha", 1f), node.GetFloat("beta", 1f), node.GetInt("transA", 0) != 0, node.GetInt("transB", 0) != 0);
}
