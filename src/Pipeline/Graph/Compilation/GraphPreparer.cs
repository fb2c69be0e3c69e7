using Pipeline.Tensors;

namespace Pipeline.Graph.Compilation;

/// <summary>
/// The load-time half of compilation, done once per model: checks the wiring (every input produced exactly once,
/// no cycles), sorts the nodes (Kahn, file order kept where possible), folds every node whose inputs are all constants,
/// and applies the graph rewrites. Errors name the node, op type and opset.
/// </summary>
internal static class GraphPreparer
{
    /// <summary>Validates, sorts and folds <paramref name="model"/>: every value of the model keeps its name.</summary>
    public static PreparedGraph Prepare(GraphModel model)
    {
        var constants = new Dictionary<string, Tensor>(model.Constants, StringComparer.Ordinal);
        GraphNode[] sorted = Sort(model, constants);
        GraphNode[] remaining = FoldConstants(sorted, constants);
        return new PreparedGraph(model, remaining, constants);
    }

    /// <summary>
    /// The rewritten variant of <paramref name="prepared"/> (folded batch norms, fused activations). Values a rewrite
    /// removes are no longer available in it; the network plans with the unrewritten graph when one is requested.
    /// Constants are shared, not copied.
    /// </summary>
    public static PreparedGraph Optimize(PreparedGraph prepared)
    {
        var constants = new Dictionary<string, Tensor>(prepared.Constants, StringComparer.Ordinal);
        GraphNode[] rewritten = GraphRewriter.Rewrite(prepared.Nodes, constants, prepared.Model.Outputs);
        return new PreparedGraph(prepared.Model, rewritten, constants);
    }

    /// <summary>Validates the wiring and returns the nodes in topological order.</summary>
    private static GraphNode[] Sort(GraphModel model, Dictionary<string, Tensor> constants)
    {
        IReadOnlyList<GraphNode> nodes = model.Nodes;
        var inputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (TensorDeclaration input in model.Inputs) inputs.Add(input.Name);

        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 0; n < nodes.Count; n++)
        {
            foreach (string output in nodes[n].Outputs)
            {
                if (output.Length == 0) continue;
                if (producer.ContainsKey(output) || constants.ContainsKey(output) || inputs.Contains(output))
                    throw nodes[n].Identity.Fail($"output '{output}' is already produced by another node, an initializer or a graph input");
                producer.Add(output, n);
            }
        }

        // Kahn's algorithm over "consumer waits for producer" edges, one per wired input produced by a node.
        var waiting = new int[nodes.Count];
        var consumers = new List<int>?[nodes.Count];
        for (int n = 0; n < nodes.Count; n++)
        {
            foreach (string input in nodes[n].Inputs)
            {
                if (input.Length == 0 || constants.ContainsKey(input) || inputs.Contains(input)) continue;
                if (!producer.TryGetValue(input, out int p))
                    throw nodes[n].Identity.Fail($"input '{input}' is not produced by any node, initializer or graph input");
                waiting[n]++;
                (consumers[p] ??= []).Add(n);
            }
        }
        foreach (TensorDeclaration output in model.Outputs)
            if (!producer.ContainsKey(output.Name) && !constants.ContainsKey(output.Name) && !inputs.Contains(output.Name))
                throw model.Fail($"graph output '{output.Name}' is not produced by any node, initializer or graph input");

