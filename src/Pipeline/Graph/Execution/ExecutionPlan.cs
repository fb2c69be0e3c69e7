using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph.Execution;

/// <summary>One kernel call of a plan: the node it came from (for errors and profiles) and where its buffers live.</summary>
internal sealed class PlanStep(GraphNode node, Kernel kernel, BufferRef[] inputs, BufferRef[] outputs, BufferRef scratch, long flops = 0)
{
    public GraphNode Node { get; } = node;

    /// <summary>The floating-point operations one run of the step does, as the operator counts them (0 when it does not).</summary>
    public long Flops { get; } = flops;
    public Kernel Kernel { get; } = kernel;
    public BufferRef[] Inputs { get; } = inputs;
    public BufferRef[] Outputs { get; } = outputs;

    /// <summary>The kernel's scratch in the arena (<see cref="Kernel.ScratchBytes"/> long), or absent when it needs none.</summary>
    public BufferRef Scratch { get; } = scratch;
}

/// <summary>
/// Everything needed to run a graph for fixed input shapes: the kernels in order, every buffer's place, and the
/// workspaces. Immutable once built, so any number of threads may <c>Execute</c> it at once, each in its own
/// workspace.
/// </summary>
internal sealed class ExecutionPlan : IDisposable
{
    private readonly PlanStep[] _steps;
    private readonly BufferRef[] _inputs;
    private readonly BufferRef[] _outputs;
    private readonly WorkspacePool _workspaces;
    private readonly int _maxInputs;
    private readonly int _maxOutputs;

    public ExecutionPlan(PlanStep[] steps, BufferRef[] inputs, TensorInfo?[] inputInfos, BufferRef[] outputs, TensorInfo[] outputInfos,
        string[] outputNames, long arenaBytes, IReadOnlyDictionary<string, TensorInfo> valueInfos)
    {
        _steps = steps;
        _inputs = inputs;
        _outputs = outputs;
        InputInfos = inputInfos;
        OutputInfos = outputInfos;
        OutputNames = outputNames;
        ArenaBytes = arenaBytes;
        ValueInfos = valueInfos;
        foreach (PlanStep step in steps)
        {
            _maxInputs = Math.Max(_maxInputs, step.Inputs.Length);
            _maxOutputs = Math.Max(_maxOutputs, step.Outputs.Length);
        }
        _workspaces = new WorkspacePool(arenaBytes);
    }

    /// <summary>The kernel calls in execution order.</summary>
    public IReadOnlyList<PlanStep> Steps => _steps;

    /// <summary>
    /// Per graph input, where a run copies it in (absent when the plan does not read it). For test harnesses that run
    /// <see cref="Steps"/> themselves, e.g. with guards around every kernel's scratch.
    /// </summary>
    public IReadOnlyList<BufferRef> InputBuffers => _inputs;

    /// <summary>Per requested output, where a run copies it out from.</summary>
    public IReadOnlyList<BufferRef> OutputBuffers => _outputs;

    /// <summary>Per graph input: its type and shape in this plan (null when the plan does not read it).</summary>
    public TensorInfo?[] InputInfos { get; }

    /// <summary>Per requested output: its type and shape.</summary>
    public TensorInfo[] OutputInfos { get; }

    /// <summary>The requested outputs, in order.</summary>
    public string[] OutputNames { get; }

    /// <summary>Bytes of the arena: the intermediate values and the kernels' scratch.</summary>
    public long ArenaBytes { get; }

    /// <summary>Bytes of one workspace.</summary>
    public long WorkspaceBytes => _workspaces.Bytes;

    /// <summary>The type and shape of every value the plan resolved (inputs, constants used, node outputs).</summary>
    public IReadOnlyDictionary<string, TensorInfo> ValueInfos { get; }

    /// <summary>
    /// Runs the plan. <paramref name="inputs"/> holds one address per graph input (in model order) of exactly
    /// <see cref="InputInfos"/>' size, <paramref name="outputs"/> one address per requested output of
    /// <see cref="OutputInfos"/>' size; both stay pinned by the caller for the call. Allocates nothing.
    /// </summary>
    public void Execute(ReadOnlySpan<nint> inputs, ReadOnlySpan<nint> outputs, WorkerPool pool) => Execute(inputs, outputs, pool, null);

    /// <summary>
    /// <see cref="Execute(ReadOnlySpan{nint}, ReadOnlySpan{nint}, WorkerPool)"/>, adding each step's elapsed
    /// <see cref="System.Diagnostics.Stopwatch"/> ticks to <paramref name="stepTicks"/> (one slot per step) when given.
    /// </summary>
    public unsafe void Execute(ReadOnlySpan<nint> inputs, ReadOnlySpan<nint> outputs, WorkerPool pool, long[]? stepTicks)
    {
        Workspace workspace = _workspaces.Rent();
        try
        {
            nint arena = workspace.Pointer;
            for (int i = 0; i < _inputs.Length; i++)
            {
                BufferRef b = _inputs[i];
                if (b.Bytes > 0) Buffer.MemoryCopy((void*)inputs[i], (void*)b.Resolve(arena), b.Bytes, b.Bytes);
            }

            Span<nint> inPointers = stackalloc nint[_maxInputs];
            Span<long> inBytes = stackalloc long[_maxInputs];
            Span<nint> outPointers = stackalloc nint[_maxOutputs];
            Span<long> outBytes = stackalloc long[_maxOutputs];
            for (int s = 0; s < _steps.Length; s++)
            {
                PlanStep step = _steps[s];
                BufferRef[] ins = step.Inputs, outs = step.Outputs;
                for (int i = 0; i < ins.Length; i++)
                {
                    inPointers[i] = ins[i].Resolve(arena);
                    inBytes[i] = ins[i].Bytes < 0 ? 0 : ins[i].Bytes;
                }
                for (int o = 0; o < outs.Length; o++)
                {
                    outPointers[o] = outs[o].Resolve(arena);
                    outBytes[o] = outs[o].Bytes < 0 ? 0 : outs[o].Bytes;
                }
                var io = new KernelIO(inPointers[..ins.Length], inBytes[..ins.Length], outPointers[..outs.Length], outBytes[..outs.Length],
                    step.Scratch.Resolve(arena), Math.Max(0, step.Scratch.Bytes), pool);
                long start = stepTicks is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
                step.Kernel.Run(io);
                if (stepTicks is not null) stepTicks[s] += System.Diagnostics.Stopwatch.GetTimestamp() - start;
            }

            for (int o = 0; o < _outputs.Length; o++)
            {
                BufferRef b = _outputs[o];
                if (b.Bytes > 0) Buffer.MemoryCopy((void*)b.Resolve(arena), (void*)outputs[o], b.Bytes, b.Bytes);
            }
        }
        finally
        {
            _workspaces.Return(workspace);
        }
    }

    public void Dispose() => _workspaces.Dispose();
}
