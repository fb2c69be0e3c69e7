using System.Runtime.InteropServices;
using Pipeline.Graph;
using Pipeline.Graph.Compilation;
using Pipeline.Graph.Execution;
using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tests.Graph.Compilation;

/// <summary>
/// Runs an <see cref="ExecutionPlan"/>'s steps as <see cref="ExecutionPlan.Execute(ReadOnlySpan{nint}, ReadOnlySpan{nint}, WorkerPool)"/>
/// does, but so that a kernel touching memory outside its scratch fails the run instead of silently corrupting a value
/// that the plan placed next to that scratch:
/// <list type="bullet">
/// <item>every kernel gets its scratch in a block of its own, exactly <see cref="Kernel.ScratchBytes"/> long, between two
/// canary bands that are checked after the step (a kernel without scratch gets an empty block, so writing through its
/// pointer is caught as well). The trailing band is at least as long as the scratch, so even a whole extra thread slot
/// lands in it;</item>
/// <item>the scratch is NaN before every step, so a kernel that reads scratch it did not write shows in the outputs;</item>
/// <item>the arena range the plan gave the step's scratch is filled with NaN before the step, as if the kernel used all
/// of it in place: had the plan put it over a live value, the outputs would change;</item>
/// <item>the arena starts as NaN and is followed by a canary band, checked after every step.</item>
/// </list>
/// </summary>
internal static unsafe class GuardedPlanRunner
{
    private const int LeadBytes = 4096;
    private const int MinTrailBytes = 64 * 1024;
    private const int ArenaTailBytes = 4096;
    private const uint Poison = 0x7FC0_DEADu; // a quiet NaN

    /// <summary>
    /// Runs <paramref name="plan"/> on <paramref name="inputs"/> (one per graph input, of the plan's input shapes) and
    /// returns its outputs; throws <see cref="ScratchOverrunException"/> at the first step that wrote outside its
    /// scratch. <paramref name="guardedSteps"/> receives how many steps had scratch.
    /// </summary>
    public static Tensor[] Run(ExecutionPlan plan, Tensor[] inputs, WorkerPool pool, out int guardedSteps)
    {
        IReadOnlyList<PlanStep> steps = plan.Steps;
        long largest = 0;
        foreach (PlanStep step in steps) largest = Math.Max(largest, step.Kernel.ScratchBytes);
        long trailBytes = Math.Max(MinTrailBytes, largest);
        long blockBytes = LeadBytes + largest + trailBytes;
        byte[] canary = Canary(checked((int)blockBytes));
        byte* block = (byte*)NativeMemory.AlignedAlloc((nuint)blockBytes, 64);
        byte* arena = (byte*)NativeMemory.AlignedAlloc((nuint)(plan.ArenaBytes + ArenaTailBytes), 64);
        guardedSteps = 0;
        try
        {
            Fill(arena, plan.ArenaBytes);
            new ReadOnlySpan<byte>(canary, 0, ArenaTailBytes).CopyTo(new Span<byte>(arena + plan.ArenaBytes, ArenaTailBytes));
            for (int i = 0; i < plan.InputBuffers.Count; i++)
            {
                BufferRef b = plan.InputBuffers[i];
                if (b.Bytes > 0) inputs[i].AsBytes()[..(int)b.Bytes].CopyTo(new Span<byte>((void*)b.Resolve((nint)arena), (int)b.Bytes));
            }

            byte* scratch = block + LeadBytes;
            for (int s = 0; s < steps.Count; s++)
            {
                PlanStep step = steps[s];
                long declared = Math.Max(0, step.Kernel.ScratchBytes);
                if (step.Scratch.IsPresent)
                {
                    guardedSteps++;
                    if (!step.Scratch.IsInArena || step.Scratch.Bytes != declared || step.Scratch.Offset % MemoryPlanner.Alignment != 0
                        || step.Scratch.Offset + declared > plan.ArenaBytes)
                        throw new ScratchOverrunException($"step {s} ({step.Node}): planned scratch {step.Scratch} does not hold its {declared} bytes in the arena");
                    Fill(arena + step.Scratch.Offset, declared);
                }
                else if (declared > 0)
                {
                    throw new ScratchOverrunException($"step {s} ({step.Node}) asks for {declared} bytes of scratch but the plan gave it none");
                }

                new ReadOnlySpan<byte>(canary, 0, LeadBytes).CopyTo(new Span<byte>(block, LeadBytes));
                Fill(scratch, declared);
                long trail = LeadBytes + declared;
                new ReadOnlySpan<byte>(canary, (int)trail, (int)trailBytes).CopyTo(new Span<byte>(block + trail, (int)trailBytes));

                RunStep(step, (nint)arena, (nint)scratch, declared, pool);

                Check(block, canary, 0, LeadBytes, after: false, s, step, declared);
                Check(block, canary, trail, trailBytes, after: true, s, step, declared);
                if (!new ReadOnlySpan<byte>(arena + plan.ArenaBytes, ArenaTailBytes).SequenceEqual(new ReadOnlySpan<byte>(canary, 0, ArenaTailBytes)))
                    throw new ScratchOverrunException($"step {s} ({step.Node}) wrote past the end of the {plan.ArenaBytes}-byte arena");
            }

            var outputs = new Tensor[plan.OutputBuffers.Count];
            for (int o = 0; o < outputs.Length; o++)
            {
                outputs[o] = Tensor.Zeros(plan.OutputInfos[o].Type, plan.OutputInfos[o].Shape);
                BufferRef b = plan.OutputBuffers[o];
                if (b.Bytes > 0) new ReadOnlySpan<byte>((void*)b.Resolve((nint)arena), (int)b.Bytes).CopyTo(outputs[o].AsBytes());
            }
            return outputs;
        }
        finally
        {
            NativeMemory.AlignedFree(arena);
            NativeMemory.AlignedFree(block);
        }
    }

