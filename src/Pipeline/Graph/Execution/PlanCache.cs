using Pipeline.Graph.Compilation;
using Pipeline.Tensors;

namespace Pipeline.Graph.Execution;

/// <summary>
/// A network's compiled plans, one per request (input shapes, keyed inputs' contents, requested outputs). Lookups
/// scan an immutable array (no lock, no allocation); compilation is serialized and publishes a new array. It also
/// owns what the plans share: the pinned constants, and which inputs have turned out to carry shapes (keyed).
/// </summary>
internal sealed class PlanCache(PreparedGraph graph, PreparedGraph? optimized, int threads) : IDisposable
{
    private readonly PreparedGraph _graph = graph;
    private readonly PreparedGraph? _optimized = optimized;
    private readonly int _threads = threads;
    private readonly PinnedConstants _pins = new();
    private readonly object _compileGate = new();
    private readonly bool[] _keyed = new bool[graph.Model.Inputs.Count];
    private PlanEntry[] _plans = [];
    private bool _disposed;

    /// <summary>The graph to plan for <paramref name="outputs"/>: the rewritten one unless a rewrite removed one of them.</summary>
    private PreparedGraph GraphFor(string[] outputs)
    {
        if (_optimized is null) return _graph;
        foreach (string name in outputs)
            if (!_optimized.HasValue(name)) return _graph;
        return _optimized;
    }

    /// <summary>The cached plan for these inputs (shapes, and contents of keyed inputs) and outputs, or null.</summary>
    public PlanEntry? Find(Tensor[] inputs, string[] outputs)
    {
        foreach (PlanEntry entry in Volatile.Read(ref _plans))
            if (entry.Matches(inputs, outputs)) return entry;
        return null;
    }

    /// <summary>The cached plan for a single float input of <paramref name="shape"/> and one output, or null. Allocates nothing.</summary>
    public PlanEntry? Find(ReadOnlySpan<int> shape, string output)
    {
        foreach (PlanEntry entry in Volatile.Read(ref _plans))
            if (entry.Matches(shape, output)) return entry;
        return null;
    }

    /// <summary>
    /// The plan for <paramref name="inputs"/> and <paramref name="outputs"/>, compiled on first use. When the compiler
    /// finds that shapes depend on the contents of inputs, those inputs are keyed from then on and it compiles again.
    /// </summary>
    public PlanEntry GetOrCompile(Tensor[] inputs, string[] outputs)
    {
        if (Find(inputs, outputs) is { } found) return found;
        lock (_compileGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (Find(inputs, outputs) is { } existing) return existing;
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
                catch (RewriteNotApplicableException) when (graph != _graph)
                {
                    graph = _graph;
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
    /// only used if every output scales with it (a Reshape to a constant [1, …] is planned per image, see
    /// <see cref="PlanCompiler.Compile"/>); otherwise (e.g. a Reshape to a constant [2, -1]) the batch-1 plan runs once
    /// per image.
    /// </summary>
    private PlanEntry BuildEntry(PreparedGraph graph, Tensor[] inputs, Tensor?[] keyed, string[] outputs)
    {
        var infos = new TensorInfo[inputs.Length];
        for (int i = 0; i < infos.Length; i++) infos[i] = new TensorInfo(inputs[i].Type, inputs[i].ShapeArray());

        int batch = -1;
        var split = new bool[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            IReadOnlyList<int>? declared = _graph.Model.Inputs[i].Shape;
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
            batched = Compile(graph, infos, keyed, outputs, batch);
        }
        catch (InvalidModelException e)
        {
            batchedError = e;
        }

        var single = new TensorInfo[infos.Length];
        for (int i = 0; i < single.Length; i++)
            single[i] = split[i] ? new TensorInfo(infos[i].Type, [1, .. infos[i].Shape.AsSpan(1)]) : infos[i];
        ExecutionPlan one;
        try
        {
            one = Compile(graph, single, keyed, outputs);
        }
        catch
        {
            batched?.Dispose(); // e.g. a rewrite that does not fit: the caller compiles again with the original graph
            throw;
        }

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

    private ExecutionPlan Compile(PreparedGraph graph, TensorInfo[] infos, Tensor?[] keyed, string[] outputs, int batch = 0)
        => PlanCompiler.Compile(graph, infos, keyed, outputs, _threads, _pins, batch);

    /// <summary>
    /// Compiles an uncached plan for <paramref name="infos"/> without input data: shape-carrying inputs the plan turns
    /// out to need are keyed on zeros. The caller disposes the plan.
    /// </summary>
    public ExecutionPlan CompileDeclared(TensorInfo[] infos, string[] outputs)
    {
        var keyed = new Tensor?[infos.Length];
        PreparedGraph graph = _optimized ?? _graph;
        while (true)
        {
            try
            {
                return Compile(graph, infos, keyed, outputs);
            }
            catch (RewriteNotApplicableException) when (graph != _graph)
            {
                graph = _graph;
            }
            catch (PlanNeedsInputValuesException e)
            {
                foreach (int i in e.Inputs)
                {
                    if (MemoryBudget.ElementCount(infos[i].Shape) > 1 << 20)
                        throw _graph.Model.Fail($"input '{_graph.Model.Inputs[i].Name}' carries a shape, but its declared size [{string.Join(",", infos[i].Shape)}] is too large for one");
                    keyed[i] = Tensor.Zeros(infos[i].Type, infos[i].Shape);
                }
            }
        }
    }

    /// <summary>Frees every plan's workspaces and the pinned constants.</summary>
    public void Dispose()
    {
        lock (_compileGate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (PlanEntry entry in _plans) entry.Dispose();
            _plans = [];
        }
        _pins.Dispose();
    }
}
