using Pipeline.Graph;
using Pipeline.Graph.Execution;
using Pipeline.Tensors;

namespace Pipeline.Tests.Graph.Compilation;

/// <summary>Planned memory: reuse, in-place, aliasing, and zero allocation per run in steady state.</summary>
public sealed class ExecutorMemoryTests
{
    private static OnnxBuilder ChainOf(string op, int length, int width)
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, width);
        string previous = "x";
        for (int i = 0; i < length; i++)
        {
            string next = i == length - 1 ? "y" : $"v{i}";
            builder.Node(op, [previous], [next], $"n{i}");
            previous = next;
        }
        return builder.Output("y");
    }

    private static ExecutionPlan PlanOf(Network network, int width) => network.PlanFor([Tensor.Create(new float[width], 1, width)]);

    [Fact]
    public void InPlaceChainUsesOneBuffer()
    {
        using Network network = NetworkTests.Load(ChainOf("TRelu", 10, 1024));
        Assert.Equal(4096, PlanOf(network, 1024).ArenaBytes);
        float[] x = Enumerable.Range(0, 1024).Select(i => i - 512f).ToArray();
        Assert.Equal(x.Select(v => MathF.Max(v, 0)), network.Run(Tensor.Create(x, 1, 1024))[0].AsSpan<float>().ToArray());
    }

    [Fact]
    public void OutOfPlaceChainAlternatesTwoBuffers()
    {
        using Network network = NetworkTests.Load(ChainOf("TScale", 10, 1024));
        Assert.Equal(8192, PlanOf(network, 1024).ArenaBytes);
        float[] x = Enumerable.Range(0, 1024).Select(i => (float)i).ToArray();
        Assert.Equal(x.Select(v => v * 1024f), network.Run(Tensor.Create(x, 1, 1024))[0].AsSpan<float>().ToArray());
    }

    [Fact]
    public void KernelScratchLivesInTheArenaApartFromItsOwnStepsBuffers()
    {
        // Four 3×3 convs (their GEMM packs im2col panels into scratch): each step's scratch must miss the buffers it reads
        // and writes, and the plan must reuse memory between scratch and values that are dead by then.
        const int c = 8, size = 20;
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, c, size, size);
        string previous = "x";
        for (int i = 0; i < 4; i++)
        {
            builder.Initializer($"w{i}", Enumerable.Range(0, c * c * 9).Select(v => MathF.Sin(v + i) * 0.2f).ToArray(), c, c, 3, 3);
            string next = i == 3 ? "y" : $"v{i}";
            builder.Node("Conv", [previous, $"w{i}"], [next], $"conv{i}", OnnxBuilder.Ints("pads", 1, 1, 1, 1));
            previous = next;
        }
        using Network network = NetworkTests.Load(builder.Output("y"), new NetworkOptions { Threads = 1 });
        var input = Tensor.Create(Enumerable.Range(0, c * size * size).Select(v => MathF.Cos(v)).ToArray(), 1, c, size, size);
        ExecutionPlan plan = network.PlanFor([input]);

        long values = 0, scratch = 0;
        foreach (PlanStep step in plan.Steps)
        {
            Assert.True(step.Scratch.IsInArena, $"{step.Node} has no scratch in the arena");
            scratch = Math.Max(scratch, step.Scratch.Bytes);
            foreach (BufferRef b in step.Inputs.Concat(step.Outputs).Where(b => b.IsInArena))
            {
                values = Math.Max(values, b.Offset + b.Bytes);
                Assert.True(b.Offset + b.Bytes <= step.Scratch.Offset || step.Scratch.Offset + step.Scratch.Bytes <= b.Offset,
                    $"{step.Node}'s scratch overlaps one of its own buffers");
            }
        }
        Assert.True(plan.ArenaBytes < values + scratch, $"arena {plan.ArenaBytes} bytes: the scratch reused no memory");

        using Network reference = NetworkTests.Load(builder, new NetworkOptions { Threads = 1, OptimizeGraph = false });
        Assert.Equal(reference.Run(input)[0].AsSpan<float>().ToArray(), network.Run(input)[0].AsSpan<float>().ToArray());
    }

    [Fact]
    public void InPlaceIsRefusedWhileTheInputIsStillNeeded()
    {
        // relu(x) → r; x + r → y: relu must not overwrite x, which the add reads afterwards.
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, 4)
            .Node("TRelu", ["x"], ["r"]).Node("TAdd", ["x", "r"], ["y"]).Output("y");
        using Network network = NetworkTests.Load(builder);
        Tensor y = network.Run(Tensor.Create(new float[] { -2, -1, 1, 2 }, 1, 4))[0];
        Assert.Equal([-2f, -1, 2, 4], y.AsSpan<float>().ToArray());
    }

    [Fact]
    public void AliasesShareTheirInputsBuffer()
    {
        var target = new Pipeline.Graph.Onnx.Proto.TensorProto { Name = "t", DataType = (int)DataType.Int64 };
        target.Dims.Add(2);
        target.Int64Data.AddRange([4, 2]);
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 2, 4).Initializer(target)
            .Node("TScale", ["x"], ["s"]).Node("TReshape", ["s", "t"], ["r"]).Node("TScale", ["r"], ["y"]).Output("y");
        using Network network = NetworkTests.Load(builder);
        ExecutionPlan plan = network.PlanFor([Tensor.Create(new float[8], 2, 4)]);
        Assert.Equal(2, plan.Steps.Count); // the reshape runs no kernel
        Assert.Equal(plan.Steps[0].Outputs[0].Offset, plan.Steps[1].Inputs[0].Offset);
        Tensor y = network.Run(Tensor.Create(Enumerable.Range(0, 8).Select(i => (float)i).ToArray(), 2, 4))[0];
        Assert.Equal([4, 2], y.ShapeArray());
        Assert.Equal(Enumerable.Range(0, 8).Select(i => 4f * i), y.AsSpan<float>().ToArray());
    }

    [Fact]
    public void SteadyStateRunsAllocateNothing()
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, 256)
            .Initializer("b", new float[256], 1, 256)
            .Node("TAdd", ["x", "x"], ["a"]).Node("TAdd", ["a", "b"], ["c"]).Node("TRelu", ["c"], ["y"]).Output("y");
        using Network network = NetworkTests.Load(builder, new NetworkOptions { Threads = 2 });
        var x = new float[3 * 256];
        var y = new float[3 * 256];
        int[] batch3 = [3, 256], batch1 = [1, 256];
        // Batch 3 runs image by image here (the [1,256] constant does not broadcast); batch 1 taps an intermediate.
        Assert.Equal(0, SteadyStateAllocation(() => network.Run(x, batch3, y)));
        Assert.Equal(0, SteadyStateAllocation(() => network.Run(x.AsSpan(0, 256), batch1, y.AsSpan(0, 256), "a")));
    }

    /// <summary>
    /// Bytes one round of 20 runs allocates once warm. The runtime's tiered JIT may allocate on the calling thread
    /// while it promotes methods during the first rounds, so rounds repeat (with pauses for tier-up) until one is
    /// quiet; the engine's own code must then allocate nothing.
    /// </summary>
    private static long SteadyStateAllocation(Action run)
    {
        long least = long.MaxValue;
        for (int round = 0; round < 10 && least > 0; round++)
        {
            for (int i = 0; i < 30; i++) run();
            Thread.Sleep(20);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) run();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