    /// <summary>One step, its buffers resolved exactly as <see cref="ExecutionPlan"/> resolves them, its scratch our own.</summary>
    private static void RunStep(PlanStep step, nint arena, nint scratch, long scratchBytes, WorkerPool pool)
    {
        var inPointers = new nint[step.Inputs.Length];
        var inBytes = new long[step.Inputs.Length];
        for (int i = 0; i < inPointers.Length; i++)
        {
            inPointers[i] = step.Inputs[i].Resolve(arena);
            inBytes[i] = Math.Max(0, step.Inputs[i].Bytes);
        }
        var outPointers = new nint[step.Outputs.Length];
        var outBytes = new long[step.Outputs.Length];
        for (int o = 0; o < outPointers.Length; o++)
        {
            outPointers[o] = step.Outputs[o].Resolve(arena);
            outBytes[o] = Math.Max(0, step.Outputs[o].Bytes);
        }
        step.Kernel.Run(new KernelIO(inPointers, inBytes, outPointers, outBytes, scratch, scratchBytes, pool));
    }

    /// <summary>Throws, saying how far from the scratch's nearer edge, when the band [start, start + length) was written.</summary>
    private static void Check(byte* block, byte[] canary, long start, long length, bool after, int s, PlanStep step, long declared)
    {
        var actual = new ReadOnlySpan<byte>(block + start, (int)length);
        var expected = new ReadOnlySpan<byte>(canary, (int)start, (int)length);
        if (actual.SequenceEqual(expected)) return;
        int first = actual.CommonPrefixLength(expected), last = (int)length - 1;
        while (actual[last] == expected[last]) last--;
        (long near, long far) = after ? (first, last) : (length - 1 - last, length - 1 - first);
        throw new ScratchOverrunException($"step {s} ({step.Node}, {step.Kernel.GetType().Name}) wrote bytes {near}..{far} "
            + $"{(after ? "past the end" : "before the start")} of its {declared}-byte scratch");
    }

    /// <summary>A band pattern that no float a kernel computes is likely to reproduce byte for byte.</summary>
    private static byte[] Canary(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(0xA5 ^ (i * 29) ^ (i >> 8));
        return bytes;
    }

    private static void Fill(byte* p, long bytes)
    {
        new Span<uint>(p, checked((int)(bytes / 4))).Fill(Poison);
        for (long i = bytes / 4 * 4; i < bytes; i++) p[i] = 0xFF;
    }
}

/// <summary>A kernel wrote outside its scratch (or the plan placed its scratch wrongly).</summary>
internal sealed class ScratchOverrunException(string message) : Exception(message);
