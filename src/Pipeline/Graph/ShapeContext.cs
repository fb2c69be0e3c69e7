using Pipeline.Tensors;

namespace Pipeline.Graph;

/// <summary>
/// What <see cref="Operator.InferOutputs"/> sees of one node while a plan is built: its inputs' types and shapes,
/// the values of inputs known at planning time (constants, folded values, and shape-like graph inputs), and where to
/// put the outputs' types and shapes.
/// </summary>
internal sealed class ShapeContext
{
    private readonly TensorInfo?[] _inputs;
    private readonly Tensor?[] _values;
    private readonly TensorInfo?[] _outputs;

    /// <summary>Creates the context; an absent optional input has a null info.</summary>
    public ShapeContext(NodeIdentity node, TensorInfo?[] inputs, Tensor?[] knownValues, int outputCount)
    {
        if (inputs.Length != knownValues.Length) throw new ArgumentException("One known value slot per input.");
        Node = node;
        _inputs = inputs;
        _values = knownValues;
        _outputs = new TensorInfo?[outputCount];
        ValueRequired = new bool[inputs.Length];
    }

    /// <summary>The node being inferred, for error messages.</summary>
    public NodeIdentity Node { get; }

    /// <summary>The number of input slots, absent optional ones included.</summary>
    public int InputCount => _inputs.Length;

    /// <summary>The number of outputs the node declares.</summary>
    public int OutputCount => _outputs.Length;

    /// <summary>Multiply and add each count as one FLOP; set by the operator for inspect's total.</summary>
    public long Flops { get; set; }

    /// <summary>For each input, whether the operator asked for its value with <see cref="RequireValue"/>.</summary>
    public bool[] ValueRequired { get; }

    /// <summary>True when input <paramref name="i"/> is present (not an omitted optional input).</summary>
    public bool HasInput(int i) => i < _inputs.Length && _inputs[i] is not null;

    /// <summary>Input <paramref name="i"/>'s type and shape; fails naming the input when it is absent.</summary>
    public TensorInfo Input(int i) => HasInput(i) ? _inputs[i]!.Value : throw Fail($"input {i} is required but missing");

    /// <summary>Input <paramref name="i"/>'s shape.</summary>
    public int[] InputShape(int i) => Input(i).Shape;

    /// <summary>Input <paramref name="i"/>'s element type.</summary>
    public DataType InputType(int i) => Input(i).Type;

    /// <summary>Input <paramref name="i"/>'s value when known while planning, else null. Does not mark it required.</summary>
    public Tensor? TryGetValue(int i) => i < _values.Length ? _values[i] : null;

    /// <summary>
    /// Input <paramref name="i"/>'s value, which the output shapes depend on (a Reshape's shape, a Pad's pads).
    /// When it is not known the compiler learns that from <see cref="ValueRequired"/> and re-plans with the value keyed;
    /// if it can never be known, it fails naming the input.
    /// </summary>
    public Tensor RequireValue(int i, string what)
    {
        if (i < ValueRequired.Length) ValueRequired[i] = true;
        return TryGetValue(i) ?? throw new ValueNotKnownException(Node, i, what);
    }

    /// <summary>Sets output <paramref name="i"/>'s type and shape.</summary>
    public void SetOutput(int i, DataType type, int[] shape)
    {
        if ((uint)i >= (uint)_outputs.Length) throw Fail($"the operator produces output {i} but the node declares {_outputs.Length}");
        foreach (int d in shape)
            if (d < 0) throw Fail($"output {i} would have negative dimension {d} in [{string.Join(",", shape)}]");
        _outputs[i] = new TensorInfo(type, shape);
    }

    /// <summary>Output <paramref name="i"/> as set, or null if the operator left it unset (an unused optional output).</summary>
    public TensorInfo? Output(int i) => _outputs[i];

    /// <summary>An exception naming this node, to throw for inconsistent inputs or attributes.</summary>
    public InvalidModelException Fail(string reason) => Node.Fail(reason);
}

/// <summary>Thrown by <see cref="ShapeContext.RequireValue"/> when a shape depends on a value not known while planning.</summary>
internal sealed class ValueNotKnownException(NodeIdentity node, int input, string what)
    : Exception($"{node}: {what} (input {input}) must be known before running, but it is computed at run time")
{
    /// <summary>The node that asked.</summary>
    public NodeIdentity Node { get; } = node;

    /// <summary>The input slot it asked for.</summary>
    public int Input { get; } = input;
}
