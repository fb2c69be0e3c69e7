using Pipeline.Graph.Execution;

namespace Pipeline.Tests.Graph.Execution;

public sealed unsafe class LargeBlockTests
{
    [Theory]
    [InlineData(64L)]
    [InlineData(LargeBlock.MapThreshold - 1)]
    [InlineData(LargeBlock.MapThreshold)]
    [InlineData(37L << 20)]
    public void BlocksOfEverySizeAreAlignedWritableAndFreed(long bytes)
    {
        for (int round = 0; round < 3; round++)
        {
            byte* block = (byte*)LargeBlock.Allocate(bytes);
            Assert.Equal(0, (long)block % 64);
            // Write the first byte of every page and the last byte of the block, and read them back.
            for (long i = 0; i < bytes; i += 4096) block[i] = (byte)(i >> 12);
            for (long i = 0; i < bytes; i += 4096) Assert.Equal((byte)(i >> 12), block[i]);
            block[bytes - 1] = 0xAB;
            Assert.Equal(0xAB, block[bytes - 1]);
            LargeBlock.Free(block, bytes);
        }
    }

    [Fact]
    public void AWorkspaceOfAMappedSizeRentsAndReturns()
    {
        using var pool = new WorkspacePool(8L << 20);
        Workspace first = pool.Rent();
        Workspace second = pool.Rent();
        Assert.NotEqual(first.Pointer, second.Pointer);
        ((byte*)first.Pointer)[(8L << 20) - 1] = 1;
        pool.Return(first);
        Assert.Equal(first.Pointer, pool.Rent().Pointer);
        pool.Return(second);
    }
}
