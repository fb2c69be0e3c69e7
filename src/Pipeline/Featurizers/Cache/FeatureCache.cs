using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Win32.SafeHandles;
using Pipeline.Files;

namespace Pipeline.Featurizers.Cache;

/// <summary>
/// Feature vectors on disk, keyed by image content and featurizer (<see cref="FeatureCacheKey"/>), shared by every run
/// and process that uses the same folder (default <see cref="CacheFolders.Features"/>).
/// <para>
/// Each entry is one small file, <c>&lt;folder&gt;/v1/&lt;first two hex digits&gt;/&lt;key&gt;.f32</c> (256 shards), with a checksummed
/// header (<see cref="FeatureCacheEntry"/>). A lookup is one file open and one read; an entry that is torn, truncated
/// or corrupt is a miss and is deleted, and so is an empty file, a named pipe or a device in its place (never opened).
/// Writes go to a temporary file beside the entry and are renamed into place, so concurrent writers in any number of
/// processes never expose a partial entry (two writers of one key write the same bytes; the last rename wins). The
/// cache is size-bounded: when a process's running estimate passes <see cref="FeatureCacheOptions.MaxBytes"/>, it
/// rescans the folder and deletes the least recently used entries (by file access time, refreshed on hits at most every
/// ten minutes) down to 90 % of the bound. The trim counts and deletes only files named as the cache names them
/// (<see cref="FeatureCacheNames"/>) and skips links, so it never deletes anything outside the folder.
/// </para>
/// All members are thread-safe.
/// </summary>
public sealed class FeatureCache
{
    private const long Block = 4096;
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);

    /// <summary>
    /// One folder level, links skipped (a link to a folder would lead the trim outside the cache), hidden files kept
    /// (temporary files start with a dot).
    /// </summary>
    private static readonly EnumerationOptions OwnFilesOnly = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,
        AttributesToSkip = FileAttributes.ReparsePoint,
        MatchType = MatchType.Simple,
    };

    private readonly string _entries;
    private readonly ConcurrentDictionary<string, bool> _knownShards = new(StringComparer.Ordinal);
    private readonly Lock _scanLock = new();
    private long _estimatedBytes = -1; // -1 until the first write scans the folder
    private int _trimming;
    private long _hits, _misses, _corrupt, _writes, _evicted;

    /// <summary>Opens (creating on first write) the cache in <paramref name="folder"/>.</summary>
    /// <param name="folder">The cache folder; default <see cref="CacheFolders.Features"/>.</param>
    /// <param name="options">The size bound; default <see cref="FeatureCacheOptions.Default"/>.</param>
    public FeatureCache(string? folder = null, FeatureCacheOptions? options = null)
    {
        Folder = Path.GetFullPath(folder ?? CacheFolders.Features);
        options ??= FeatureCacheOptions.Default;
        MaxBytes = options.MaxBytes;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBytes, nameof(options));
        IsReadOnly = options.ReadOnly;
        _entries = Path.Combine(Folder, FeatureCacheNames.EntriesFolder);
    }

    /// <summary>The cache folder.</summary>
    public string Folder { get; }

    /// <summary>The size bound, in bytes of disk space.</summary>
    public long MaxBytes { get; }

    /// <summary>Whether the cache is only read (<see cref="FeatureCacheOptions.ReadOnly"/>): <see cref="Set"/> throws.</summary>
    public bool IsReadOnly { get; }

    /// <summary>Lookups that found an intact entry, since this instance was created.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that found no entry, or a corrupt one.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Entries found corrupt (and deleted).</summary>
    public long CorruptEntries => Interlocked.Read(ref _corrupt);

    /// <summary>Entries written.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Entries this instance deleted to stay under the bound.</summary>
    public long Evictions => Interlocked.Read(ref _evicted);

    /// <summary>Looks up the features cached under <paramref name="key"/>.</summary>
    /// <exception cref="IOException">The file system failed other than by the entry being absent.</exception>
    /// <exception cref="UnauthorizedAccessException">The entry cannot be opened (permissions, or a folder in its place).</exception>
    public bool TryGet(in FeatureCacheKey key, [NotNullWhen(true)] out float[]? features)
    {
        string path = PathOf(key);
        features = null;
        // Opening a named pipe waits for a writer that never comes: whatever is not a regular file with bytes in it,
        // also behind a link, is a broken entry, and its name is removed without opening it (never a link's target).
        if (SpecialFiles.IsEmptyOrSpecial(path)) return Broken(path);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            Interlocked.Increment(ref _misses);
            return false;
        }

        bool corrupt;
        using (handle)
        {
            long length = RandomAccess.GetLength(handle);
            corrupt = length < FeatureCacheEntry.HeaderSize || length > FeatureCacheEntry.HeaderSize + 4L * FeatureCacheEntry.MaxDims;
            if (!corrupt)
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent((int)length);
                try
                {
                    int read = 0;
                    while (read < length)
                    {
                        int n = RandomAccess.Read(handle, buffer.AsSpan(read, (int)length - read), read);
                        if (n == 0) break;
                        read += n;
                    }
                    features = read == length ? FeatureCacheEntry.Decode(buffer.AsSpan(0, read), key) : null;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                corrupt = features is null;
            }
            if (!corrupt && !IsReadOnly) Touch(handle);
        }

        if (corrupt) return Broken(path);
        Interlocked.Increment(ref _hits);
        return features is not null;
    }

    /// <summary>Counts the entry at <paramref name="path"/> as a corrupt miss and deletes it (unless read-only); returns false.</summary>
    private bool Broken(string path)
    {
        Interlocked.Increment(ref _corrupt);
        Interlocked.Increment(ref _misses);
        if (!IsReadOnly) TryDelete(path);
        return false;
    }

    /// <summary>Stores <paramref name="features"/> under <paramref name="key"/>, replacing any entry there.</summary>
    /// <exception cref="ArgumentException">The vector is empty or has over 16M values.</exception>
    /// <exception cref="IOException">The entry could not be written (e.g. the disk is full); the cache is left consistent.</exception>
    /// <exception cref="InvalidOperationException">The cache is <see cref="IsReadOnly"/>.</exception>
    public void Set(in FeatureCacheKey key, ReadOnlySpan<float> features)
    {
        if (IsReadOnly) throw new InvalidOperationException($"The feature cache in {Folder} was opened read-only; features are not stored there.");
        byte[] file = FeatureCacheEntry.Encode(key, features);
        EnsureEstimate(); // the first write of a process learns the cache's size, before adding to it
        string name = key.ToString();
        string shard = Path.Combine(_entries, FeatureCacheNames.Shard(name));
        if (!_knownShards.ContainsKey(shard))
        {
            // The trim counts and deletes only what is inside the cache folder, so entries written behind a link would
            // escape the bound.
            if (Directory.CreateDirectory(shard).LinkTarget is not null)
                throw new IOException($"{shard} is a link to another folder; the feature cache writes only inside its own folder.");
            _knownShards.TryAdd(shard, true);
        }
        string path = Path.Combine(shard, FeatureCacheNames.Entry(name));
        string temp = Path.Combine(shard, FeatureCacheNames.Temp(name));
        try
        {
            using (SafeFileHandle handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, file.Length))
                RandomAccess.Write(handle, file, 0);
            File.Move(temp, path, overwrite: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Another process cleared the cache folder: recreate the shard next time.
            _knownShards.TryRemove(shard, out _);
            TryDelete(temp);
            throw;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        Interlocked.Increment(ref _writes);

        if (Interlocked.Add(ref _estimatedBytes, Rounded(file.Length)) > MaxBytes) Trim();
    }

    /// <summary>
    /// Rescans the folder, deletes temporary files abandoned by crashed writers, and, when the entries take more than
    /// <see cref="MaxBytes"/>, deletes the least recently used ones down to 90 % of it. Returns the bytes the entries
    /// take afterwards. Concurrent calls in one process run once. A read-only cache is only measured.
    /// </summary>
    public long Trim()
    {
        if (Interlocked.Exchange(ref _trimming, 1) == 1) return Interlocked.Read(ref _estimatedBytes);
        try
        {
            List<(string Path, long Size, DateTime Used)> entries = Scan(out long total);
            if (total > MaxBytes && !IsReadOnly)
            {
                long target = MaxBytes / 10 * 9;
                entries.Sort((x, y) => x.Used != y.Used ? x.Used.CompareTo(y.Used) : string.CompareOrdinal(x.Path, y.Path));
                foreach ((string path, long size, _) in entries)
                {
                    if (total <= target) break;
                    TryDelete(path);
                    total -= size;
                    Interlocked.Increment(ref _evicted);
                }
            }
            Interlocked.Exchange(ref _estimatedBytes, total);
            return total;
        }
        finally
        {
            Volatile.Write(ref _trimming, 0);
        }
    }

    /// <summary>The file of the entry for <paramref name="key"/>.</summary>
    internal string PathOf(in FeatureCacheKey key)
    {
        string name = key.ToString();
        return Path.Combine(_entries, FeatureCacheNames.Shard(name), FeatureCacheNames.Entry(name));
    }

    private void EnsureEstimate()
    {
        if (Interlocked.Read(ref _estimatedBytes) >= 0) return;
        lock (_scanLock)
        {
            if (Interlocked.Read(ref _estimatedBytes) >= 0) return;
            Scan(out long total);
            Interlocked.Exchange(ref _estimatedBytes, total);
        }
    }

    /// <summary>
    /// The entries, with their disk space and last use, and the total. Only the cache's own files count: shard folders
    /// and the files in them named as <see cref="FeatureCacheNames"/> writes them, never behind a link (a linked folder
    /// or file is the user's). Temporary files abandoned by crashed writers are deleted on the way, unless read-only.
    /// </summary>
    private List<(string Path, long Size, DateTime Used)> Scan(out long total)
    {
        var entries = new List<(string, long, DateTime)>();
        total = 0;
        if (!Directory.Exists(_entries)) return entries;
        DateTime staleBefore = DateTime.UtcNow - StaleTempAge;
        foreach (DirectoryInfo shard in new DirectoryInfo(_entries).EnumerateDirectories("*", OwnFilesOnly))
        {
            if (!FeatureCacheNames.IsShard(shard.Name)) continue;
            try
            {
                foreach (FileInfo file in shard.EnumerateFiles("*", OwnFilesOnly))
                {
                    try
                    {
                        if (FeatureCacheNames.IsTemp(shard.Name, file.Name))
                        {
                            if (file.LastWriteTimeUtc < staleBefore && !IsReadOnly) TryDelete(file.FullName);
                        }
                        else if (FeatureCacheNames.IsEntry(shard.Name, file.Name))
                        {
                            long size = Rounded(file.Length);
                            entries.Add((file.FullName, size, file.LastAccessTimeUtc));
                            total += size;
                        }
                    }
                    catch (FileNotFoundException)
                    {
                        // Deleted by another process during the scan.
                    }
                }
            }
            catch (DirectoryNotFoundException)
            {
                // The shard was deleted by another process during the scan.
            }
        }
        return entries;
    }

    /// <summary>Marks an entry as recently used (its access time), at most once per <see cref="TouchInterval"/>.</summary>
    private static void Touch(SafeFileHandle handle)
    {
        try
        {
            DateTime now = DateTime.UtcNow;
            if (now - File.GetLastAccessTimeUtc(handle) > TouchInterval) File.SetLastAccessTimeUtc(handle, now);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only cache still serves hits; it just cannot rank them.
        }
    }

    private static long Rounded(long length) => (length + Block - 1) / Block * Block;

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
