using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tests.Tensors;

public sealed class WorkerPoolTests
{
    private struct MarkBody(int[] hits) : IParallelBody
    {
        public void Invoke(int index) => Interlocked.Increment(ref hits[index]);
    }

    private struct ThrowingBody : IParallelBody
    {
        public void Invoke(int index)
        {
            if (index == 7) throw new InvalidOperationException("item 7");
        }
    }

    private struct NestedBody(WorkerPool pool, int[] hits) : IParallelBody
    {
        public void Invoke(int index)
        {
            var inner = new MarkBody(hits);
            pool.For(4, ref inner); // the pool is busy: this runs inline
        }
    }

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 1)]
    [InlineData(2, 1000)]
    [InlineData(4, 3)]
    public void EveryIndexRunsExactlyOnce(int threads, int count)
    {
        using var pool = new WorkerPool(threads);
        for (int round = 0; round < 50; round++)
        {
            int[] hits = new int[count];
            var body = new MarkBody(hits);
            pool.For(count, ref body);
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void AnItemsExceptionReachesTheCaller()
    {
        using var pool = new WorkerPool(2);
        var body = new ThrowingBody();
        var e = Assert.Throws<InvalidOperationException>(() => pool.For(100, ref body));
        Assert.Equal("item 7", e.Message);
        int[] hits = new int[10];
        var ok = new MarkBody(hits);
        pool.For(10, ref ok); // still usable afterwards
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void NestedLoopsRunInline()
    {
        using var pool = new WorkerPool(2);
        int[] hits = new int[4];
        var body = new NestedBody(pool, hits);
        pool.For(10, ref body);
        Assert.All(hits, h => Assert.Equal(10, h));
    }

    [Fact]
    public void ManyCallersShareOnePool()
    {
        using var pool = new WorkerPool(2);
        int[][] results = new int[8][];
        Parallel.For(0, 8, t =>
        {
            int[] hits = new int[257];
            for (int round = 0; round < 100; round++)
            {
                var body = new MarkBody(hits);
                pool.For(hits.Length, ref body);
            }
            results[t] = hits;
        });
        foreach (int[] hits in results) Assert.All(hits, h => Assert.Equal(100, h));
    }
}
