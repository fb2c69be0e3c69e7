namespace Pipeline.Graph;

/// <summary>
/// The one exception the model importers (ONNX, TFLite) and the graph compiler throw for a model they cannot run:
/// malformed or truncated files, impossible shapes, cycles, missing inputs, unknown operators or opsets.
/// The message names the node, its operator type and opset where they are known, and the reason.
/// </summary>
public sealed class InvalidModelException : PipelineException
{
    /// <summary>Creates the exception. Any of <paramref name="node"/>, <paramref name="opType"/> may be null and <paramref name="opset"/> 0 when not known.</summary>
    public InvalidModelException(string reason, string? file = null, string? node = null, string? opType = null, long opset = 0, Exception? inner = null)
        : base(Compose(reason, file, node, opType, opset), reason, inner)
    {
        File = file;
        Node = node;
        OpType = opType;
        Opset = opset;
    }

    /// <summary>The model file, when known.</summary>
    public string? File { get; }

    /// <summary>The name of the offending node (or its index, when it has no name).</summary>
    public string? Node { get; }

    /// <summary>The offending node's operator type, e.g. <c>Conv</c> or <c>DEPTHWISE_CONV_2D</c>.</summary>
    public string? OpType { get; }

    /// <summary>The opset (ONNX) or operator version (TFLite) in force, or 0.</summary>
    public long Opset { get; }

    /// <summary>A copy naming <paramref name="file"/>.</summary>
    public InvalidModelException WithFile(string file) => new(Reason, file, Node, OpType, Opset, InnerException);

    private static string Compose(string reason, string? file, string? node, string? opType, long opset)
    {
        var text = new System.Text.StringBuilder();
        text.Append(file ?? "<model>");
        if (node is not null) text.Append(": node '").Append(node).Append('\'');
        if (opType is not null) text.Append(" (").Append(opType).Append(opset > 0 ? $", opset {opset}" : string.Empty).Append(')');
        text.Append(": ").Append(reason);
        return text.ToString();
    }
}
