using System.Runtime.InteropServices;
using Pipeline.Graph.Compilation;
using Pipeline.Graph.Execution;
using Pipeline.Graph.Onnx;
using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph;

/// <summary>
/// A neural network loaded from a model file and ready to run on the CPU, in managed code.
/// <para>
/// Load once with <see cref="Load(string, NetworkOptions?)"/>, then call <c>Run</c> from any number of threads.
/// Any batch size runs, also for models that declare batch 1. Any named value of the graph, intermediates included,
/// can be requested instead of the outputs (a featurizer takes a backbone's last feature map this way); the names
/// and shapes are listed by <see cref="DescribeValues"/>.
/// </para>
/// <para>
/// A plan (kernels, buffer offsets) is compiled on first use for each combination of input shapes and requested
/// outputs, then reused; a run in steady state allocates only the tensors it returns, and
/// <see cref="Run(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, string?)"/> allocates nothing at all.
/// </para>
/// </summary>
public sealed class Network : IDisposable
{
    private readonly PreparedGraph _graph;
    private readonly PreparedGraph? _optimized;
    private readonly WorkerPool _pool;
    private readonly PinnedConstants _pins = new();
    private readonly object _compileGate = new();
    private readonly string[] _defaultOutputs;
    private readonly bool[] _keyed;
    private PlanEntry[] _plans = [];
    private bool _disposed;

