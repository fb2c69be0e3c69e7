using Pipeline.Graph.Compilation;
using Pipeline.Tensors;

namespace Pipeline.Graph;

/// <summary>
/// What <c>inspect</c> reports about a network: the nodes per op type as the file has them, how many remain after
/// constant folding and after the rewrites, the parameter count, and the FLOPs of one run at a batch size
/// (a multiply and an add each count as one FLOP).
/// </summary>
internal sealed record NetworkSummary(
    IReadOnlyDictionary<string, int> OpHistogram,
    int FileNodes,
    int NodesAfterFolding,
    int NodesAfterRewrites,
    long Parameters,
    long ParameterBytes,
    long? Flops,
    string? FlopsUnavailableReason)
{
    public static NetworkSummary Create(Network network, int batch)
    {
        PreparedGraph graph = network.Graph;
        var histogram = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (GraphNode node in graph.Model.Nodes)
            histogram[node.Identity.OpType] = histogram.GetValueOrDefault(node.Identity.OpType) + 1;

        // Parameters: the floating-point constants the remaining nodes read (weights, including folded ones).
        var counted = new HashSet<string>(StringComparer.Ordinal);
        long parameters = 0, bytes = 0;
        foreach (GraphNode node in graph.Nodes)
            foreach (string input in node.Inputs)
                if (input.Length > 0 && graph.Constants.TryGetValue(input, out Tensor? t) && counted.Add(input)
                    && t.Type is DataType.Float32 or DataType.Float16 or DataType.BFloat16 or DataType.Float64)
                {
                    parameters += t.Length;
                    bytes += t.Length * DataTypes.SizeOf(t.Type);
                }

        long? flops = null;
        string? reason = null;
        try
        {
            TensorInfo[] inputs = network.DeclaredInputs(batch);
            try
            {
                flops = PlanCompiler.InferAll(network.RunGraph, inputs, new Tensor?[inputs.Length]).Flops;
            }
            catch (RewriteNotApplicableException)
            {
                flops = PlanCompiler.InferAll(graph, inputs, new Tensor?[inputs.Length]).Flops;
            }
        }
        catch (PlanNeedsInputValuesException e)
        {
            reason = $"shapes depend on the value of input '{network.TensorInputs[e.Inputs[0]].Name}'";
        }
        catch (InvalidModelException e)
        {
            reason = e.Reason;
        }

        return new NetworkSummary(histogram, graph.Model.Nodes.Count, graph.Nodes.Length, network.RunGraph.Nodes.Length,
            parameters, bytes, flops, reason);
    }
}