        var ready = new PriorityQueue<int, int>();
        for (int n = 0; n < nodes.Count; n++)
            if (waiting[n] == 0) ready.Enqueue(n, n);
        var order = new List<GraphNode>(nodes.Count);
        while (ready.TryDequeue(out int n, out _))
        {
            order.Add(nodes[n]);
            if (consumers[n] is not { } list) continue;
            foreach (int c in list)
                if (--waiting[c] == 0) ready.Enqueue(c, c);
        }
        if (order.Count < nodes.Count) throw CycleError(nodes, waiting, producer);
        return [.. order];
    }

    private static InvalidModelException CycleError(IReadOnlyList<GraphNode> nodes, int[] waiting, Dictionary<string, int> producer)
    {
        // Every unsorted node waits on another unsorted node; walking those edges must revisit a node, which is on a cycle.
        int start = Array.FindIndex(waiting, w => w > 0);
        var path = new List<int>();
        var position = new Dictionary<int, int>();
        int current = start;
        while (!position.ContainsKey(current))
        {
            position[current] = path.Count;
            path.Add(current);
            current = nodes[current].Inputs
                .Where(i => i.Length > 0 && producer.TryGetValue(i, out int p) && waiting[p] > 0)
                .Select(i => producer[i]).First();
        }
        // The walk went from consumers to producers; report it in data-flow order, starting at the revisited node.
        List<int> cycle = path.GetRange(position[current], path.Count - position[current]);
        cycle.Reverse();
        int at = cycle.IndexOf(current);
        cycle = [.. cycle.Skip(at), .. cycle.Take(at)];
        string names = string.Join(" -> ", cycle.Select(n => nodes[n].Identity.Name)) + " -> " + nodes[cycle[0]].Identity.Name;
        return nodes[current].Identity.Fail($"the graph has a cycle: {names}");
    }

    /// <summary>Evaluates every node whose inputs are all constants, once, at load.</summary>
    private static GraphNode[] FoldConstants(GraphNode[] nodes, Dictionary<string, Tensor> constants)
    {
        var remaining = new List<GraphNode>(nodes.Length);
        long folded = 0;
        foreach (GraphNode node in nodes)
        {
            if (!AllInputsConstant(node, constants))
            {
                remaining.Add(node);
                continue;
            }
            FoldNode(node, name => constants.GetValueOrDefault(name), constants, ref folded);
        }
        return [.. remaining];
    }

    private static bool AllInputsConstant(GraphNode node, Dictionary<string, Tensor> constants)
    {
        foreach (string input in node.Inputs)
            if (input.Length > 0 && !constants.ContainsKey(input)) return false;
        return true;
    }

    /// <summary>
    /// Folds one node whose inputs are all known (<paramref name="lookup"/> returns each), adding its outputs to
    /// <paramref name="sink"/>. <paramref name="foldedBytes"/> accumulates the bytes folded so far, against the budget.
    /// </summary>
    public static void FoldNode(GraphNode node, Func<string, Tensor?> lookup, Dictionary<string, Tensor> sink, ref long foldedBytes)
    {
        var inputs = new Tensor?[node.Inputs.Length];
        var infos = new TensorInfo?[node.Inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            if (node.Inputs[i].Length == 0) continue;
            inputs[i] = lookup(node.Inputs[i]) ?? throw new InvalidOperationException($"{node}: input '{node.Inputs[i]}' is not known");
            infos[i] = new TensorInfo(inputs[i]!.Type, inputs[i]!.ShapeArray());
        }

        // Infer first so an absurd output size fails before the evaluator allocates it.
        var shapes = new ShapeContext(node.Identity, infos, inputs, node.Outputs.Length);
        try
        {
            OperatorCalls.InferOutputs(node, shapes);
        }
        catch (ValueNotKnownException e)
        {
            throw node.Identity.Fail($"input {e.Input} must be known but is absent", e);
        }
        for (int o = 0; o < node.Outputs.Length; o++)
        {
            if (shapes.Output(o) is not { } info) continue;
            MemoryBudget.CheckTensor(info, node.Identity, $"output {o}");
            foldedBytes += MemoryBudget.Bytes(info);
            if (foldedBytes > MemoryBudget.ConstantBytes)
                throw node.Identity.Fail($"the constants computed at load would take over {MemoryBudget.ConstantBytes >> 20} MiB");
        }

        Tensor?[] outputs = OperatorCalls.Evaluate(node, inputs);
        for (int o = 0; o < node.Outputs.Length && o < outputs.Length; o++)
            if (node.Outputs[o].Length > 0 && outputs[o] is { } t) sink[node.Outputs[o]] = t;
    }
}
