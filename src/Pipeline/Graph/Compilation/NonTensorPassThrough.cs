namespace Pipeline.Graph.Compilation;

/// <summary>
/// Sequence and optional values (ONNX's non-tensor types). The engine computes on tensors only, but a model may route
/// such a graph input through Identity nodes to a graph output, which simply hands the value back. This splits those
/// chains off the graph: the remaining graph is tensors only, and each passed-through output maps to its input.
/// Any other use of a non-tensor value is an <see cref="InvalidModelException"/> naming the node.
/// </summary>
internal static class NonTensorPassThrough
{
    /// <summary>The tensor-only model, and for each passed-through graph output, the index of the graph input it returns.</summary>
    public static (GraphModel TensorModel, Dictionary<string, int> Outputs) Split(GraphModel model)
    {
        var origin = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < model.Inputs.Count; i++)
            if (!model.Inputs[i].IsTensor) origin[model.Inputs[i].Name] = i;
        var outputs = new Dictionary<string, int>(StringComparer.Ordinal);
        if (origin.Count == 0)
        {
            foreach (TensorDeclaration output in model.Outputs)
                if (!output.IsTensor) throw model.Fail($"graph output '{output.Name}' is a {output.NonTensorType}, which the engine cannot compute");
            return (model, outputs);
        }

        // Identity nodes reading a non-tensor value pass it on; nodes are in file order, so repeat until nothing changes.
        var removed = new HashSet<GraphNode>();
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (GraphNode node in model.Nodes)
            {
                if (removed.Contains(node)) continue;
                foreach (string input in node.Inputs)
                {
                    if (!origin.TryGetValue(input, out int source)) continue;
                    if (node.Operator.Name != "Identity" || node.Inputs.Length != 1 || node.Outputs.Length != 1)
                        throw node.Identity.Fail($"input '{input}' is a {model.Inputs[source].NonTensorType}; only Identity can take a sequence or optional value");
                    origin[node.Outputs[0]] = source;
                    removed.Add(node);
                    changed = true;
                }
            }
        }

        foreach (TensorDeclaration output in model.Outputs)
        {
            if (origin.TryGetValue(output.Name, out int source)) outputs[output.Name] = source;
            else if (!output.IsTensor) throw model.Fail($"graph output '{output.Name}' is a {output.NonTensorType} that does not come from a graph input");
        }
        var tensorModel = new GraphModel(model.Format, model.File,
            model.Nodes.Where(n => !removed.Contains(n)).ToList(), model.Constants,
            model.Inputs.Where(i => i.IsTensor).ToList(), model.Outputs.Where(o => !outputs.ContainsKey(o.Name)).ToList());
        return (tensorModel, outputs);
    }
}
