using Pipeline.Graph.Ops.Elementwise;
using Pipeline.Graph.Ops.Convolution;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;

namespace Pipeline.Graph.Compilation;

/// <summary>
/// Graph rewrites applied once at load, before planning, each removing a whole pass over an activation tensor:
/// <list type="bullet">
/// <item>Conv → BatchNormalization (inference mode, constant parameters, the conv's only consumer): the batch norm is
/// folded into new constant conv weights and bias, W'[m] = W[m]·s[m], B'[m] = (B[m] − mean[m])·s[m] + β[m] with
/// s = γ / √(var + ε).</item>
/// <item>Conv (no activation) → Add or two-input Sum with another value, the conv's only consumer: the Add becomes
/// the conv with that value as a residual input, accumulated as the output is stored. The fused node sits where the Add
/// was, after both operands exist. When the shapes turn out to broadcast, planning falls back to the original graph.</item>
/// <item>A compute node that fuses activations (<see cref="IFusesActivation"/>: Conv, Gemm, MatMul) → an activation
/// (<see cref="IActivationOperator"/>) that is its only consumer: the activation moves into the kernel's epilogue.</item>
/// <item>Conv 1×1 → depthwise Conv → Conv 1×1 (an inverted residual block: each conv the only consumer of the one
/// before, constant weights and biases, any fused activations, the last with or without a residual): one
/// <see cref="InvertedResidualOperator"/>, which keeps the large expanded tensor out of memory.</item>
/// </list>
/// A rewrite never removes a graph output; the intermediate values it removes can still be requested (the network then
/// plans with the unrewritten graph).
/// </summary>
internal static class GraphRewriter
{
    /// <summary>Returns the rewritten node list; new constants are added to <paramref name="constants"/>.</summary>
    public static GraphNode[] Rewrite(GraphNode[] nodes, Dictionary<string, Tensor> constants, IReadOnlyList<TensorDeclaration> outputs)
    {
        var graphOutputs = new HashSet<string>(outputs.Select(o => o.Name), StringComparer.Ordinal);
        List<GraphNode> list = [.. nodes];
        list = FoldBatchNormIntoConv(list, constants, graphOutputs);
        list = FuseResidualAdds(list, constants, graphOutputs);
        list = FuseActivations(list, constants, graphOutputs);
        list = FuseInvertedResiduals(list, constants, graphOutputs);
        return [.. list];
    }

    /// <summary>The index of the single node reading <paramref name="value"/> (once, after node <paramref name="after"/>), or -1.</summary>
    private static int SoleConsumer(List<GraphNode> nodes, string value, int after)
    {
        int consumer = -1;
        for (int n = 0; n < nodes.Count; n++)
            foreach (string input in nodes[n].Inputs)
            {
                if (input != value) continue;
                if (consumer >= 0 || n <= after) return -1;
                consumer = n;
            }
        return consumer;
    }

