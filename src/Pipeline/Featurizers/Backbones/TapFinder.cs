using Pipeline.Graph;

namespace Pipeline.Featurizers.Backbones;

/// <summary>
/// Finds where to cut a classification backbone: the last spatial feature map before its classifier.
/// <para>
/// From the first graph output, the walk goes back through single-input nodes (softmax, reshapes, global pooling,
/// activations, quantize/dequantize pairs, bias additions) to the classifier: the last Gemm, MatMul or 1×1 Conv with
/// constant weights. From the classifier's data input it goes on back through single-input nodes as long as the value
/// is not spatial (a pooled 1×1 map, a flattened vector, pre-logit layers), and stops at the first 4-D value with
/// H·W &gt; 1; an alias (Dropout, Identity) in front of it is skipped to its source. When no spatial value is found, the
/// last 4-D value seen is used. Graphs come from both importers in ONNX terms, with 4-D values in N×C×H×W.
/// </para>
/// </summary>
internal static class TapFinder
{
    private static readonly HashSet<string> Classifiers = new(StringComparer.OrdinalIgnoreCase) { "Gemm", "MatMul", "FullyConnected", "Conv" };
    private static readonly HashSet<string> Aliases = new(StringComparer.OrdinalIgnoreCase) { "Dropout", "Identity" };

    /// <summary>The auto-detected tap of <paramref name="graph"/>.</summary>
    /// <exception cref="InvalidModelException">No classifier or no 4-D feature map was found; the message says to name a tap.</exception>
    public static string Find(GraphView graph)
    {
        if (graph.Outputs.Count == 0) throw Fail("the model has no outputs");
        string value = graph.Outputs[0];
        var visited = new HashSet<string>(StringComparer.Ordinal);
        bool classifierFound = false;
        string? lastFourD = null;
        string? firstSpatial = null; // met before any classifier: a headless model's output
        while (visited.Add(value))
        {
            ValueView? info = graph.Values.GetValueOrDefault(value);
            if (info is { Shape.Length: 4 })
            {
                if (classifierFound && info.IsSpatial) return SkipAliases(graph, value);
                if (classifierFound) lastFourD ??= value;
                else if (info.IsSpatial) firstSpatial ??= value;
            }
            if (!graph.Producers.TryGetValue(value, out NodeView? node)) break; // a graph input
            List<string> data = graph.DataInputs(node);
            if (data.Count != 1) break; // a join (Concat, Add of two branches): the walk cannot choose
            if (!classifierFound && IsClassifier(graph, node)) classifierFound = true;
            value = data[0];
        }
        if (classifierFound && lastFourD is not null) return SkipAliases(graph, lastFourD);
        if (!classifierFound && firstSpatial is not null) return SkipAliases(graph, firstSpatial);
        throw Fail(classifierFound
            ? "no 4-D feature map precedes the classifier"
            : "no classifier (Gemm, MatMul or 1×1 Conv) was found walking back from the first output");
    }

    /// <summary>
    /// Resolves a tap name given by a user or a registry entry: the value of that exact name, else the one value whose
    /// ';'-joined TFLite name has it as a part.
    /// </summary>
    /// <exception cref="InvalidModelException">No value, or several, match; the message lists candidate feature maps.</exception>
    public static string Resolve(GraphView graph, string name)
    {
        if (graph.Values.ContainsKey(name) && !graph.Values[name].IsConstant) return name;
        var matches = new List<string>();
        foreach (ValueView value in graph.Values.Values)
            if (!value.IsConstant && value.Name.Contains(';') && value.Name.Split(';').Contains(name, StringComparer.Ordinal)) matches.Add(value.Name);
        if (matches.Count == 1) return matches[0];
        // An importer splits a fused TFLite op into steps named "<file tensor>/<step>": the file's own tensor is the one
        // the others extend.
        foreach (string match in matches)
            if (matches.TrueForAll(other => other == match || other.StartsWith(match + "/", StringComparison.Ordinal))) return match;
        if (matches.Count > 1) throw Fail($"tap '{name}' matches {matches.Count} values: {string.Join(", ", matches.Take(5))}");
        var spatial = graph.Values.Values.Where(v => !v.IsConstant && v.IsSpatial).Select(v => $"{v.Name} [{string.Join(",", v.Shape)}]").ToList();
        throw Fail($"tap '{name}' is not a value of the model; the last feature maps are: {string.Join(", ", spatial.TakeLast(8))}");
    }

    private static bool IsClassifier(GraphView graph, NodeView node)
    {
        if (!Classifiers.Contains(node.OpType)) return false;
        if (!node.OpType.Equals("Conv", StringComparison.OrdinalIgnoreCase)) return true;
        // A convolution classifies when its kernel is 1×1 (SqueezeNet's conv10, MobileNet's Logits conv).
        return node.Inputs.Length > 1 && graph.Values.TryGetValue(node.Inputs[1], out ValueView? w) && w.IsConstant
               && w.Shape.Length == 4 && w.Shape[2] == 1 && w.Shape[3] == 1;
    }

    private static string SkipAliases(GraphView graph, string value)
    {
        while (graph.Producers.TryGetValue(value, out NodeView? node) && Aliases.Contains(node.OpType))
        {
            List<string> data = graph.DataInputs(node);
            if (data.Count != 1) break;
            value = data[0];
        }
        return value;
    }

    private static InvalidModelException Fail(string reason)
        => new($"cannot find the feature map to tap: {reason}; name one with a tap (--tap <tensor>)");
}
