using System.Security.Cryptography;
using Pipeline.Featurizers.Cache;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Featurizers.Cache;

public sealed class FeatureCacheTests
{
    private const string Fingerprint = "backbone=sha256:7aad0c74;tap=MobilenetV2/Conv_1/Relu6;pool=gem:3;prep=u8-nhwc-224;kernels=1";

    private static float[] Vector(int seed, int length = 1280)
    {
        var random = new Random(seed);
        var v = new float[length];
        for (int i = 0; i < length; i++) v[i] = (float)(random.NextDouble() * 4 - 2);
        return v;
    }

    private static FeatureCacheKey Key(int image, string fingerprint = Fingerprint) => FeatureCacheKey.Create(PackageSamples.Bytes(500, image), fingerprint);

    private static long DiskBytes(FeatureCache cache) =>
        Directory.Exists(cache.Folder)
            ? Directory.GetFiles(cache.Folder, "*.f32", SearchOption.AllDirectories).Sum(f => (new FileInfo(f).Length + 4095) / 4096 * 4096)
            : 0;

    [Fact]
    public void AMissThenAHitWithBitIdenticalValuesAcrossInstances()
    {
        using var folder = new ScratchFolder("features");
        var cache = new FeatureCache(folder.Path);
        FeatureCacheKey key = Key(1);
        Assert.False(cache.TryGet(key, out _));

        float[] values = [1.5f, -0f, float.NaN, float.PositiveInfinity, float.Epsilon, -3.25e-38f, float.MaxValue];
        cache.Set(key, values);
        Assert.True(cache.TryGet(key, out float[]? hit));
        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), hit.Select(BitConverter.SingleToInt32Bits));

        // A new instance (another run or process) sees the same entry.
        var later = new FeatureCache(folder.Path);
        Assert.True(later.TryGet(key, out float[]? again));
        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), again.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal((1L, 1L, 1L), (cache.Hits, cache.Misses, cache.Writes));

        string name = key.ToString();
        Assert.Equal(Path.Combine(folder.Path, "v1", name[..2], name + ".f32"), cache.PathOf(key));
        Assert.True(File.Exists(cache.PathOf(key)));
    }

    [Fact]
    public void AChangedImageOrFeaturizerIsAMiss()
    {
        using var folder = new ScratchFolder("features");
        var cache = new FeatureCache(folder.Path);
        byte[] image = PackageSamples.Bytes(5000, 3);
        cache.Set(FeatureCacheKey.Create(image, Fingerprint), Vector(1));

        Assert.True(cache.TryGet(FeatureCacheKey.Create(image, Fingerprint), out _));
        Assert.False(cache.TryGet(FeatureCacheKey.Create(image, Fingerprint.Replace("gem:3", "gap", StringComparison.Ordinal)), out _));
        Assert.False(cache.TryGet(FeatureCacheKey.Create(image, Fingerprint.Replace("kernels=1", "kernels=2", StringComparison.Ordinal)), out _));
        byte[] edited = (byte[])image.Clone();
        edited[4000] ^= 1;
        Assert.False(cache.TryGet(FeatureCacheKey.Create(edited, Fingerprint), out _));

        Assert.Equal(FeatureCacheKey.Create(image, Fingerprint), FeatureCacheKey.FromImageSha256(SHA256.HashData(image), Fingerprint));
        Assert.NotEqual(FeatureCacheKey.Create(image, "a"), FeatureCacheKey.Create(image, "b"));
    }

    public static TheoryData<string> Corruptions => ["truncate", "extend", "payload-bit", "header-bit", "dims", "crc", "empty", "wrong-key", "garbage"];

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void ACorruptEntryIsAMissIsDeletedAndIsRewritten(string corruption)
    {
        using var folder = new ScratchFolder("features");
        var cache = new FeatureCache(folder.Path);
        FeatureCacheKey key = Key(5);
        float[] values = Vector(5);
        cache.Set(key, values);
        string path = cache.PathOf(key);
        byte[] file = File.ReadAllBytes(path);
        byte[] damaged = corruption switch
        {
            "truncate" => file[..^3],
            "extend" => [.. file, 0],
            "payload-bit" => Flip(file, 48 + 1000),
            "header-bit" => Flip(file, 5),
            "dims" => Flip(file, 8),
            "crc" => Flip(file, 13),
            "empty" => [],
            "wrong-key" => EntryOfAnotherKey(cache),
            _ => PackageSamples.Bytes(file.Length, 9),
        };
        File.WriteAllBytes(path, damaged);

        Assert.False(cache.TryGet(key, out float[]? wrong));
        Assert.Null(wrong);
        Assert.Equal(1, cache.CorruptEntries);
        Assert.False(File.Exists(path));

        cache.Set(key, values);
        Assert.True(cache.TryGet(key, out float[]? rewritten));
        Assert.Equal(values, rewritten);
    }

    private static byte[] Flip(byte[] file, int at)
    {
        byte[] copy = (byte[])file.Clone();
        copy[at] ^= 0x10;
        return copy;
    }

    private static byte[] EntryOfAnotherKey(FeatureCache cache)
    {
        FeatureCacheKey other = Key(77);
        cache.Set(other, Vector(5));
        return File.ReadAllBytes(cache.PathOf(other));
    }

    [Fact]
    public async Task ManyWritersAndReadersNeverSeeWrongOrPartialData()
    {
        using var folder = new ScratchFolder("features");
        const int Keys = 40;
        FeatureCacheKey[] keys = Enumerable.Range(0, Keys).Select(i => Key(1000 + i)).ToArray();
        float[][] expected = Enumerable.Range(0, Keys).Select(i => Vector(i, 300 + i)).ToArray();
        int hits = 0;

        // Each worker has its own instance, as separate processes would; they share only the folder.
        Task[] workers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            var cache = new FeatureCache(folder.Path);
            var random = new Random(w);
            for (int op = 0; op < 250; op++)
            {
                int k = random.Next(Keys);
                if (random.Next(2) == 0)
                {
                    cache.Set(keys[k], expected[k]);
                }
                else if (cache.TryGet(keys[k], out float[]? got))
                {
                    Assert.Equal(expected[k], got);
                    Interlocked.Increment(ref hits);
                }
                Assert.Equal(0, cache.CorruptEntries);
            }
        }, TestContext.Current.CancellationToken)).ToArray();
        await Task.WhenAll(workers);

        Assert.True(hits > 100, $"{hits} hits");
        var check = new FeatureCache(folder.Path);
        for (int k = 0; k < Keys; k++)
        {
            Assert.True(check.TryGet(keys[k], out float[]? got));
            Assert.Equal(expected[k], got);
        }
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void EvictionKeepsTheCacheUnderItsBoundAndDropsTheLeastRecentlyUsed()
    {
        using var folder = new ScratchFolder("features");
        const long Bound = 50 * 4096; // each 1000-float entry takes one 4 KiB block
        var cache = new FeatureCache(folder.Path, new FeatureCacheOptions { MaxBytes = Bound });
        FeatureCacheKey[] keys = Enumerable.Range(0, 80).Select(i => Key(i)).ToArray();

        // 40 entries, used long ago in the order written.
        DateTime longAgo = DateTime.UtcNow.AddDays(-3);
        for (int i = 0; i < 40; i++)
        {
            cache.Set(keys[i], Vector(i, 1000));
            File.SetLastAccessTimeUtc(cache.PathOf(keys[i]), longAgo.AddMinutes(i));
        }
        // Entry 0, the oldest, is used again now.
        Assert.True(cache.TryGet(keys[0], out _));

        for (int i = 40; i < 80; i++)
        {
            cache.Set(keys[i], Vector(i, 1000));
            Assert.True(DiskBytes(cache) <= Bound, $"{DiskBytes(cache)} bytes after entry {i}");
        }

        Assert.True(cache.Evictions > 0);
        Assert.True(cache.TryGet(keys[0], out _), "the recently used entry was evicted");
        Assert.True(cache.TryGet(keys[79], out _), "the newest entry was evicted");
        Assert.False(cache.TryGet(keys[1], out _), "the least recently used entry survived");
        Assert.Equal(DiskBytes(cache), cache.Trim());
    }

    [Fact]
    public void AStartingProcessCountsWhatIsAlreadyThere()
    {
        using var folder = new ScratchFolder("features");
        var first = new FeatureCache(folder.Path);
        for (int i = 0; i < 30; i++) first.Set(Key(i), Vector(i, 1000));

        var second = new FeatureCache(folder.Path, new FeatureCacheOptions { MaxBytes = 20 * 4096 });
        second.Set(Key(100), Vector(100, 1000));
        Assert.True(DiskBytes(second) <= 20 * 4096);
        Assert.True(second.Evictions >= 11);
    }

    [Fact]
    public void TrimRemovesTempFilesAbandonedByCrashedWriters()
    {
        using var folder = new ScratchFolder("features");
        var cache = new FeatureCache(folder.Path);
        cache.Set(Key(1), Vector(1));
        string shard = Path.GetDirectoryName(cache.PathOf(Key(1)))!;
        // Named as the writer names them: the trim deletes no file it did not write.
        string stale = Path.Combine(shard, $".{Key(1)}.00000000abcd.tmp");
        string fresh = Path.Combine(shard, $".{Key(1)}.00000000ef01.tmp");
        File.WriteAllBytes(stale, [1, 2, 3]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
        File.WriteAllBytes(fresh, [1, 2, 3]);

        cache.Trim();
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
        Assert.True(cache.TryGet(Key(1), out _));
    }

    [Fact]
    public void InvalidVectorsAreRefused()
    {
        using var folder = new ScratchFolder("features");
        var cache = new FeatureCache(folder.Path);
        Assert.Throws<ArgumentException>(() => cache.Set(Key(1), ReadOnlySpan<float>.Empty));
        Assert.Throws<ArgumentException>(() => FeatureCacheKey.FromImageSha256(new byte[31], Fingerprint));
        Assert.Throws<ArgumentException>(() => FeatureCacheKey.Create([1], ""));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureCache(folder.Path, new FeatureCacheOptions { MaxBytes = 0 }));
    }
}