    private static List<GraphNode> FoldBatchNormIntoConv(List<GraphNode> nodes, Dictionary<string, Tensor> constants, HashSet<string> graphOutputs)
    {
        var removed = new bool[nodes.Count];
        for (int c = 0; c < nodes.Count; c++)
        {
            GraphNode conv = nodes[c];
            if (conv.Operator.Name != "Conv" || conv.Operator is IFusesActivation { Activation.Kind: not ActivationKind.None }) continue;
            if (conv.Outputs.Length != 1 || graphOutputs.Contains(conv.Outputs[0])) continue;
            if (!conv.HasInput(1) || constants.GetValueOrDefault(conv.Inputs[1]) is not { Type: DataType.Float32, Rank: >= 3 } weights) continue;
            Tensor? bias = conv.HasInput(2) ? constants.GetValueOrDefault(conv.Inputs[2]) : null;
            if (conv.HasInput(2) && bias is not { Type: DataType.Float32, Rank: 1 }) continue;
            int m = weights.Shape[0];
            if (bias is not null && bias.Shape[0] != m) continue;

            int b = SoleConsumer(nodes, conv.Outputs[0], c);
            if (b < 0 || removed[b]) continue;
            GraphNode bn = nodes[b];
            if (bn.Operator is not IBatchNormalization { TrainingMode: false } norm || bn.Operator.Name != "BatchNormalization") continue;
            if (bn.Inputs.Length < 5 || bn.Inputs[0] != conv.Outputs[0] || bn.Outputs.Skip(1).Any(o => o.Length > 0)) continue;
            var parameters = new float[4][];
            bool usable = true;
            for (int p = 0; p < 4 && usable; p++)
            {
                usable = bn.HasInput(p + 1) && constants.GetValueOrDefault(bn.Inputs[p + 1]) is { Type: DataType.Float32, Rank: 1 } t && t.Shape[0] == m;
                if (usable) parameters[p] = constants[bn.Inputs[p + 1]].AsSpan<float>().ToArray();
            }
            if (!usable) continue;

            (Tensor foldedWeights, Tensor foldedBias) = Fold(weights, bias, parameters[0], parameters[1], parameters[2], parameters[3], norm.Epsilon);
            string weightName = UniqueName(nodes, constants, conv.Inputs[1] + "/bn_folded");
            constants[weightName] = foldedWeights;
            string biasName = UniqueName(nodes, constants, (conv.HasInput(2) ? conv.Inputs[2] : conv.Inputs[1] + "/bias") + "/bn_folded");
            constants[biasName] = foldedBias;
            nodes[c] = conv with { Inputs = [conv.Inputs[0], weightName, biasName], Outputs = [bn.Outputs[0]] };
            removed[b] = true;
        }
        return nodes.Where((_, i) => !removed[i]).ToList();
    }

