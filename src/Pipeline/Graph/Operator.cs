namespace Pipeline.Graph;

/// <summary>
/// One operation of a graph, with its attributes already normalized by the importer (ONNX defaults applied, opset
/// differences resolved, TFLite's NHWC semantics translated). An operator is immutable and may be shared by plans
/// built for different input shapes.
/// <para>
/// Its life: the compiler calls <see cref="InferOutputs"/> once per plan with the concrete input shapes (and the values
/// of inputs that are known while planning), then <see cref="CreateKernel"/> once per plan. Kernels run many times.
/// </para>
/// </summary>
internal abstract class Operator
{
    /// <summary>The operator's canonical name, as in ONNX (e.g. <c>Conv</c>, <c>Softmax</c>).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Sets every output's type and shape from the inputs', and the FLOP count (<see cref="ShapeContext.Flops"/>).
    /// Throws the context's <see cref="ShapeContext.Fail"/> exception for inconsistent inputs.
    /// </summary>
    public abstract void InferOutputs(ShapeContext context);

    /// <summary>Builds the kernel for the shapes in <paramref name="context"/>; pack constant weights here, once.</summary>
    public abstract Kernel CreateKernel(KernelContext context);

    /// <summary>
    /// When this operator only reinterprets its input's bytes (Reshape, Flatten, Squeeze, Unsqueeze, Identity,
    /// inference-mode Dropout), the index of that input: the executor then gives output 0 the input's buffer and runs
    /// no kernel. -1 otherwise.
    /// </summary>
    public virtual int AliasedInput => -1;

    /// <summary>
    /// True when output 0 may share input <paramref name="input"/>'s buffer: the kernel reads each element before writing
    /// the same position (elementwise ops with a same-shaped input).
    /// </summary>
    public virtual bool CanRunInPlace(int input) => false;

    /// <summary>The attributes in a short human form for inspect and error messages, e.g. <c>k=3x3 s=2 g=32</c>.</summary>
    public virtual string Describe() => string.Empty;
}
