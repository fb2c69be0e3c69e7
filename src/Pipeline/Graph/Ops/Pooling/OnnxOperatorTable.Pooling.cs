using Pipeline.Graph.Ops.Convolution;
using Pipeline.Graph.Ops.Pooling;

namespace Pipeline.Graph.Onnx;

/// <summary>The pooling family's import functions.</summary>
internal static partial class OnnxOperatorTable
{
    static partial void RegisterPooling(Dictionary<string, OnnxOperatorFactory> table)
    {
        table["MaxPool"] = MaxPool;
        table["AveragePool"] = AveragePool;
        table["LpPool"] = LpPool;
        table["GlobalAveragePool"] = _ => new GlobalPoolOperator(max: false);
        table["GlobalMaxPool"] = _ => new GlobalPoolOperator(max: true);
    }

    /// <summary>MaxPool: ceil_mode 0, storage_order 0, dilations/strides 1, pads 0, auto_pad NOTSET.</summary>
    private static Operator MaxPool(OnnxNode node)
        => new PoolOperator(PoolKind.Max, WindowAttributes.Read(node), node.GetInt("ceil_mode", 0) != 0, storageOrder: (int)node.GetInt("storage_order", 0));

    /// <summary>AveragePool: ceil_mode 0, count_include_pad 0.</summary>
    private static Operator AveragePool(OnnxNode node)
        => new PoolOperator(PoolKind.Average, WindowAttributes.Read(node), node.GetInt("ceil_mode", 0) != 0, node.GetInt("count_include_pad", 0) != 0);

    /// <summary>LpPool: p 2 (a FLOAT attribute in opset 1, INT from opset 2), ceil_mode 0.</summary>
    private static Operator LpPool(OnnxNode node)
    {
        float p = node.Opset < 2 ? node.GetFloat("p", 2f) : node.GetInt("p", 2);
        return new PoolOperator(PoolKind.Lp, WindowAttributes.Read(node), node.GetInt("ceil_mode", 0) != 0, p: p);
    }
}
