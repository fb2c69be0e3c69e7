using Pipeline.Graph.Execution;
using Pipeline.Tensors;

namespace Pipeline.Graph.Compilation;

/// <summary>
/// Thrown by the compiler when a shape depends on the value of graph inputs that are not keyed yet (a Reshape whose
/// target shape is a graph input, as in the conformance cases). The network then keys its plans on those inputs'
/// contents and compiles again.
/// </summary>
internal sealed class PlanNeedsInputValuesException(int[] inputs) : Exception("The plan depends on the values of graph inputs.")
{
    /// <summary>Indices of the graph inputs to key on.</summary>
    public int[] Inputs { get; } = inputs;
}

/// <summary>
/// The per-shape half of compilation: from a <see cref="PreparedGraph"/> and concrete input shapes to an
/// <see cref="ExecutionPlan"/>. Only the nodes the requested outputs need are planned; shapes are inferred node by
/// node; nodes whose inputs are all known fold into constants; buffers get arena offsets from liveness.
/// </summary>
internal sealed class PlanCompiler
{
    private readonly PreparedGraph _graph;
    private readonly TensorInfo[] _inputInfos;
    private readonly Tensor?[] _keyedValues;
    private readonly Dictionary<string, TensorInfo> _infos = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _planKnown = new(StringComparer.Ordinal);
    private readonly List<(int Node, TensorInfo?[] Inputs, TensorInfo?[] Outputs, long Flops)> _live = [];
    private readonly Dictionary<(int Node, int Slot), Tensor> _batchedTargets = [];
    private readonly int _batch;
    private long _foldedBytes;

    private PlanCompiler(PreparedGraph graph, TensorInfo[] inputInfos, Tensor?[] keyedValues, int batch = 0)
    {
        _graph = graph;
        _batch = batch;
        _inputInfos = inputInfos;
        _keyedValues = keyedValues;
        for (int i = 0; i < inputInfos.Length; i++)
        {
            _infos[graph.Model.Inputs[i].Name] = inputInfos[i];
            if (keyedValues[i] is { } value) _planKnown[graph.Model.Inputs[i].Name] = value;
        }
    }

    /// <summary>
    /// Infers the type and shape of every value (all nodes, whether or not an output needs them), without kernels.
    /// Returns them with the producing node index (-1 for inputs and constants) and whether each is known without running.
    /// </summary>
    public static (Dictionary<string, TensorInfo> Infos, HashSet<string> Known, long Flops) InferAll(PreparedGraph graph, TensorInfo[] inputInfos, Tensor?[] keyedValues)
    {
        var compiler = new PlanCompiler(graph, inputInfos, keyedValues);
        var needed = new bool[graph.Nodes.Length];
        Array.Fill(needed, true);
        compiler.InferShapes(needed);
        var known = new HashSet<string>(compiler._planKnown.Keys, StringComparer.Ordinal);
        foreach (string name in compiler._infos.Keys)
            if (graph.Constants.ContainsKey(name)) known.Add(name);
        long flops = 0;
        foreach (var step in compiler._live) flops += step.Flops;
        return (compiler._infos, known, flops);
    }

    /// <summary>
    /// Builds the plan computing <paramref name="outputs"/> for inputs of <paramref name="inputInfos"/>. A positive
    /// <paramref name="batch"/> says the inputs carry that many images where the model declares one: a Reshape to a
    /// constant shape starting with 1 then reshapes each image as declared (its leading 1 becomes the batch).
    /// </summary>
    public static ExecutionPlan Compile(PreparedGraph graph, TensorInfo[] inputInfos, Tensor?[] keyedValues, string[] outputs, int threads,
        PinnedConstants pins, int batch = 0)
    {
        var compiler = new PlanCompiler(graph, inputInfos, keyedValues, batch);
        compiler.InferShapes(compiler.MarkNeeded(outputs));
        return compiler.Build(outputs, threads, pins);
    }

    private Tensor? Known(string name) => _planKnown.TryGetValue(name, out Tensor? t) ? t : _graph.Constants.GetValueOrDefault(name);

