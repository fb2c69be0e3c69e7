using Pipeline.Graph;

namespace Pipeline.Featurizers.Backbones;

/// <summary>
/// What tap detection needs to see of a network: its nodes (ONNX-terms operator name, input and output value names)
/// and every value's shape and constness. Both importers emit ONNX-semantics operators, so one view serves ONNX and
/// TFLite backbones alike.
/// </summary>
internal sealed class GraphView
{
    public GraphView(IReadOnlyList<NodeView> nodes, IReadOnlyDictionary<string, ValueView> values, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs)
    {
        Nodes = nodes;
        Values = values;
        Inputs = inputs;
        Outputs = outputs;
        var producers = new Dictionary<string, NodeView>(StringComparer.Ordinal);
        foreach (NodeView node in nodes)
            foreach (string output in node.Outputs)
                if (output.Length > 0) producers[output] = node;
        Producers = producers;
    }

    public IReadOnlyList<NodeView> Nodes { get; }

    public IReadOnlyDictionary<string, ValueView> Values { get; }

    public IReadOnlyList<string> Inputs { get; }

    public IReadOnlyList<string> Outputs { get; }

    public IReadOnlyDictionary<string, NodeView> Producers { get; }

    /// <summary>The view of a loaded network: its unrewritten graph (every named value present), shapes at batch 1.</summary>
    public static GraphView Of(Network network)
    {
        var values = new Dictionary<string, ValueView>(StringComparer.Ordinal);
        foreach (NetworkValue value in network.DescribeValues(1))
            values[value.Name] = new ValueView(value.Name, [.. value.Shape], value.Type, value.IsConstant);
        var nodes = new List<NodeView>();
        foreach (GraphNode node in network.Graph.Model.Nodes)
            nodes.Add(new NodeView(node.Identity.Name, node.Operator.Name, node.Inputs, node.Outputs));
        return new GraphView(nodes, values, network.Inputs.Select(i => i.Name).ToArray(), network.Outputs.Select(o => o.Name).ToArray());
    }

    /// <summary>The inputs of <paramref name="node"/> that are computed at run time (not weights or folded constants).</summary>
    public List<string> DataInputs(NodeView node)
    {
        var result = new List<string>(node.Inputs.Length);
        foreach (string input in node.Inputs)
            if (input.Length > 0 && (!Values.TryGetValue(input, out ValueView? v) || !v.IsConstant)) result.Add(input);
        return result;
    }
}

/// <summary>One node of a <see cref="GraphView"/>.</summary>
internal sealed record NodeView(string Name, string OpType, string[] Inputs, string[] Outputs);

/// <summary>One value of a <see cref="GraphView"/>: its shape at batch 1 and whether it is known without running.</summary>
internal sealed record ValueView(string Name, int[] Shape, Pipeline.Tensors.DataType Type, bool IsConstant)
{
    /// <summary>A 4-D value with more than one spatial position (N × C × H × W, H·W &gt; 1).</summary>
    public bool IsSpatial => Shape.Length == 4 && (long)Shape[2] * Shape[3] > 1;
}
