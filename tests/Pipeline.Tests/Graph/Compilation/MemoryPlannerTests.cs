using Pipeline.Graph.Compilation;

namespace Pipeline.Tests.Graph.Compilation;

/// <summary>The arena allocator: buffers alive together never overlap, memory is reused, offsets are aligned.</summary>
public sealed class MemoryPlannerTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void NeverOverlapsLiveBuffersAndReusesDeadOnes(int seed)
    {
        var random = new Random(seed);
        int n = 20 + random.Next(200);
        var buffers = new BufferLifetime[n];
        for (int i = 0; i < n; i++)
        {
            int start = random.Next(100);
            buffers[i] = new BufferLifetime(random.Next(4) == 0 ? 0 : random.Next(1, 1 << 16), start, start + random.Next(10));
        }
        var offsets = new long[n];
        long total = MemoryPlanner.Plan(buffers, offsets);

        AssertPlaced(buffers, offsets, total);
        long naive = buffers.Sum(b => MemoryPlanner.Align(b.Bytes)), peakLive = 0;
        for (int t = 0; t < 110; t++)
            peakLive = Math.Max(peakLive, buffers.Where(b => b.First <= t && t <= b.Last).Sum(b => MemoryPlanner.Align(b.Bytes)));
        Assert.InRange(total, peakLive, naive);
        Assert.True(total < naive, "some memory must be reused");
    }

    [Fact]
    public void AChainNeedsTwoBuffers()
    {
        // x0 → x1 → x2 → …: each value is written at step t and read at t + 1.
        var buffers = Enumerable.Range(0, 10).Select(t => new BufferLifetime(1000, t, t + 1)).ToArray();
        var offsets = new long[buffers.Length];
        Assert.Equal(2 * MemoryPlanner.Align(1000), MemoryPlanner.Plan(buffers, offsets));
    }

    [Fact]
    public void ScratchReusesTheMemoryOfValuesDeadByItsStep()
    {
        // a (written at 0, last read at 1) is dead at step 3, when the kernel that needs scratch runs; b is alive then.
        BufferLifetime[] buffers = [new(1000, 0, 1), new(1000, 1, 3), new(1000, 3, 3)];
        var offsets = new long[3];
        Assert.Equal(2 * MemoryPlanner.Align(1000), MemoryPlanner.PlanWithScratch(buffers, 2, offsets));
        Assert.NotEqual(offsets[1], offsets[2]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void ScratchNeverOverlapsLiveValuesAndNeverCostsMoreThanASharedRegion(int seed)
    {
        var random = new Random(seed);
        int values = 20 + random.Next(100), kernels = 10 + random.Next(50);
        var buffers = new BufferLifetime[values + kernels];
        for (int i = 0; i < values; i++)
        {
            int start = random.Next(60);
            buffers[i] = new BufferLifetime(random.Next(1, 1 << 16), start, start + random.Next(10));
        }
        // One kernel per step, as in a plan.
        int[] steps = Enumerable.Range(1, 69).OrderBy(_ => random.Next()).ToArray();
        for (int i = values; i < buffers.Length; i++)
            buffers[i] = new BufferLifetime(random.Next(1, 1 << 18), steps[i - values], steps[i - values]);
        var offsets = new long[buffers.Length];
        long total = MemoryPlanner.PlanWithScratch(buffers, values, offsets);

        var alone = new long[values];
        long shared = MemoryPlanner.Plan(buffers[..values], alone) + buffers[values..].Max(b => MemoryPlanner.Align(b.Bytes));
        Assert.True(total <= shared, $"{total} bytes, more than the values plus one shared scratch region ({shared})");
        AssertPlaced(buffers, offsets, total);
    }

    /// <summary>Every offset aligned and inside the arena; buffers alive at a common step never share a byte.</summary>
    private static void AssertPlaced(BufferLifetime[] buffers, long[] offsets, long total)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            Assert.Equal(0, offsets[i] % MemoryPlanner.Alignment);
            Assert.True(offsets[i] + MemoryPlanner.Align(buffers[i].Bytes) <= total);
            for (int j = i + 1; j < buffers.Length; j++)
            {
                if (!buffers[i].Overlaps(buffers[j])) continue;
                bool disjoint = offsets[i] + MemoryPlanner.Align(buffers[i].Bytes) <= offsets[j] || offsets[j] + MemoryPlanner.Align(buffers[j].Bytes) <= offsets[i];
                Assert.True(disjoint, $"buffers {i} and {j} are alive together but overlap");
            }
        }
    }
}