    private bool[] MarkNeeded(string[] outputs)
    {
        var needed = new bool[_graph.Nodes.Length];
        var pending = new Stack<string>(outputs);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.Count > 0)
        {
            string name = pending.Pop();
            if (!seen.Add(name) || !_graph.Producers.TryGetValue(name, out int n) || needed[n]) continue;
            needed[n] = true;
            foreach (string input in _graph.Nodes[n].Inputs)
                if (input.Length > 0) pending.Push(input);
        }
        return needed;
    }

    private TensorInfo InfoOf(string name)
    {
        if (_infos.TryGetValue(name, out TensorInfo info)) return info;
        Tensor constant = Known(name) ?? throw _graph.Model.Fail($"value '{name}' is used but its producer does not compute it");
        info = new TensorInfo(constant.Type, constant.ShapeArray());
        _infos[name] = info;
        return info;
    }

    private void InferShapes(bool[] needed)
    {
        for (int n = 0; n < _graph.Nodes.Length; n++)
        {
            if (!needed[n]) continue;
            GraphNode node = _graph.Nodes[n];
            var inputs = new TensorInfo?[node.Inputs.Length];
            var values = new Tensor?[node.Inputs.Length];
            bool allKnown = true;
            for (int i = 0; i < inputs.Length; i++)
            {
                if (!node.HasInput(i)) continue;
                inputs[i] = InfoOf(node.Inputs[i]);
                values[i] = Known(node.Inputs[i]);
                allKnown &= values[i] is not null;
            }
            if (BatchedReshapeTarget(node, inputs, values) is { } target)
            {
                values[1] = target;
                _batchedTargets[(n, 1)] = target;
            }

            if (allKnown || TryShapeOnly(node, inputs, values))
            {
                GraphPreparer.FoldNode(node, name => values[Array.IndexOf(node.Inputs, name)], _planKnown, ref _foldedBytes);
                foreach (string output in node.Outputs)
                    if (output.Length > 0 && _planKnown.TryGetValue(output, out Tensor? t)) _infos[output] = new TensorInfo(t.Type, t.ShapeArray());
                continue;
            }

            var context = new ShapeContext(node.Identity, inputs, values, node.Outputs.Length);
            try
            {
                OperatorCalls.InferOutputs(node, context);
            }
            catch (ValueNotKnownException e)
            {
                throw KeyOrFail(node, e);
            }

            var outputs = new TensorInfo?[node.Outputs.Length];
            for (int o = 0; o < outputs.Length; o++)
            {
                if (node.Outputs[o].Length == 0) continue;
                if (context.Output(o) is not { } info)
                {
                    if (o == 0) throw node.Identity.Fail("the operator did not produce output 0");
                    continue;
                }
                MemoryBudget.CheckTensor(info, node.Identity, $"output {o} ('{node.Outputs[o]}')");
                outputs[o] = info;
                _infos[node.Outputs[o]] = info;
            }
            _live.Add((n, inputs, outputs, context.Flops));
        }
    }

    /// <summary>
    /// Shape (and Size) depend only on their input's shape: when the shape is known, evaluate them on a zero tensor of
    /// that shape so that shape arithmetic downstream folds (Reshape(x, Concat(Shape(x)[0], -1)) and the like).
    /// </summary>
    private static bool TryShapeOnly(GraphNode node, TensorInfo?[] inputs, Tensor?[] values)
    {
        if (node.Operator.Name is not ("Shape" or "Size") || inputs.Length < 1 || inputs[0] is not { } info) return false;
        for (int i = 1; i < values.Length; i++)
            if (inputs[i] is not null && values[i] is null) return false;
        MemoryBudget.CheckTensor(info, node.Identity, "input 0");
        values[0] = Tensor.Zeros(info.Type, info.Shape);
        return true;
    }

    /// <summary>
    /// When planning a batch for a model declared with batch 1, a Reshape of a batch-major tensor to a constant target
    /// [1, d1, …] is the per-image reshape: each image's contiguous block maps to the same block of [B, d1, …]. This
    /// returns that target with its leading 1 replaced by the batch (null when the pattern does not apply). The
    /// network still checks that every output scales with the batch, and runs image by image otherwise.
    /// </summary>
    private Tensor? BatchedReshapeTarget(GraphNode node, TensorInfo?[] inputs, Tensor?[] values)
    {
        if (_batch <= 1 || node.Operator.Name != "Reshape" || inputs.Length < 2 || values[0] is not null) return null;
        if (inputs[0] is not { Shape: [int first, ..] } || first != _batch) return null;
        if (values[1] is not { Type: DataType.Int64, Rank: 1, Length: >= 2 } target || target.AsSpan<long>()[0] != 1) return null;
        long[] batched = target.AsSpan<long>().ToArray();
        batched[0] = _batch;
        return Tensor.Create(batched, batched.Length);
    }

    private Exception KeyOrFail(GraphNode node, ValueNotKnownException e)
    {
        string name = node.HasInput(e.Input) ? node.Inputs[e.Input] : "";
        var candidates = new List<int>();
        if (name.Length > 0)
            foreach (int input in _graph.InputAncestors(name))
                if (_keyedValues[input] is null && IsKeyable(_inputInfos[input])) candidates.Add(input);
        if (candidates.Count > 0) return new PlanNeedsInputValuesException([.. candidates]);
        return node.Identity.Fail($"input {e.Input} ('{name}') must be known before running, but it is computed at run time", e);
    }

    /// <summary>
    /// The buffer of an input that <paramref name="node"/> may overwrite with its output 0: the operator allows it for
    /// that input, the sizes match, no other input slot reads the same buffer, and nothing reads the buffer after this
    /// node (its last use, over every value sharing it, is now). -1 when there is none.
    /// </summary>
    private static int InPlaceBuffer(GraphNode node, int time, long size, Dictionary<string, int> bufferOf, List<long> bytes, List<int> last)
    {
        for (int i = 0; i < node.Inputs.Length; i++)
        {
            if (!node.HasInput(i) || !node.Operator.CanRunInPlace(i) || !bufferOf.TryGetValue(node.Inputs[i], out int b)) continue;
            if (bytes[b] != size || last[b] != time) continue;
            bool sharedWithOtherSlot = false;
            for (int j = 0; j < node.Inputs.Length; j++)
                if (j != i && node.HasInput(j) && bufferOf.TryGetValue(node.Inputs[j], out int other) && other == b && node.Inputs[j] != node.Inputs[i])
                    sharedWithOtherSlot = true;
            if (!sharedWithOtherSlot) return b;
        }
        return -1;
    }

    /// <summary>
    /// Whether a plan may be keyed on this input's contents: integer and bool inputs (shapes, axes, pads) always; float
    /// inputs only when they are tiny vectors (a Resize's scales), never data such as images, which would make every
    /// run a new plan.
    /// </summary>
    public static bool IsKeyable(TensorInfo input)
        => input.Type is not (DataType.Float32 or DataType.Float16 or DataType.BFloat16 or DataType.Float64)
           || (input.Shape.Length <= 1 && MemoryBudget.ElementCount(input.Shape) <= MaxKeyedFloats);

    /// <summary>The most elements a float input may have and still be keyed on (rank 0 or 1 only).</summary>
    public const int MaxKeyedFloats = 16;

    private ExecutionPlan Build(string[] requested, int threads, PinnedConstants pins)
    {
        int stepCount = _live.Count;
        int end = stepCount + 1; // time of the final copy-out; steps run at times 1..stepCount, inputs are copied at 0

        // When each value is last read: by a later step, or by the final copy-out when requested.
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int s = 0; s < stepCount; s++)
            foreach (string input in _graph.Nodes[_live[s].Node].Inputs)
                if (input.Length > 0) lastUse[input] = s + 1;
        foreach (string name in requested) lastUse[name] = end;
        int LastUse(string name) => lastUse.GetValueOrDefault(name, -1);

        // Buffers: one per arena value, except that an aliasing node's output joins its input's buffer, and an
        // in-place node's output takes over the buffer of an input that dies at that node.
        var bufferOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var bytes = new List<long>();
        var first = new List<int>();
        var last = new List<int>();
        void Assign(string name, int buffer)
        {
            bufferOf[name] = buffer;
            last[buffer] = Math.Max(last[buffer], LastUse(name));
        }
        void NewBuffer(string name, long size, int time)
        {
            bytes.Add(size);
            first.Add(time);
            last.Add(time);
            Assign(name, bytes.Count - 1);
        }

        for (int i = 0; i < _inputInfos.Length; i++)
        {
            string name = _graph.Model.Inputs[i].Name;
            if (_keyedValues[i] is null && LastUse(name) >= 0) NewBuffer(name, MemoryBudget.Bytes(_inputInfos[i]), 0);
        }

        for (int s = 0; s < stepCount; s++)
        {
            int time = s + 1;
            GraphNode node = _graph.Nodes[_live[s].Node];
            int alias = node.Operator.AliasedInput;
            for (int o = 0; o < node.Outputs.Length; o++)
            {
                string name = node.Outputs[o];
                if (_live[s].Outputs[o] is not { } info) continue;
                if (LastUse(name) < 0 && o > 0) continue; // an unused optional output need not be written
                long size = MemoryBudget.Bytes(info);
                if (o == 0 && alias >= 0)
                {
                    if (!node.HasInput(alias)) throw node.Identity.Fail($"aliased input {alias} is missing");
                    if (size != MemoryBudget.Bytes(InfoOf(node.Inputs[alias])))
                        throw node.Identity.Fail($"output 0 reinterprets input {alias} but their sizes differ");
                    if (bufferOf.TryGetValue(node.Inputs[alias], out int shared)) Assign(name, shared);
                    continue; // an alias of a constant stays a constant: resolved below
                }
                if (o == 0 && InPlaceBuffer(node, time, size, bufferOf, bytes, last) is int reused and >= 0)
                {
                    Assign(name, reused);
                    continue;
                }
                NewBuffer(name, size, time);
            }
        }

        // Kernels first: each one's scratch joins the arena as a buffer alive during its own step only, so it reuses the
        // memory of values dead by then instead of adding a region to every workspace that only one kernel fills. For
        // MobileNetV2 (fused blocks) a workspace went from 9.6 to 7.5 MB, for ResNet-50 from 7.9 to 5.6 MB: less memory
        // for the caches to hold, above all when several threads each run an image in their own workspace.
        var kernels = new Kernel?[stepCount];
        var scratchBuffer = new int[stepCount];
        int valueBuffers = bytes.Count;
        for (int s = 0; s < stepCount; s++)
        {
            scratchBuffer[s] = -1;
            (int n, TensorInfo?[] inputInfos, TensorInfo?[] outputInfos, _) = _live[s];
            GraphNode node = _graph.Nodes[n];
            if (node.Operator.AliasedInput >= 0) continue;
            var constants = new Tensor?[node.Inputs.Length];
            for (int i = 0; i < constants.Length; i++)
                if (node.HasInput(i)) constants[i] = _batchedTargets.GetValueOrDefault((n, i)) ?? Known(node.Inputs[i]);
            var kernelOutputs = new TensorInfo?[node.Outputs.Length];
            for (int o = 0; o < kernelOutputs.Length; o++)
                if (node.Outputs[o].Length > 0 && bufferOf.ContainsKey(node.Outputs[o])) kernelOutputs[o] = outputInfos[o];
            Kernel kernel = OperatorCalls.CreateKernel(node, new KernelContext(node.Identity, inputInfos, constants, kernelOutputs, threads));
            kernels[s] = kernel;
            if (kernel.ScratchBytes <= 0) continue;
            scratchBuffer[s] = bytes.Count;
            bytes.Add(kernel.ScratchBytes);
            first.Add(s + 1);
            last.Add(s + 1);
        }

        var lifetimes = new BufferLifetime[bytes.Count];
        for (int b = 0; b < lifetimes.Length; b++) lifetimes[b] = new BufferLifetime(bytes[b], first[b], last[b]);
        var offsets = new long[lifetimes.Length];
        long arena = MemoryPlanner.PlanWithScratch(lifetimes, valueBuffers, offsets);

        BufferRef RefOf(string name)
        {
            if (name.Length == 0) return BufferRef.Absent;
            long size = MemoryBudget.Bytes(InfoOf(name));
            if (bufferOf.TryGetValue(name, out int b)) return BufferRef.InArena(offsets[b], size);
            Tensor? constant = Known(name);
            if (constant is null)
            {
                // An alias of a constant: the node's aliased input is the constant holding the bytes.
                int producer = _graph.Producers.GetValueOrDefault(name, -1);
                if (producer >= 0 && _graph.Nodes[producer].Operator.AliasedInput is int a and >= 0)
                    return RefOf(_graph.Nodes[producer].Inputs[a]) with { Bytes = size };
                return BufferRef.Absent;
            }
            return BufferRef.Fixed(pins.Pin(constant), size);
        }

        var steps = new List<PlanStep>(stepCount);
        for (int s = 0; s < stepCount; s++)
        {
            if (kernels[s] is not { } kernel) continue;
            GraphNode node = _graph.Nodes[_live[s].Node];
            var inputs = new BufferRef[node.Inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
                inputs[i] = node.HasInput(i) ? RefOf(node.Inputs[i]) : BufferRef.Absent;
            var outputs = new BufferRef[node.Outputs.Length];
            for (int o = 0; o < outputs.Length; o++)
            {
                string name = node.Outputs[o];
                outputs[o] = name.Length > 0 && bufferOf.ContainsKey(name) ? RefOf(name) : BufferRef.Absent;
            }
            BufferRef scratch = scratchBuffer[s] < 0 ? BufferRef.Absent : BufferRef.InArena(offsets[scratchBuffer[s]], kernel.ScratchBytes);
            steps.Add(new PlanStep(node, kernel, inputs, outputs, scratch, _live[s].Flops));
        }

        if (arena > MemoryBudget.WorkspaceBytes)
            throw _graph.Model.Fail($"a run needs {arena >> 20} MiB of working memory, more than the {MemoryBudget.WorkspaceBytes >> 20} MiB available");

        var inputRefs = new BufferRef[_inputInfos.Length];
        var planInputs = new TensorInfo?[_inputInfos.Length];
        for (int i = 0; i < inputRefs.Length; i++)
        {
            string name = _graph.Model.Inputs[i].Name;
            bool inArena = bufferOf.ContainsKey(name);
            inputRefs[i] = inArena ? RefOf(name) : BufferRef.Absent;
            if (inArena) planInputs[i] = _inputInfos[i];
        }
        var outputRefs = new BufferRef[requested.Length];
        var outputInfosAll = new TensorInfo[requested.Length];
        for (int o = 0; o < requested.Length; o++)
        {
            outputRefs[o] = RefOf(requested[o]);
            outputInfosAll[o] = InfoOf(requested[o]);
        }

        return new ExecutionPlan([.. steps], inputRefs, planInputs, outputRefs, outputInfosAll, requested, arena, _infos);
    }
}
