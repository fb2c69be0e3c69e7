using Pipeline.Graph.Ops.Elementwise;

namespace Pipeline.Graph.Onnx;

// Elementwise arithmetic: Add, Sub, Mul, Div, Sum, Mean, PRelu.
internal static partial class OnnxOperatorTable
{
    static partial void RegisterElementwise(Dictionary<string, OnnxOperatorFactory> table)
    {
        table["Add"] = Add;
        table["Sub"] = Sub;
        table["Mul"] = Mul;
        table["Div"] = Div;
        table["Sum"] = Sum;
        table["Mean"] = Mean;
        table["PRelu"] = PRelu;
    }

    private static Operator Add(OnnxNode node) => Arithmetic(node, ArithmeticKind.Add);

    private static Operator Sub(OnnxNode node) => Arithmetic(node, ArithmeticKind.Sub);

    private static Operator Mul(OnnxNode node) => Arithmetic(node, ArithmeticKind.Mul);

    private static Operator Div(OnnxNode node) => Arithmetic(node, ArithmeticKind.Div);

    // Opsets 1-6 broadcast only with broadcast=1, aligning B at `axis`; 7+ use numpy rules.
    private static Operator Arithmetic(OnnxNode node, ArithmeticKind kind)
    {
        if (node.Opset >= 7) return new ArithmeticOperator(kind);
        bool enabled = node.GetInt("broadcast", 0) != 0;
        long? axis = node.Has("axis") ? node.GetInt("axis") : null;
        return new ArithmeticOperator(kind, new LegacyBroadcast(enabled, axis));
    }

    private static Operator Sum(OnnxNode node) => new VariadicOperator(mean: false);

    private static Operator Mean(OnnxNode node) => new VariadicOperator(mean: true);

    // Before opset 7 a 1-D slope is per channel; from 7 the slope broadcasts onto X by numpy rules.
    private static Operator PRelu(OnnxNode node) => new PReluOperator(legacyChannelSlope: node.Opset < 7);
}