    private Network(GraphModel model, NetworkOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Threads);
        _graph = GraphPreparer.Prepare(model);
        if (options.OptimizeGraph) _optimized = GraphPreparer.Optimize(_graph);
        _defaultOutputs = model.Outputs.Select(o => o.Name).ToArray();
        _keyed = new bool[model.Inputs.Count];
        _pool = new WorkerPool(options.Threads == 0 ? Environment.ProcessorCount : options.Threads);
    }

    /// <summary>Loads a model file: ONNX or TFLite, recognized from its bytes.</summary>
    /// <exception cref="InvalidModelException">The file is not a model the engine can run; the message says why.</exception>
    public static Network Load(string path, NetworkOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = File.ReadAllBytes(path);
        string name = Path.GetFileName(path);
        try
        {
            return FromGraph(ModelFile.Read(bytes, name, options), options);
        }
        catch (InvalidModelException e) when (e.File is null)
        {
            throw e.WithFile(name);
        }
    }

    /// <summary>Loads an ONNX or TFLite model from its bytes.</summary>
    /// <exception cref="InvalidModelException">The bytes are not a model the engine can run.</exception>
    public static Network Load(byte[] model, NetworkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return FromGraph(ModelFile.Read(model, null, options), options);
    }

    /// <summary>Loads an ONNX or TFLite model from a stream (read to its end).</summary>
    /// <exception cref="InvalidModelException">The bytes are not a model the engine can run.</exception>
    public static Network Load(Stream model, NetworkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var copy = new MemoryStream();
        model.CopyTo(copy);
        return FromGraph(ModelFile.Read(copy.GetBuffer().AsSpan(0, (int)copy.Length), null, options), options);
    }

    /// <summary>Builds a network from an imported graph (the ONNX and TFLite importers both end here).</summary>
    internal static Network FromGraph(GraphModel model, NetworkOptions? options) => new(model, options ?? new NetworkOptions());

    /// <summary>The values a run needs, in the model's order.</summary>
    public IReadOnlyList<TensorDeclaration> Inputs => _graph.Model.Inputs;

    /// <summary>The values a run returns by default, in the model's order.</summary>
    public IReadOnlyList<TensorDeclaration> Outputs => _graph.Model.Outputs;

    /// <summary>The model's format and version, e.g. <c>ONNX IR 7, opset 13</c>.</summary>
    public string Format => _graph.Model.Format;

    /// <summary>The threads one run may use, the calling thread included.</summary>
    public int Threads => _pool.ThreadCount;

    /// <summary>The graph as loaded and folded (every named value present), for inspection.</summary>
    internal PreparedGraph Graph => _graph;

    /// <summary>The graph the runs use: rewritten when <see cref="NetworkOptions.OptimizeGraph"/> is on.</summary>
    internal PreparedGraph RunGraph => _optimized ?? _graph;

    /// <summary>
    /// Every value of the graph (inputs, constants, intermediates, outputs) with its concrete shape when the inputs
    /// have their declared shapes, open dimensions set to 1 and the first dimension to <paramref name="batchSize"/>.
    /// Graph inputs come first, then the model's constants, then node outputs in file order.
    /// </summary>
    /// <exception cref="InvalidModelException">Shapes cannot be inferred (or depend on an input's values).</exception>
    public IReadOnlyList<NetworkValue> DescribeValues(int batchSize = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        TensorInfo[] inputs = DeclaredInputs(batchSize);
        Dictionary<string, TensorInfo> infos;
        HashSet<string> known;
        try
        {
            (infos, known, _) = PlanCompiler.InferAll(_graph, inputs, new Tensor?[inputs.Length]);
        }
        catch (PlanNeedsInputValuesException e)
        {
            throw _graph.Model.Fail($"shapes depend on the value of input '{Inputs[e.Inputs[0]].Name}'; run the network with actual inputs");
        }

        var values = new List<NetworkValue>(infos.Count);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        void Add(string name, string? opType, string? nodeName)
        {
            if (name.Length == 0 || !listed.Add(name)) return;
            if (infos.TryGetValue(name, out TensorInfo info))
                values.Add(new NetworkValue(name, info.Type, info.Shape, opType, nodeName, known.Contains(name)));
            else if (_graph.Constants.TryGetValue(name, out Tensor? constant))
                values.Add(new NetworkValue(name, constant.Type, constant.ShapeArray(), opType, nodeName, isConstant: true));
        }
        foreach (TensorDeclaration input in Inputs) Add(input.Name, null, null);
        foreach (string name in _graph.Model.Constants.Keys) Add(name, null, null);
        foreach (GraphNode node in _graph.Model.Nodes)
            foreach (string output in node.Outputs) Add(output, node.Identity.OpType, node.Identity.Name);
        return values;
    }

    /// <summary>Runs the network on its single input and returns its outputs, in <see cref="Outputs"/> order.</summary>
    /// <exception cref="ArgumentException">The network has several inputs, or <paramref name="input"/> does not match its declaration.</exception>
    public IReadOnlyList<Tensor> Run(Tensor input) => Run(input, _defaultOutputs);

    /// <summary>
    /// Runs the network on its single input and returns the named values (graph outputs or any intermediate), in
    /// the order asked. Only the nodes these values depend on run.
    /// </summary>
    /// <exception cref="ArgumentException">A name is not a value of the graph, or the input does not match.</exception>
    public IReadOnlyList<Tensor> Run(Tensor input, params string[] outputNames)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (Inputs.Count != 1)
            throw new ArgumentException($"The network has {Inputs.Count} inputs ({string.Join(", ", Inputs.Select(i => i.Name))}); pass them by name.", nameof(input));
        IReadOnlyDictionary<string, Tensor> results = Run(new Dictionary<string, Tensor> { [Inputs[0].Name] = input }, outputNames);
        var list = new Tensor[outputNames.Length];
        for (int i = 0; i < list.Length; i++) list[i] = results[outputNames[i]];
        return list;
    }

    /// <summary>
    /// Runs the network on named inputs (every graph input must be given) and returns the named outputs (by default
    /// the graph outputs). Any value of the graph may be requested.
    /// </summary>
    /// <exception cref="ArgumentException">An input is missing or mismatched, or an output name is unknown.</exception>
    /// <exception cref="InvalidModelException">The model cannot be planned for these shapes.</exception>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyList<string>? outputNames = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ObjectDisposedException.ThrowIf(_disposed, this);
        string[] outputs = outputNames is null ? _defaultOutputs : CheckOutputs(outputNames);
        var ordered = new Tensor[Inputs.Count];
        foreach (string name in inputs.Keys)
            if (!_graph.InputIndex.ContainsKey(name))
                throw new ArgumentException($"'{name}' is not an input of the network (inputs: {string.Join(", ", Inputs.Select(i => i.Name))}).", nameof(inputs));
        for (int i = 0; i < ordered.Length; i++)
        {
            TensorDeclaration declared = Inputs[i];
            if (!inputs.TryGetValue(declared.Name, out Tensor? tensor) || tensor is null)
                throw new ArgumentException($"Input '{declared.Name}' is missing.", nameof(inputs));
            CheckInput(declared, tensor.Type, tensor.Shape);
            ordered[i] = tensor;
        }

        PlanEntry entry = FindPlan(ordered, outputs) ?? CompilePlan(ordered, outputs);
        var results = new Tensor[outputs.Length];
        for (int o = 0; o < results.Length; o++)
            results[o] = Tensor.Zeros(entry.Plan.OutputInfos[o].Type, entry.OutputShape(o));

        var handles = new GCHandle[ordered.Length + results.Length];
        try
        {
            Span<nint> inPointers = stackalloc nint[ordered.Length];
            Span<nint> outPointers = stackalloc nint[results.Length];
            for (int i = 0; i < ordered.Length; i++) inPointers[i] = Pin(ordered[i], ref handles[i]);
            for (int o = 0; o < results.Length; o++) outPointers[o] = Pin(results[o], ref handles[ordered.Length + o]);
            entry.Execute(inPointers, outPointers, _pool);
        }
        finally
        {
            foreach (GCHandle h in handles)
                if (h.IsAllocated) h.Free();
        }

        var map = new Dictionary<string, Tensor>(results.Length, StringComparer.Ordinal);
        for (int o = 0; o < results.Length; o++) map[outputs[o]] = results[o];
        return map;
    }

    /// <summary>
    /// Runs the network on its single float input, writing one output (by default the first graph output; any value
    /// may be named) into <paramref name="output"/>, which must have exactly its element count. After the first call
    /// for a given shape and output, this allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The input does not match, or <paramref name="output"/> has the wrong length.</exception>
    public unsafe void Run(ReadOnlySpan<float> input, ReadOnlySpan<int> inputShape, Span<float> output, string? outputName = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Inputs.Count != 1) throw new ArgumentException($"The network has {Inputs.Count} inputs; use the dictionary overload.", nameof(input));
        CheckInput(Inputs[0], DataType.Float32, inputShape);
        if (MemoryBudget.ElementCount(inputShape) != input.Length)
            throw new ArgumentException($"The input holds {input.Length} values but shape [{string.Join(",", inputShape.ToArray())}] needs {MemoryBudget.ElementCount(inputShape)}.", nameof(input));
        string name = outputName ?? _defaultOutputs[0];

        PlanEntry? entry = FindPlan(inputShape, name);
        if (entry is null)
        {
            var tensor = Tensor.Create(input.ToArray(), inputShape);
            entry = CompilePlan([tensor], outputName is null ? [_defaultOutputs[0]] : CheckOutputs([outputName]));
        }
        TensorInfo info = entry.Plan.OutputInfos[0];
        if (info.Type != DataType.Float32) throw new ArgumentException($"Output '{name}' is {info.Type}, not Float32.", nameof(outputName));
        long count = entry.OutputElementCount(0);
        if (output.Length != count) throw new ArgumentException($"Output '{name}' has {count} values; the span holds {output.Length}.", nameof(output));

        fixed (float* inPointer = input)
        fixed (float* outPointer = output)
        {
            // A zero-length span has a null address; kernels and copies never touch it, but it must not read as absent.
            Span<nint> ins = [inPointer == null ? 1 : (nint)inPointer];
            Span<nint> outs = [outPointer == null ? 1 : (nint)outPointer];
            entry.Execute(ins, outs, _pool);
        }
    }

    /// <summary>Frees the plans' working memory, the pinned weights and the worker threads.</summary>
    public void Dispose()
    {
        lock (_compileGate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (PlanEntry entry in _plans) entry.Dispose();
            _plans = [];
        }
        _pool.Dispose();
        _pins.Dispose();
    }

    /// <summary>
    /// Compiles (or finds) the plan for <paramref name="inputs"/>, for inspection and benchmarks: kernels built,
    /// nothing run. Keyed (shape-carrying) inputs are read from the tensors.
    /// </summary>
    internal ExecutionPlan PlanFor(Tensor[] inputs, string[]? outputs = null)
    {
        string[] names = outputs ?? _defaultOutputs;
        return (FindPlan(inputs, names) ?? CompilePlan(inputs, names)).Plan;
    }

    /// <summary>The declared input shapes with open dimensions set to 1 and the first one to <paramref name="batch"/>.</summary>
    internal TensorInfo[] DeclaredInputs(int batch)
    {
        var infos = new TensorInfo[Inputs.Count];
        for (int i = 0; i < infos.Length; i++)
        {
            TensorDeclaration d = Inputs[i];
            if (d.Shape is null) throw _graph.Model.Fail($"input '{d.Name}' declares no shape; give concrete inputs");
            int[] shape = d.Shape.Select(x => x < 0 ? 1 : x).ToArray();
            if (shape.Length >= 2 || (shape.Length == 1 && d.Shape[0] < 0)) shape[0] = batch;
            infos[i] = new TensorInfo(d.Type, shape);
        }
        return infos;
    }

    private string[] CheckOutputs(IReadOnlyList<string> names)
    {
        if (names.Count == 0) throw new ArgumentException("At least one output must be requested.", nameof(names));
        var result = new string[names.Count];
        for (int i = 0; i < result.Length; i++)
        {
            string name = names[i] ?? throw new ArgumentException("An output name is null.", nameof(names));
            if (!_graph.HasValue(name))
                throw new ArgumentException($"'{name}' is not a value of the network; DescribeValues() lists them.", nameof(names));
            result[i] = name;
        }
        if (result.Distinct(StringComparer.Ordinal).Count() != result.Length)
            throw new ArgumentException("An output is requested twice.", nameof(names));
        return result;
    }

    private static void CheckInput(TensorDeclaration declared, DataType type, ReadOnlySpan<int> shape)
    {
        if (type != declared.Type)
            throw new ArgumentException($"Input '{declared.Name}' must be {declared.Type}, not {type}.");
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"Input '{declared.Name}' has a negative dimension.");
        if (declared.Shape is not { } expected) return;
        if (shape.Length != expected.Count)
            throw new ArgumentException($"Input '{declared.Name}' must have rank {expected.Count} ({declared}), not {shape.Length}.");
        for (int d = 0; d < shape.Length; d++)
        {
            bool batchDim = d == 0 && (shape.Length >= 2 || expected[0] < 0);
            if (expected[d] >= 0 && shape[d] != expected[d] && !batchDim)
                throw new ArgumentException($"Input '{declared.Name}' has dimension {d} = {shape[d]}; the model declares {declared}.");
        }
    }

    private static unsafe nint Pin(Tensor tensor, ref GCHandle handle)
    {
        if (tensor.Length == 0) return 1;
        handle = GCHandle.Alloc(tensor.Data, GCHandleType.Pinned);
        return handle.AddrOfPinnedObject();
    }

    /// <summary>The graph to plan for <paramref name="outputs"/>: the rewritten one unless a rewrite removed one of them.</summary>
    private PreparedGraph GraphFor(string[] outputs)
    {
        if (_optimized is null) return _graph;
        foreach (string name in outputs)
            if (!_optimized.HasValue(name)) return _graph;
        return _optimized;
    }

    private PlanEntry? FindPlan(Tensor[] inputs, string[] outputs)
    {
        foreach (PlanEntry entry in Volatile.Read(ref _plans))
            if (entry.Matches(inputs, outputs)) return entry;
        return null;
    }

    private PlanEntry? FindPlan(ReadOnlySpan<int> shape, string output)
    {
        foreach (PlanEntry entry in Volatile.Read(ref _plans))
            if (entry.Matches(shape, output)) return entry;
        return null;
    }

    private PlanEntry CompilePlan(Tensor[] inputs, string[] outputs)
    {
        lock (_compileGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (FindPlan(inputs, outputs) is { } existing) return existing;
            PreparedGraph graph = GraphFor(outputs);
            while (true)
            {
                var keyed = new Tensor?[inputs.Length];
                for (int i = 0; i < keyed.Length; i++)
                    if (_keyed[i]) keyed[i] = Copy(inputs[i]);
                try
                {
                    PlanEntry entry = BuildEntry(graph, inputs, keyed, outputs);
                    PlanEntry[] plans = [.. _plans, entry];
                    Volatile.Write(ref _plans, plans);
                    return entry;
                }
                catch (PlanNeedsInputValuesException e)
                {
                    bool learned = false;
                    foreach (int i in e.Inputs) learned |= !_keyed[i] && (_keyed[i] = true);
                    if (!learned) throw new InvalidOperationException("The compiler asked for input values that are already keyed.", e);
                }
            }
        }
    }

    private static Tensor Copy(Tensor t)
    {
        Tensor copy = Tensor.Zeros(t.Type, t.Shape);
        t.AsBytes().CopyTo(copy.AsBytes());
        return copy;
    }

    /// <summary>
    /// Plans for the given shapes. When a batch dimension declared as 1 is given another size, the batched plan is
    /// only used if every output scales with it; otherwise (e.g. a Reshape to a constant [1, -1]) the batch-1 plan
    /// runs once per image.
    /// </summary>
    private PlanEntry BuildEntry(PreparedGraph graph, Tensor[] inputs, Tensor?[] keyed, string[] outputs)
    {
        var infos = new TensorInfo[inputs.Length];
        for (int i = 0; i < infos.Length; i++) infos[i] = new TensorInfo(inputs[i].Type, inputs[i].ShapeArray());

        int batch = -1;
        var split = new bool[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            IReadOnlyList<int>? declared = Inputs[i].Shape;
            if (declared is null || declared.Count < 2 || declared[0] != 1 || infos[i].Shape[0] == 1 || keyed[i] is not null) continue;
            if (batch >= 0 && batch != infos[i].Shape[0]) { batch = -2; break; }
            batch = infos[i].Shape[0];
            split[i] = true;
        }
        if (batch <= 0)
            return new PlanEntry(infos, keyed, outputs, Compile(graph, infos, keyed, outputs), 0, split);

        ExecutionPlan? batched = null;
        InvalidModelException? batchedError = null;
        try
        {
            batched = Compile(graph, infos, keyed, outputs);
        }
        catch (InvalidModelException e)
        {
            batchedError = e;
        }

        var single = new TensorInfo[infos.Length];
        for (int i = 0; i < single.Length; i++)
            single[i] = split[i] ? new TensorInfo(infos[i].Type, [1, .. infos[i].Shape.AsSpan(1)]) : infos[i];
        ExecutionPlan one = Compile(graph, single, keyed, outputs);

        bool perImageWorks = true, scales = batched is not null;
        for (int o = 0; o < outputs.Length; o++)
        {
            int[] s1 = one.OutputInfos[o].Shape;
            perImageWorks &= s1.Length >= 1 && s1[0] == 1;
            if (batched is null || !perImageWorks) continue;
            int[] sn = batched.OutputInfos[o].Shape;
            scales &= sn.Length == s1.Length && sn[0] == batch && sn.AsSpan(1).SequenceEqual(s1.AsSpan(1));
        }

        if (batched is not null && (scales || !perImageWorks))
        {
            one.Dispose();
            return new PlanEntry(infos, keyed, outputs, batched, 0, split);
        }
        batched?.Dispose();
        if (!perImageWorks) throw batchedError!;
        return new PlanEntry(infos, keyed, outputs, one, batch, split);
    }

    private ExecutionPlan Compile(PreparedGraph graph, TensorInfo[] infos, Tensor?[] keyed, string[] outputs)
        => PlanCompiler.Compile(graph, infos, keyed, outputs, _pool.ThreadCount, _pins);

    /// <summary>A compiled plan and the request it answers.</summary>
    private sealed class PlanEntry(TensorInfo[] inputs, Tensor?[] keyed, string[] outputs, ExecutionPlan plan, int perImageBatch, bool[] split) : IDisposable
    {
        public ExecutionPlan Plan { get; } = plan;

        public bool Matches(Tensor[] given, string[] requested)
        {
            if (!ReferenceEquals(requested, outputs) && !requested.AsSpan().SequenceEqual(outputs)) return false;
            for (int i = 0; i < given.Length; i++)
            {
                if (given[i].Type != inputs[i].Type || !given[i].Shape.SequenceEqual(inputs[i].Shape)) return false;
                if (keyed[i] is { } value && !value.AsBytes().SequenceEqual(given[i].AsBytes())) return false;
            }
            return true;
        }

        public bool Matches(ReadOnlySpan<int> shape, string output)
            => inputs.Length == 1 && keyed[0] is null && inputs[0].Type == DataType.Float32 && outputs.Length == 1
               && outputs[0] == output && shape.SequenceEqual(inputs[0].Shape);

        public int[] OutputShape(int o)
        {
            int[] shape = Plan.OutputInfos[o].Shape;
            if (perImageBatch == 0) return shape;
            int[] batched = (int[])shape.Clone();
            batched[0] = perImageBatch;
            return batched;
        }

        public long OutputElementCount(int o) => MemoryBudget.ElementCount(Plan.OutputInfos[o].Shape) * Math.Max(perImageBatch, 1);

        public void Execute(ReadOnlySpan<nint> ins, ReadOnlySpan<nint> outs, WorkerPool pool)
        {
            if (perImageBatch == 0)
            {
                Plan.Execute(ins, outs, pool);
                return;
            }
            Span<nint> inPointers = stackalloc nint[ins.Length];
            Span<nint> outPointers = stackalloc nint[outs.Length];
            for (int b = 0; b < perImageBatch; b++)
            {
                for (int i = 0; i < ins.Length; i++)
                    inPointers[i] = split[i] ? ins[i] + (nint)(b * (Plan.InputInfos[i]?.ByteCount ?? 0)) : ins[i];
                for (int o = 0; o < outs.Length; o++)
                    outPointers[o] = outs[o] + (nint)(b * Plan.OutputInfos[o].ByteCount);
                Plan.Execute(inPointers, outPointers, pool);
            }
        }

        public void Dispose() => Plan.Dispose();
    }
}
