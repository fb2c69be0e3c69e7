using Pipeline.Graph.Ops.Convolution;
using Pipeline.Tensors.Kernels;

namespace Pipeline.Graph.Onnx;

/// <summary>The convolution family's import functions: Conv and QLinearConv.</summary>
internal static partial class OnnxOperatorTable
{
    static partial void RegisterConvolution(Dictionary<string, OnnxOperatorFactory> table)
    {
        table["Conv"] = Conv;
        table["QLinearConv"] = QLinearConv;
    }

    /// <summary>Conv: auto_pad NOTSET, dilations/strides 1, group 1, pads 0, kernel_shape from W.</summary>
    private static Operator Conv(OnnxNode node)
    {
        long group = node.GetInt("group", 1);
        if (group is < 1 or > int.MaxValue) throw node.Fail($"group {group} must be a positive int");
        return new ConvOperator(WindowAttributes.Read(node), (int)group, FusedActivation.None);
    }

    /// <summary>QLinearConv: the same attributes and defaults as Conv.</summary>
    private static Operator QLinearConv(OnnxNode node)
    {
        long group = node.GetInt("group", 1);
        if (group is < 1 or > int.MaxValue) throw node.Fail($"group {group} must be a positive int");
        return new QLinearConvOperator(WindowAttributes.Read(node), (int)group);
    }
}
