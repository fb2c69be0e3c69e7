namespace Pipeline.Graph;

/// <summary>Who a node is, for error messages: its name (or index), operator type as written in the file, and opset.</summary>
internal readonly record struct NodeIdentity(string Name, string OpType, long Opset, string? File = null)
{
    /// <summary>An <see cref="InvalidModelException"/> naming this node.</summary>
    public InvalidModelException Fail(string reason, Exception? inner = null) => new(reason, File, Name, OpType, Opset, inner);

    /// <inheritdoc />
    public override string ToString() => $"node '{Name}' ({OpType}, opset {Opset})";
}
