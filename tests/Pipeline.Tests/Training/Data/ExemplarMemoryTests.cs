using Pipeline.Training;
using Pipeline.Training.Data;

namespace Pipeline.Tests.Training.Data;

public sealed class ExemplarMemoryTests
{
    // Class 0 holds 0, 10, 4, 6 (mean 5); class 1 holds 100, 102; class 2 has no row.
    private static readonly FeatureSet Rows = new(new float[] { 0, 10, 100, 4, 6, 102 }, 1, new[] { 0, 0, 1, 0, 0, 1 }, 3);

    private static ExemplarMemory Select(FeatureSet rows, int perClass, int threads = 1)
        => ExemplarMemory.Select(rows, perClass, threads, TestContext.Current.CancellationToken);

    private static float[] Vectors(ExemplarMemory memory, int label)
    {
        FeatureSet one = new(new float[memory.Dimension], memory.Dimension, new[] { 0 }, memory.ClassCount);
        return memory.AppendTo(one, [label]).Features.Span[memory.Dimension..].ToArray();
    }

    [Fact]
    public void HerdingPicksTheRowsWhoseRunningMeanStaysClosestToTheClassMean()
    {
        ExemplarMemory memory = Select(Rows, 3);
        // 4 and 6 tie for the first pick (the earlier row wins); 6 then makes the mean exact; 0 and 10 tie for the third.
        Assert.Equal([4f, 6f, 0f], Vectors(memory, 0));
        Assert.Equal([100f, 102f], Vectors(memory, 1));
        Assert.Empty(Vectors(memory, 2));
        Assert.Equal([3, 2, 0], new[] { memory.CountOf(0), memory.CountOf(1), memory.CountOf(2) });
        Assert.Equal(0, Select(Rows, 0).CountOf(0));
    }

    [Fact]
    public void AppendToAddsTheNamedClassesAfterTheData()
    {
        ExemplarMemory memory = Select(Rows, 2);
        FeatureSet data = new(new float[] { 7, 8 }, 1, new[] { 1, 2 }, 3);
        FeatureSet appended = memory.AppendTo(data, [0]);
        Assert.Equal([7f, 8f, 4f, 6f], appended.Features.ToArray());
        Assert.Equal([1, 2, 0, 0], appended.Labels.ToArray());
        Assert.Equal(3, appended.ClassCount);
        Assert.Throws<ArgumentException>(() => memory.AppendTo(new FeatureSet(new float[2], 2, new[] { 0 }, 3), [0]));
    }

    private static readonly byte[] HeadHash = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    [Fact]
    public void RoundTripsThroughItsBytes()
    {
        var random = new Random(3);
        float[] features = [.. Enumerable.Range(0, 40 * 7).Select(_ => (float)random.NextDouble() - 0.5f)];
        var set = new FeatureSet(features, 7, Enumerable.Range(0, 40).Select(i => i % 4).ToArray(), 5);
        ExemplarMemory memory = Select(set, 6);
        ExemplarMemory read = ExemplarMemory.ReadFor(memory.Serialize(HeadHash), HeadHash, 5, 7)!;
        for (int c = 0; c < 5; c++) Assert.Equal(Vectors(memory, c), Vectors(read, c));
        Assert.Equal(memory.Serialize(HeadHash), read.Serialize(HeadHash));
        Assert.Equal(memory.Serialize(HeadHash), Select(set, 6, threads: 4).Serialize(HeadHash)); // any thread count
    }

    [Fact]
    public void AMemoryWrittenForAnotherHeadIsIgnored()
    {
        byte[] bytes = Select(Rows, 2).Serialize(HeadHash);
        byte[] otherHead = (byte[])HeadHash.Clone();
        otherHead[0] ^= 1;
        Assert.NotNull(ExemplarMemory.ReadFor(bytes, HeadHash, 3, 1));
        Assert.Null(ExemplarMemory.ReadFor(bytes, otherHead, 3, 1));
        Assert.Null(ExemplarMemory.ReadFor(bytes, HeadHash, 4, 1));
        Assert.Null(ExemplarMemory.ReadFor(bytes, HeadHash, 3, 2));
    }

    [Fact]
    public void ALaterVersionIsIgnored_NotAnError()
    {
        // A newer library may change the entry; a model it wrote still loads here, and retrains without the vectors.
        byte[] later = [.. "PEXM"u8, 2, 0, 0, 0, .. "a layout this library cannot know"u8];
        ExemplarMemory.Validate(later);
        Assert.Null(ExemplarMemory.ReadFor(later, HeadHash, 3, 1));
    }

    [Fact]
    public void BrokenBytesAreInvalidDataNamingTheProblem()
    {
        byte[] good = Select(Rows, 2).Serialize(HeadHash);
        void Refused(byte[] bytes, string expected)
        {
            Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => ExemplarMemory.ReadFor(bytes, HeadHash, 3, 1)).Message);
            if (!expected.Contains("non-finite", StringComparison.Ordinal))
                Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => ExemplarMemory.Validate(bytes)).Message);
        }

        Refused([], "signature");
        Refused([.. "PEXN"u8, .. good[4..]], "signature");
        Refused([.. good[..4], 0, 0, 0, 0, .. good[8..]], "version 0, which never existed");
        Refused([.. good[..8], 0, 0, 0, 0x80, .. good[12..]], "claims -2147483648 classes");
        Refused(good[..^1], "ends before class 2");
        Refused(good[..^5], "class 1 of the exemplar memory claims 2 vectors, more than the entry holds");
        Refused(good[..48], "ends before class 0");
        Refused(good[..47], "48-byte header");
        Refused([.. good, 0], "1 bytes after its last vector");
        byte[] huge = (byte[])good.Clone();
        huge[48] = 0xFF; huge[49] = 0xFF; huge[50] = 0xFF; huge[51] = 0x7F;
        Refused(huge, "claims 2147483647 vectors");
        byte[] nan = (byte[])good.Clone();
        BitConverter.GetBytes(float.NaN).CopyTo(nan, 52);
        Refused(nan, "non-finite");
    }

    [Fact]
    public void KeepingTakesTheFirstVectorsOfTheNamedClassesFromTheOlderMemory()
    {
        ExemplarMemory old = Select(Rows, 3);
        ExemplarMemory fresh = Select(new FeatureSet(new float[] { 50, 52 }, 1, new[] { 1, 1 }, 3), 2);
        ExemplarMemory merged = fresh.Keeping(old, [0], 2);
        Assert.Equal([4f, 6f], Vectors(merged, 0));
        Assert.Equal([50f, 52f], Vectors(merged, 1));
        Assert.Empty(Vectors(merged, 2));
    }
}
