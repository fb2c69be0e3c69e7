using Pipeline.Tensors;

namespace Pipeline.Graph.Compilation;

/// <summary>
/// A <see cref="GraphModel"/> checked and simplified once at load, independent of input shapes: wiring validated,
/// nodes in topological order, every node computable from constants alone folded into a constant, and the graph
/// rewrites applied. The compiler builds one execution plan from it per input shape.
/// </summary>
internal sealed class PreparedGraph
{
    public PreparedGraph(GraphModel model, GraphNode[] nodes, Dictionary<string, Tensor> constants)
    {
        Model = model;
        Nodes = nodes;
        Constants = constants;
        Producers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 0; n < nodes.Length; n++)
            foreach (string output in nodes[n].Outputs)
                if (output.Length > 0) Producers[output] = n;
        InputIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < model.Inputs.Count; i++) InputIndex[model.Inputs[i].Name] = i;
    }

    /// <summary>The model as imported (inputs, outputs, file name).</summary>
    public GraphModel Model { get; }

    /// <summary>The nodes left to run, in topological order.</summary>
    public GraphNode[] Nodes { get; }

    /// <summary>Constants: the model's, plus the outputs of folded nodes and rewritten weights.</summary>
    public Dictionary<string, Tensor> Constants { get; }

    /// <summary>Value name → index in <see cref="Nodes"/> of the node producing it.</summary>
    public Dictionary<string, int> Producers { get; }

    /// <summary>Graph input name → its index in <see cref="GraphModel.Inputs"/>.</summary>
    public Dictionary<string, int> InputIndex { get; }

    /// <summary>True when <paramref name="name"/> is a value of this graph (input, constant or node output).</summary>
    public bool HasValue(string name) => Constants.ContainsKey(name) || Producers.ContainsKey(name) || InputIndex.ContainsKey(name);

    /// <summary>
    /// The graph inputs <paramref name="value"/> is computed from (transitively). Shape-like integer inputs among them
    /// can be keyed: the plan is then built for their contents.
    /// </summary>
    public HashSet<int> InputAncestors(string value)
    {
        var result = new HashSet<int>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(value);
        while (pending.Count > 0)
        {
            string name = pending.Pop();
            if (!visited.Add(name)) continue;
            if (InputIndex.TryGetValue(name, out int input)) result.Add(input);
            else if (Producers.TryGetValue(name, out int node))
                foreach (string i in Nodes[node].Inputs)
                    if (i.Length > 0) pending.Push(i);
        }
        return result;
    }
}
