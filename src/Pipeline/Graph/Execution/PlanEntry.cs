using Pipeline.Graph.Compilation;
using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph.Execution;

/// <summary>
/// A compiled plan and the request it answers: input types and shapes, the contents of keyed inputs, the requested
/// outputs. When a batch cannot be planned as one (<paramref name="perImageBatch"/> &gt; 0), the batch-1 plan runs
/// once per image over the <paramref name="split"/> inputs.
/// </summary>
internal sealed class PlanEntry(TensorInfo[] inputs, Tensor?[] keyed, string[] outputs, ExecutionPlan plan, int perImageBatch, bool[] split) : IDisposable
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