    private static List<GraphNode> FuseResidualAdds(List<GraphNode> nodes, Dictionary<string, Tensor> constants, HashSet<string> graphOutputs)
    {
        var removed = new bool[nodes.Count];
        var producers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 0; n < nodes.Count; n++)
            foreach (string output in nodes[n].Outputs)
                if (output.Length > 0) producers.TryAdd(output, n);
        for (int a = 0; a < nodes.Count; a++)
        {
            GraphNode add = nodes[a];
            bool isAdd = add.Operator is ArithmeticOperator { Kind: ArithmeticKind.Add, Activation.Kind: ActivationKind.None, IsLegacyBroadcast: false }
                || add.Operator is VariadicOperator { IsMean: false, Activation.Kind: ActivationKind.None };
            if (!isAdd || add.Inputs.Length != 2 || add.Outputs.Length != 1 || add.Inputs[0] == add.Inputs[1]) continue;
            for (int side = 0; side < 2; side++)
            {
                if (!producers.TryGetValue(add.Inputs[side], out int c) || c >= a || removed[c]) continue;
                GraphNode conv = nodes[c];
                if (conv.Operator is not ConvOperator { Residual: false, Activation.Kind: ActivationKind.None } op) continue;
                if (conv.Outputs.Length != 1 || graphOutputs.Contains(conv.Outputs[0]) || SoleConsumer(nodes, conv.Outputs[0], c) != a) continue;
                string residual = add.Inputs[1 - side];
                // Add(Conv(x), x) stays as it is: the planner may run a node in place on a value it also reads under the
                // same name (right for elementwise ops), and the conv would overwrite x while it still reads it.
                // A constant is almost always a broadcast bias ([M, 1, 1]); fused, it would send the whole plan back to
                // the unrewritten graph, so it stays a separate Add.
                if (residual.Length == 0 || conv.Inputs.Contains(residual) || constants.ContainsKey(residual)) continue;
                string bias = conv.HasInput(2) ? conv.Inputs[2] : "";
                nodes[a] = conv with { Operator = op.WithResidual(), Inputs = [conv.Inputs[0], conv.Inputs[1], bias, residual], Outputs = [add.Outputs[0]] };
                removed[c] = true;
                break;
            }
        }
        return nodes.Where((_, i) => !removed[i]).ToList();
    }

    /// <summary>The folded weights and bias: per output channel m, W'[m] = W[m]·s[m] and B'[m] = (B[m] − mean[m])·s[m] + β[m].</summary>
    internal static (Tensor Weights, Tensor Bias) Fold(Tensor weights, Tensor? bias, float[] scale, float[] beta, float[] mean, float[] variance, float epsilon)
    {
        int m = weights.Shape[0];
        ReadOnlySpan<float> w = weights.AsSpan<float>();
        int perChannel = m == 0 ? 0 : w.Length / m;
        var folded = new float[w.Length];
        var foldedBias = new float[m];
        for (int o = 0; o < m; o++)
        {
            double s = scale[o] / Math.Sqrt((double)variance[o] + epsilon);
            for (int k = 0; k < perChannel; k++) folded[o * perChannel + k] = (float)(w[o * perChannel + k] * s);
            double b0 = bias is null ? 0 : bias.AsSpan<float>()[o];
            foldedBias[o] = (float)((b0 - mean[o]) * s + beta[o]);
        }
        return (Tensor.Create(folded, weights.Shape), Tensor.Create(foldedBias, m));
    }

    private static List<GraphNode> FuseActivations(List<GraphNode> nodes, Dictionary<string, Tensor> constants, HashSet<string> graphOutputs)
    {
        var removed = new bool[nodes.Count];
        for (int c = 0; c < nodes.Count; c++)
        {
            GraphNode producer = nodes[c];
            if (producer.Operator is not IFusesActivation { Activation.Kind: ActivationKind.None } fuses) continue;
            if (producer.Outputs.Length < 1 || producer.Outputs[0].Length == 0 || graphOutputs.Contains(producer.Outputs[0])) continue;
            int a = SoleConsumer(nodes, producer.Outputs[0], c);
            if (a < 0 || removed[a]) continue;
            GraphNode activation = nodes[a];
            if (activation.Operator is not IActivationOperator act || activation.Inputs[0] != producer.Outputs[0] || activation.Outputs.Length != 1) continue;
            bool constantParameters = true;
            for (int i = 1; i < activation.Inputs.Length; i++)
                constantParameters &= !activation.HasInput(i) || constants.ContainsKey(activation.Inputs[i]);
            if (!constantParameters) continue;
            FusedActivation? fused = act.TryGetActivation(i => activation.HasInput(i) ? constants.GetValueOrDefault(activation.Inputs[i]) : null);
            if (fused is not { } f) continue;

            string[] outputs = [.. producer.Outputs];
            outputs[0] = activation.Outputs[0];
            nodes[c] = producer with { Operator = fuses.WithActivation(f), Outputs = outputs };
            removed[a] = true;
        }
        return nodes.Where((_, i) => !removed[i]).ToList();
    }

    private static List<GraphNode> FuseInvertedResiduals(List<GraphNode> nodes, Dictionary<string, Tensor> constants, HashSet<string> graphOutputs)
    {
        var removed = new bool[nodes.Count];
        for (int e = 0; e < nodes.Count; e++)
        {
            GraphNode expand = nodes[e];
            if (removed[e] || !IsPointwise(expand, constants, graphOutputs, out int expanded, out _) || ((ConvOperator)expand.Operator).Residual) continue;
            int d = SoleConsumer(nodes, expand.Outputs[0], e);
            if (d < 0 || removed[d] || !IsDepthwise(nodes[d], expanded, constants, graphOutputs)) continue;
            int p = SoleConsumer(nodes, nodes[d].Outputs[0], d);
            if (p < 0 || removed[p] || !IsPointwise(nodes[p], constants, null, out _, out int inputs) || inputs != expanded) continue;
            GraphNode depthwise = nodes[d], project = nodes[p];
            if (project.Inputs[0] != depthwise.Outputs[0] || depthwise.Inputs[0] != expand.Outputs[0]) continue;
            var op = (ConvOperator)project.Operator;
            string Bias(GraphNode n) => n.HasInput(2) ? n.Inputs[2] : "";
            string[] fused = [expand.Inputs[0], expand.Inputs[1], Bias(expand), depthwise.Inputs[1], Bias(depthwise), project.Inputs[1], Bias(project)];
            if (op.Residual) fused = [.. fused, project.Inputs[ConvOperator.ResidualInput]];
            nodes[p] = project with
            {
                Operator = new InvertedResidualOperator((ConvOperator)expand.Operator, (ConvOperator)depthwise.Operator, op),
                Inputs = fused,
            };
            removed[e] = removed[d] = true;
        }
        return nodes.Where((_, i) => !removed[i]).ToList();
    }

    /// <summary>
    /// A float Conv with constant [M, C, 1, 1] weights (and a constant bias, if any), unit strides and dilations, no
    /// padding, one group, whose output is not a graph output (when <paramref name="graphOutputs"/> is given).
    /// </summary>
    private static bool IsPointwise(GraphNode node, Dictionary<string, Tensor> constants, HashSet<string>? graphOutputs, out int outChannels, out int inChannels)
    {
        outChannels = inChannels = 0;
        if (node.Operator is not ConvOperator { Group: 1 } conv || node.Outputs.Length != 1) return false;
        if (graphOutputs is not null && graphOutputs.Contains(node.Outputs[0])) return false;
        if (!ConstantWeights(node, constants, out Tensor? w) || w.Shape[2] != 1 || w.Shape[3] != 1) return false;
        if (!Ones(conv.Window.Strides) || !Ones(conv.Window.Dilations) || (conv.Window.Pads?.Any(v => v != 0) ?? false)) return false;
        outChannels = w.Shape[0];
        inChannels = w.Shape[1];
        return true;
    }

    /// <summary>A float depthwise Conv over <paramref name="channels"/> channels: constant [C, 1, kH, kW] weights, group C, unit dilations.</summary>
    private static bool IsDepthwise(GraphNode node, int channels, Dictionary<string, Tensor> constants, HashSet<string> graphOutputs)
    {
        if (node.Operator is not ConvOperator { Residual: false } conv || conv.Group != channels || channels < 2) return false;
        if (node.Outputs.Length != 1 || graphOutputs.Contains(node.Outputs[0])) return false;
        if (!ConstantWeights(node, constants, out Tensor? w) || w.Shape[0] != channels || w.Shape[1] != 1) return false;
        return Ones(conv.Window.Dilations);
    }

    /// <summary>Constant rank-4 float weights (a 2-d conv), and a constant bias when there is one.</summary>
    private static bool ConstantWeights(GraphNode node, Dictionary<string, Tensor> constants, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Tensor? weights)
    {
        weights = null;
        if (!node.HasInput(1) || constants.GetValueOrDefault(node.Inputs[1]) is not { Type: DataType.Float32, Rank: 4 } w) return false;
        if (node.HasInput(2) && constants.GetValueOrDefault(node.Inputs[2]) is not { Type: DataType.Float32, Rank: 1 }) return false;
        weights = w;
        return true;
    }

    private static bool Ones(int[]? values) => values is null || values.All(v => v == 1);

    /// <summary><paramref name="name"/>, or it with a number appended, so that no constant or node value has it yet.</summary>
    private static string UniqueName(List<GraphNode> nodes, Dictionary<string, Tensor> constants, string name)
    {
        bool Taken(string candidate) => constants.ContainsKey(candidate) || nodes.Any(n => n.Outputs.Contains(candidate) || n.Inputs.Contains(candidate));
        string candidate = name;
        for (int i = 2; Taken(candidate); i++) candidate = $"{name}{i}";
        return candidate;
    }
}
