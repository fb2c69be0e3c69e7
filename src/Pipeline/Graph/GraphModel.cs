using Pipeline.Tensors;

namespace Pipeline.Graph;

/// <summary>
/// A model as data, independent of its file format: what the ONNX and TFLite importers produce and what the compiler
/// consumes. Values are named by strings; an empty name is an omitted optional input or an unused optional output.
/// Nothing here is validated yet: the compiler checks wiring (missing inputs, cycles) and shapes.
/// </summary>
internal sealed class GraphModel
{
    public GraphModel(string format, string? file, IReadOnlyList<GraphNode> nodes, IReadOnlyDictionary<string, Tensor> constants,
        IReadOnlyList<TensorDeclaration> inputs, IReadOnlyList<TensorDeclaration> outputs)
    {
        Format = format;
        File = file;
        Nodes = nodes;
        Constants = constants;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>The file format and version, for inspect (e.g. <c>ONNX IR 8, opset 13</c>).</summary>
    public string Format { get; }

    /// <summary>The file name, for error messages; null when loaded from memory.</summary>
    public string? File { get; }

    /// <summary>The nodes, in file order (not necessarily topological).</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>Named constant tensors: initializers, Constant nodes, and (TFLite) buffers.</summary>
    public IReadOnlyDictionary<string, Tensor> Constants { get; }

    /// <summary>The values the caller provides (constants excluded).</summary>
    public IReadOnlyList<TensorDeclaration> Inputs { get; }

    /// <summary>The values a run returns by default.</summary>
    public IReadOnlyList<TensorDeclaration> Outputs { get; }

    /// <summary>An error about the model as a whole (no node to name).</summary>
    public InvalidModelException Fail(string reason) => new(reason, File);
}

/// <summary>One node: who it is (for errors), what it computes, and the names of the values it reads and writes.</summary>
internal sealed record GraphNode(NodeIdentity Identity, Operator Operator, string[] Inputs, string[] Outputs)
{
    /// <summary>True when input slot <paramref name="i"/> is wired (not an omitted optional input).</summary>
    public bool HasInput(int i) => i < Inputs.Length && Inputs[i].Length > 0;

    /// <inheritdoc />
    public override string ToString() => Identity.ToString();
}
