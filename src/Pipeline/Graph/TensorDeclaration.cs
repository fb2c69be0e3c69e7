using Pipeline.Tensors;

namespace Pipeline.Graph;

/// <summary>
/// A graph input or output as the model file declares it: name, element type and shape, where a dimension the file
/// leaves open is -1 and may carry a symbolic name (e.g. <c>batch</c>).
/// </summary>
public sealed class TensorDeclaration
{
    internal TensorDeclaration(string name, DataType type, int[]? shape, string?[]? dimensionNames)
    {
        Name = name;
        Type = type;
        Shape = shape;
        DimensionNames = dimensionNames ?? (shape is null ? null : new string?[shape.Length]);
    }

    /// <summary>The value's name in the graph.</summary>
    public string Name { get; }

    /// <summary>
    /// False for a sequence or optional value (see <see cref="ToString"/> for its type). The engine computes on tensors;
    /// such values may only pass through Identity nodes from a graph input to a graph output.
    /// </summary>
    public bool IsTensor => NonTensorType is null;

    /// <summary>The type of a non-tensor value, e.g. <c>sequence(tensor(Float32))</c>; null for tensors.</summary>
    internal string? NonTensorType { get; init; }

    /// <summary>The element type; <see cref="DataType.Undefined"/> for an output whose type the file leaves open.</summary>
    public DataType Type { get; }

    /// <summary>The declared dimensions, -1 where open; null when the file does not declare even the rank.</summary>
    public IReadOnlyList<int>? Shape { get; }

    /// <summary>For each dimension, its symbolic name when the file gives one (e.g. <c>N</c>), else null.</summary>
    public IReadOnlyList<string?>? DimensionNames { get; }

    /// <inheritdoc />
    public override string ToString()
    {
        if (NonTensorType is not null) return $"{Name}: {NonTensorType}";
        if (Shape is null) return $"{Name}: {Type}[?]";
        var dims = new string[Shape.Count];
        for (int i = 0; i < dims.Length; i++)
            dims[i] = Shape[i] >= 0 ? Shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture) : DimensionNames![i] ?? "?";
        return $"{Name}: {Type}[{string.Join(",", dims)}]";
    }
}
