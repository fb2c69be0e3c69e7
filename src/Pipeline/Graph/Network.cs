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
    private readonly GraphModel _model;
    private readonly Dictionary<string, int> _passThrough;
    private readonly PreparedGraph _graph;
    private readonly PreparedGraph? _optimized;
    private readonly WorkerPool _pool;
    private readonly PlanCache _plans;
    private readonly string[] _defaultOutputs;
    private bool _disposed;

    private Network(GraphModel model, NetworkOptions options)
    {
        ThreadLimits.Validate(options.Threads, "NetworkOptions.Threads");
        _model = model;
        (GraphModel tensorModel, _passThrough) = NonTensorPassThrough.Split(model);
        _graph = GraphPreparer.Prepare(tensorModel);
        if (options.OptimizeGraph) _optimized = GraphPreparer.Optimize(_graph);
        _defaultOutputs = tensorModel.Outputs.Select(o => o.Name).ToArray();
        _pool = new WorkerPool(ThreadLimits.Resolve(options.Threads));
        _plans = new PlanCache(_graph, _optimized, _pool.ThreadCount);
    }

    /// <summary>Loads a model file: ONNX or TFLite, recognized from its bytes.</summary>
    /// <exception cref="InvalidModelException">The file is not a model the engine can run; the message says why.</exception>
    public static Network Load(string path, NetworkOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string name = Path.GetFileName(path);
        byte[] bytes = ModelFile.ReadAllBytes(path);
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
    public IReadOnlyList<TensorDeclaration> Inputs => _model.Inputs;

    /// <summary>The values a run returns by default, in the model's order.</summary>
    public IReadOnlyList<TensorDeclaration> Outputs => _model.Outputs;

    /// <summary>The tensor inputs, the ones the plans compute with (all inputs, unless the model passes sequences through).</summary>
    internal IReadOnlyList<TensorDeclaration> TensorInputs => _graph.Model.Inputs;

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
    /// have their declared shapes, open dimensions set to 1 and the batch dimension (the first, when open or declared
    /// 1) set to <paramref name="batchSize"/>.
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
            throw _graph.Model.Fail($"shapes depend on the value of input '{TensorInputs[e.Inputs[0]].Name}'; run the network with actual inputs");
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
        foreach (TensorDeclaration input in TensorInputs) Add(input.Name, null, null);
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
    public IReadOnlyList<Tensor> Run(Tensor input, params string[] outputNames) => RunSingleInput(input, outputNames, _pool);

    /// <summary>
    /// Runs the single-input network into <paramref name="outputs"/>, tensors the caller keeps and reuses (each of the
    /// named value's type and shape for this input), or into new ones when it is null; returns them. On the network's
    /// threads, or on the calling thread alone for callers that run several inputs at once, one per thread. Reused
    /// outputs keep a featurizer's per-image buffers off the large object heap. Same results as
    /// <see cref="Run(Tensor, string[])"/>.
    /// </summary>
    internal Tensor[] RunInto(Tensor input, string[] outputNames, Tensor[]? outputs, bool onCallingThread)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (TensorInputs.Count != 1 || (outputs is not null && outputs.Length != outputNames.Length))
            throw new ArgumentException("RunInto takes a single-input network and one output tensor per name.", nameof(outputs));
        CheckInput(TensorInputs[0], input.Type, input.Shape);
        // The names are checked on the first call (no outputs yet); reuse then passes the same names again.
        PlanEntry entry = _plans.GetOrCompile([input], outputs is null ? CheckOutputs(outputNames) : outputNames);
        if (outputs is null)
        {
            outputs = new Tensor[outputNames.Length];
            for (int o = 0; o < outputs.Length; o++) outputs[o] = Tensor.Zeros(entry.Plan.OutputInfos[o].Type, entry.OutputShape(o));
        }
        for (int o = 0; o < outputs.Length; o++)
            if (outputs[o].Type != entry.Plan.OutputInfos[o].Type || !outputs[o].Shape.SequenceEqual(entry.OutputShape(o)))
                throw new ArgumentException($"Output '{outputNames[o]}' is {entry.Plan.OutputInfos[o].Type} [{string.Join(",", entry.OutputShape(o))}], not {outputs[o].Type} [{string.Join(",", outputs[o].Shape.ToArray())}].", nameof(outputs));
        Execute(entry, [input], outputs, onCallingThread ? WorkerPool.Inline : _pool);
        return outputs;
    }

    /// <summary>Runs <paramref name="entry"/> with every input and output tensor pinned for the call.</summary>
    private static void Execute(PlanEntry entry, Tensor[] inputs, Tensor[] outputs, WorkerPool pool)
    {
        var handles = new GCHandle[inputs.Length + outputs.Length];
        try
        {
            Span<nint> inPointers = stackalloc nint[inputs.Length];
            Span<nint> outPointers = stackalloc nint[outputs.Length];
            for (int i = 0; i < inputs.Length; i++) inPointers[i] = Pin(inputs[i], ref handles[i]);
            for (int o = 0; o < outputs.Length; o++) outPointers[o] = Pin(outputs[o], ref handles[inputs.Length + o]);
            entry.Execute(inPointers, outPointers, pool);
        }
        finally
        {
            foreach (GCHandle h in handles)
                if (h.IsAllocated) h.Free();
        }
    }

    private IReadOnlyList<Tensor> RunSingleInput(Tensor input, string[] outputNames, WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(outputNames);
        if (TensorInputs.Count != 1)
            throw new ArgumentException($"The network has {TensorInputs.Count} inputs ({string.Join(", ", TensorInputs.Select(i => i.Name))}); pass them by name.", nameof(input));
        IReadOnlyDictionary<string, Tensor> results = Run(new Dictionary<string, Tensor> { [TensorInputs[0].Name] = input }, outputNames, pool);
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
        => Run(inputs, outputNames, _pool);

    private IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyList<string>? outputNames, WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ObjectDisposedException.ThrowIf(_disposed, this);
        string[] outputs = outputNames is null ? _defaultOutputs : CheckOutputs(outputNames);
        var ordered = new Tensor[TensorInputs.Count];
        foreach (string name in inputs.Keys)
            if (!_graph.InputIndex.ContainsKey(name))
                throw new ArgumentException($"'{name}' is not an input of the network (inputs: {string.Join(", ", TensorInputs.Select(i => i.Name))}).", nameof(inputs));
        for (int i = 0; i < ordered.Length; i++)
        {
            TensorDeclaration declared = TensorInputs[i];
            if (!inputs.TryGetValue(declared.Name, out Tensor? tensor) || tensor is null)
                throw new ArgumentException($"Input '{declared.Name}' is missing.", nameof(inputs));
            CheckInput(declared, tensor.Type, tensor.Shape);
            ordered[i] = tensor;
        }

        PlanEntry entry = _plans.GetOrCompile(ordered, outputs);
        var results = new Tensor[outputs.Length];
        for (int o = 0; o < results.Length; o++)
            results[o] = Tensor.Zeros(entry.Plan.OutputInfos[o].Type, entry.OutputShape(o));

        Execute(entry, ordered, results, pool);

        var map = new Dictionary<string, Tensor>(results.Length, StringComparer.Ordinal);
        for (int o = 0; o < results.Length; o++) map[outputs[o]] = results[o];
        return map;
    }

    /// <summary>
    /// Runs on inputs of any kind: a <see cref="Tensor"/> per tensor input, and for sequence or optional inputs an
    /// <c>IReadOnlyList&lt;Tensor&gt;</c>, a tensor, or null (an empty optional). The engine computes on tensors only, so a
    /// non-tensor value can only come back unchanged, through the Identity nodes the model routes it through.
    /// </summary>
    internal IReadOnlyDictionary<string, object?> RunValues(IReadOnlyDictionary<string, object?> inputs, IReadOnlyList<string> outputNames)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (TensorDeclaration declared in TensorInputs)
            tensors[declared.Name] = inputs.GetValueOrDefault(declared.Name) as Tensor
                ?? throw new ArgumentException($"Input '{declared.Name}' must be a tensor.", nameof(inputs));
        string[] computed = outputNames.Where(o => !_passThrough.ContainsKey(o)).ToArray();
        var results = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (computed.Length > 0)
            foreach ((string name, Tensor value) in Run(tensors, computed)) results[name] = value;
        foreach (string name in outputNames)
        {
            if (!_passThrough.TryGetValue(name, out int source)) continue;
            string input = _model.Inputs[source].Name;
            results[name] = inputs.TryGetValue(input, out object? value) ? value : throw new ArgumentException($"Input '{input}' is missing.", nameof(inputs));
        }
        return results;
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
        if (TensorInputs.Count != 1) throw new ArgumentException($"The network has {TensorInputs.Count} inputs; use the dictionary overload.", nameof(input));
        CheckInput(TensorInputs[0], DataType.Float32, inputShape);
        if (MemoryBudget.ElementCount(inputShape) != input.Length)
            throw new ArgumentException($"The input holds {input.Length} values but shape [{string.Join(",", inputShape.ToArray())}] needs {MemoryBudget.ElementCount(inputShape)}.", nameof(input));
        string name = outputName ?? _defaultOutputs[0];

        PlanEntry entry = _plans.Find(inputShape, name)
            ?? _plans.GetOrCompile([Tensor.Create(input.ToArray(), inputShape)], outputName is null ? [name] : CheckOutputs([outputName]));
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

    /// <summary>
    /// The shape of the output the span overload of <c>Run</c> writes (by default the first graph output) for a
    /// single float input of <paramref name="inputShape"/>: size the output buffer with it. Plans on first use.
    /// </summary>
    /// <exception cref="ArgumentException">The network does not have a single float input of that rank, or the name is unknown.</exception>
    public int[] GetOutputShape(ReadOnlySpan<int> inputShape, string? outputName = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (TensorInputs.Count != 1) throw new ArgumentException($"The network has {TensorInputs.Count} inputs.", nameof(inputShape));
        CheckInput(TensorInputs[0], DataType.Float32, inputShape);
        string name = outputName ?? _defaultOutputs[0];
        PlanEntry entry = _plans.Find(inputShape, name)
            ?? _plans.GetOrCompile([Tensor.Zeros(DataType.Float32, inputShape)], outputName is null ? [name] : CheckOutputs([outputName]));
        return entry.OutputShape(0);
    }

    /// <summary>Frees the plans' working memory, the pinned weights and the worker threads.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _plans.Dispose();
        _pool.Dispose();
    }

    /// <summary>
    /// Compiles (or finds) the plan for <paramref name="inputs"/>, for inspection and benchmarks: kernels built,
    /// nothing run. Keyed (shape-carrying) inputs are read from the tensors.
    /// </summary>
    internal ExecutionPlan PlanFor(Tensor[] inputs, string[]? outputs = null)
    {
        string[] names = outputs ?? _defaultOutputs;
        return _plans.GetOrCompile(inputs, names).Plan;
    }

    /// <summary>
    /// Runs the plan for a single input <paramref name="runs"/> times with a timer around every kernel, for the
    /// bench command's profile: the steps, each one's mean milliseconds per run, and whether the batch runs image by
    /// image (the times are then for one image).
    /// </summary>
    internal (IReadOnlyList<PlanStep> Steps, double[] Milliseconds, bool PerImage) Profile(Tensor input, int runs)
    {
        PlanEntry entry = _plans.GetOrCompile([input], _defaultOutputs);
        ExecutionPlan plan = entry.Plan;
        var ticks = new long[plan.Steps.Count];
        Tensor result = Tensor.Zeros(plan.OutputInfos[0].Type, plan.OutputInfos[0].Shape);
        GCHandle inHandle = default, outHandle = default;
        try
        {
            Span<nint> ins = [Pin(input, ref inHandle)];
            Span<nint> outs = [Pin(result, ref outHandle)];
            for (int r = 0; r < runs; r++) plan.Execute(ins, outs, _pool, ticks);
        }
        finally
        {
            if (inHandle.IsAllocated) inHandle.Free();
            if (outHandle.IsAllocated) outHandle.Free();
        }
        double[] ms = ticks.Select(t => t * 1000.0 / System.Diagnostics.Stopwatch.Frequency / runs).ToArray();
        return (plan.Steps, ms, plan.InputInfos[0] is { } info && !info.Shape.AsSpan().SequenceEqual(input.Shape));
    }

    /// <summary>
    /// Compiles an uncached plan for the declared input shapes (open dimensions 1, first dimension
    /// <paramref name="batch"/>) without any input data: shape-carrying inputs the plan turns out to need are keyed
    /// on zeros. For checking that a model plans (the reader fuzzer) and for inspection; the caller disposes the plan.
    /// </summary>
    internal ExecutionPlan CompileDeclared(int batch) => _plans.CompileDeclared(DeclaredInputs(batch), _defaultOutputs);

    /// <summary>
    /// The declared input shapes with open dimensions set to 1 and the batch dimension (the first, when open or
    /// declared 1) set to <paramref name="batch"/>.
    /// </summary>
    internal TensorInfo[] DeclaredInputs(int batch)
    {
        var infos = new TensorInfo[TensorInputs.Count];
        for (int i = 0; i < infos.Length; i++)
        {
            TensorDeclaration d = TensorInputs[i];
            if (d.Shape is null) throw _graph.Model.Fail($"input '{d.Name}' declares no shape; give concrete inputs");
            int[] shape = d.Shape.Select(x => x < 0 ? 1 : x).ToArray();
            // The batch goes where the model leaves the first dimension open or declares it 1 (and rank ≥ 2).
            if (shape.Length >= 1 && (d.Shape[0] < 0 || (d.Shape[0] == 1 && shape.Length >= 2))) shape[0] = batch;
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
}
