using Pipeline.Tensors;

namespace Pipeline.Graph.Compilation;

/// <summary>Graph rewrites applied once at load, before planning.</summary>
internal static class GraphRewriter
{
    /// <summary>Returns the rewritten node list; new constants are added to <paramref name="constants"/>.</summary>
    public static GraphNode[] Rewrite(GraphNode[] nodes, Dictionary<string, Tensor> constants, IReadOnlyList<TensorDeclaration> outputs)
    {
        _ = constants;
        _ = outputs;
        return nodes;
    }
}
