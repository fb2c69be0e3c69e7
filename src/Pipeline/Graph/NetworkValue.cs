using Pipeline.Tensors;

namespace Pipeline.Graph;

/// <summary>
/// One value of a network resolved for concrete input shapes: a graph input, a constant, or a node's output
/// (intermediate or graph output). Any of them can be requested from <see cref="Network.Run(Tensor, string[])"/>.
/// </summary>
public sealed class NetworkValue
{
    internal NetworkValue(string name, DataType type, int[] shape, string? opType, string? nodeName, bool isConstant)
    {
        Name = name;
        Type = type;
        Shape = shape;
        OpType = opType;
        NodeName = nodeName;
        IsConstant = isConstant;
    }

    /// <summary>The value's name in the graph.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public DataType Type { get; }

    /// <summary>The concrete dimensions.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The operator type of the node that produces it (e.g. <c>Conv</c>); null for graph inputs and model constants.</summary>
    public string? OpType { get; }

    /// <summary>The name of the node that produces it; null for graph inputs and model constants.</summary>
    public string? NodeName { get; }

    /// <summary>True when the value is known without running (a weight, or computed from weights only).</summary>
    public bool IsConstant { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Type}[{string.Join(",", Shape)}]" + (OpType is null ? "" : $" ({OpType})");
}
