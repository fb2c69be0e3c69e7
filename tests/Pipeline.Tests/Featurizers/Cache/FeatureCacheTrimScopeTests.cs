using Pipeline.Featurizers.Cache;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Featurizers.Cache;

/// <summary>
/// Trimming deletes the cache's own entries and nothing else: not files behind a linked folder or a linked entry, and
/// not files inside the cache folder that it did not write.
/// </summary>
public sealed class FeatureCacheTrimScopeTests
{
    private const long Bound = 20 * 4096; // each 1000-float entry takes one 4 KiB block
    private static readonly DateTime LongAgo = DateTime.UtcNow.AddDays(-30);

    private static FeatureCacheKey Key(int image) => FeatureCacheKey.Create(PackageSamples.Bytes(500, image), "trim-scope-test");

    private static float[] Vector(int seed) => Enumerable.Range(0, 1000).Select(i => (float)Math.Sin(seed * 1000 + i)).ToArray();

    /// <summary>A file that would be the first to go if the trim took it for an entry: old, and bigger than the bound.</summary>
    private static string OldFile(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var stream = new FileStream(path, FileMode.CreateNew)) stream.SetLength(2 * Bound); // sparse
        File.SetLastWriteTimeUtc(path, LongAgo);
        File.SetLastAccessTimeUtc(path, LongAgo);
        return path;
    }

    [Fact]
    public void TrimNeverFollowsLinksNorDeletesFilesItDidNotWrite()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "creating symbolic links needs privileges on Windows");
        using var folder = new ScratchFolder("features-trim-scope");
        using var victim = new ScratchFolder("trim-victim");
        var cache = new FeatureCache(folder.Path, new FeatureCacheOptions { MaxBytes = Bound });
        FeatureCacheKey[] keys = Enumerable.Range(0, 40).Select(Key).ToArray();
        for (int i = 0; i < 12; i++) cache.Set(keys[i], Vector(i));
        string entries = Path.Combine(folder.Path, "v1");
        string shard = Path.GetDirectoryName(cache.PathOf(keys[0]))!;
        string unusedShard = Enumerable.Range(0, 256).Select(i => i.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))
            .First(name => keys.All(k => !k.ToString().StartsWith(name, StringComparison.Ordinal)));
        string entryName = unusedShard + new string('0', 62) + ".f32";

        // A link to a folder of the user's, under a name a shard never has and under one it could have.
        string[] userFiles =
        [
            OldFile(Path.Combine(victim.Path, "keep.f32")),
            OldFile(Path.Combine(victim.Path, entryName)),
            OldFile(Path.Combine(victim.Path, "." + unusedShard + new string('0', 62) + ".0123456789ab.tmp")),
            OldFile(Path.Combine(victim.Path, "deeper", "keep.f32")),
        ];
        Directory.CreateSymbolicLink(Path.Combine(entries, "zz"), victim.Path);
        Directory.CreateSymbolicLink(Path.Combine(entries, unusedShard), victim.Path);
        // A link named like an entry, to a file of the user's.
        string linkedTarget = OldFile(Path.Combine(victim.Path, "linked.f32"));
        File.CreateSymbolicLink(Path.Combine(shard, Path.GetFileName(cache.PathOf(keys[0]))[..2] + new string('1', 62) + ".f32"), linkedTarget);
        // Files in the cache folder that the cache did not write.
        string[] strays =
        [
            OldFile(Path.Combine(entries, "stray.f32")),
            OldFile(Path.Combine(shard, "notes.f32")),
            OldFile(Path.Combine(shard, "notes.tmp")),
            OldFile(Path.Combine(shard, "sub", "nested.f32")),
            OldFile(Path.Combine(folder.Path, "beside.f32")),
        ];

        for (int i = 12; i < keys.Length; i++) cache.Set(keys[i], Vector(i)); // past the bound: trims

        Assert.True(cache.Evictions > 0);
        foreach (string file in userFiles.Append(linkedTarget).Concat(strays)) Assert.True(File.Exists(file), $"{file} was deleted");
        // Only the entries count, so the trim kept about 90 % of the bound of them rather than deleting them all.
        long entryBytes = keys.Count(k => File.Exists(cache.PathOf(k))) * 4096L;
        Assert.Equal(entryBytes, cache.Trim());
        Assert.InRange(entryBytes, Bound / 2, Bound);
    }

    [Fact]
    public void AWriteNeverGoesThroughALinkedShard()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "creating symbolic links needs privileges on Windows");
        using var folder = new ScratchFolder("features-linked-shard");
        using var victim = new ScratchFolder("linked-shard-victim");
        var cache = new FeatureCache(folder.Path);
        FeatureCacheKey key = Key(1);
        string shard = Path.GetDirectoryName(cache.PathOf(key))!;
        Directory.CreateDirectory(Path.GetDirectoryName(shard)!);
        Directory.CreateSymbolicLink(shard, victim.Path);

        // Entries written there would be outside what the trim counts: the write fails, as a full disk's would.
        Assert.Throws<IOException>(() => cache.Set(key, Vector(1)));
        Assert.Empty(victim.ListFiles());
        Assert.False(cache.TryGet(key, out _));
    }
}
