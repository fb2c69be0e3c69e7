using Pipeline.Tensors;

namespace Pipeline.Graph;

/// <summary>
/// What <see cref="Operator.CreateKernel"/> sees: the node, its inputs' and outputs' concrete types and shapes, the
/// constant inputs' values (weights to pack once), and the number of threads its runs may use.
/// </summary>
internal sealed class KernelContext
{
    private readonly TensorInfo?[] _inputs;
    private readonly TensorInfo?[] _outputs;
    private readonly Tensor?[] _constants;

    /// <summary>Creates the context. Null entries are absent optional inputs or unused outputs.</summary>
    public KernelContext(NodeIdentity node, TensorInfo?[] inputs, Tensor?[] constants, TensorInfo?[] outputs, int threadCount)
    {
        if (inputs.Length != constants.Length) throw new ArgumentException("One constant slot per input.");
        Node = node;
        _inputs = inputs;
        _constants = constants;
        _outputs = outputs;
        ThreadCount = threadCount;
    }

    /// <summary>The node, for error messages.</summary>
    public NodeIdentity Node { get; }

    /// <summary>The most threads a run of this kernel will get; use it to size per-thread scratch.</summary>
    public int ThreadCount { get; }

    /// <summary>The number of input slots.</summary>
    public int InputCount => _inputs.Length;

    /// <summary>The number of output slots.</summary>
    public int OutputCount => _outputs.Length;

    /// <summary>True when input <paramref name="i"/> is present.</summary>
    public bool HasInput(int i) => i < _inputs.Length && _inputs[i] is not null;

    /// <summary>True when output <paramref name="i"/> is consumed or requested (an unused optional output need not be written).</summary>
    public bool HasOutput(int i) => i < _outputs.Length && _outputs[i] is not null;

    /// <summary>Input <paramref name="i"/>'s type and shape.</summary>
    public TensorInfo Input(int i) => _inputs[i] ?? throw Node.Fail($"input {i} is missing");

    /// <summary>Output <paramref name="i"/>'s type and shape.</summary>
    public TensorInfo Output(int i) => _outputs[i] ?? throw Node.Fail($"output {i} is missing");

    /// <summary>
    /// Input <paramref name="i"/>'s value when it is a constant (an initializer or a folded value), else null.
    /// The kernel may keep derived data (packed weights) but must not modify the tensor.
    /// </summary>
    public Tensor? Constant(int i) => i < _constants.Length ? _constants[i] : null;
}
