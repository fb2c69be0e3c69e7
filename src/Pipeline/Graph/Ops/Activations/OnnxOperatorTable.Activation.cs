using Pipeline.Graph.Ops.Activations;

namespace Pipeline.Graph.Onnx;

// Activations: Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish, Elu, Selu, Tanh, Exp, Softmax, LogSoftmax.
internal static partial class OnnxOperatorTable
{
    static partial void RegisterActivation(Dictionary<string, OnnxOperatorFactory> table)
    {
        table["Relu"] = Relu;
        table["LeakyRelu"] = LeakyRelu;
        table["Clip"] = Clip;
        table["Sigmoid"] = Sigmoid;
        table["HardSigmoid"] = HardSigmoid;
        table["HardSwish"] = HardSwish;
        table["Elu"] = Elu;
        table["Selu"] = Selu;
        table["Tanh"] = Tanh;
        table["Exp"] = Exp;
        table["Softmax"] = Softmax;
        table["LogSoftmax"] = LogSoftmax;
    }

    private static Operator Relu(OnnxNode node) => new ReluOperator();

    private static Operator LeakyRelu(OnnxNode node) => new LeakyReluOperator(node.GetFloat("alpha", 0.01f));

    // Opsets 1-10 take the bounds as attributes (defaulting to the float range); 11+ as optional inputs 1 and 2.
    private static Operator Clip(OnnxNode node) => node.Opset < 11
        ? new ClipOperator(node.GetFloat("min", float.MinValue), node.GetFloat("max", float.MaxValue))
        : new ClipOperator(node.HasInput(1), node.HasInput(2));

    private static Operator Sigmoid(OnnxNode node) => new SigmoidOperator();

    private static Operator HardSigmoid(OnnxNode node) => new HardSigmoidOperator(node.GetFloat("alpha", 0.2f), node.GetFloat("beta", 0.5f));

    private static Operator HardSwish(OnnxNode node) => new HardSwishOperator();

    private static Operator Elu(OnnxNode node) => new EluOperator(node.GetFloat("alpha", 1f));

    private static Operator Selu(OnnxNode node)
        => new SeluOperator(node.GetFloat("alpha", SeluOperator.DefaultAlpha), node.GetFloat("gamma", SeluOperator.DefaultGamma));

    private static Operator Tanh(OnnxNode node) => new TanhOperator();

    private static Operator Exp(OnnxNode node) => new ExpOperator();

    // Before opset 13 the input is flattened to 2-D at `axis` (default 1); from 13 one axis (default -1) is normalized.
    private static Operator Softmax(OnnxNode node) => node.Opset < 13
        ? new SoftmaxOperator(node.GetInt("axis", 1), flattenTo2D: true)
        : new SoftmaxOperator(node.GetInt("axis", -1), flattenTo2D: false);

    private static Operator LogSoftmax(OnnxNode node) => node.Opset < 13
        ? new SoftmaxOperator(node.GetInt("axis", 1), flattenTo2D: true, logarithm: true)
        : new SoftmaxOperator(node.GetInt("axis", -1), flattenTo2D: false, logarithm: true);
}
