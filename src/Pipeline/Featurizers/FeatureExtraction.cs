using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Pipeline.Featurizers.Cache;
using Pipeline.Imaging;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Featurizers;

/// <summary>Progress of <see cref="FeatureExtraction.FromFiles"/>: images done (featurized, cached or failed) out of the total.</summary>
/// <param name="Done">Images finished.</param>
/// <param name="Total">Images asked for.</param>
/// <param name="CacheHits">Images whose features came from the cache.</param>
public readonly record struct FeatureExtractionProgress(int Done, int Total, int CacheHits);

/// <summary>A file that could not be featurized, and why.</summary>
/// <param name="Index">Its index in the list of paths.</param>
/// <param name="Path">The file.</param>
/// <param name="Reason">The decoder's or the file system's message.</param>
public sealed record ExtractionFailure(int Index, string Path, string Reason);

/// <summary>The features of a list of files: one row per readable image, in the order of the paths.</summary>
public sealed class ExtractedFeatures
{
    internal ExtractedFeatures(float[] features, int dimension, int[] rows, ExtractionFailure[] failures, int cacheHits, int computed, TimeSpan elapsed)
    {
        Features = features;
        Dimension = dimension;
        Rows = rows;
        Failures = failures;
        CacheHits = cacheHits;
        Computed = computed;
        Elapsed = elapsed;
    }

    /// <summary>The feature vectors, row-major: row r belongs to path <c>Rows[r]</c>.</summary>
    public float[] Features { get; }

    /// <summary>The length of each feature vector.</summary>
    public int Dimension { get; }

    /// <summary>For each row of <see cref="Features"/>, the index of its path (ascending).</summary>
    public int[] Rows { get; }

    /// <summary>The files that were excluded (not an image, corrupt, unreadable), in path order.</summary>
    public ExtractionFailure[] Failures { get; }

    /// <summary>Rows that came from the feature cache.</summary>
    public int CacheHits { get; }

    /// <summary>Rows that were computed (and stored in the cache when there is one that is not read-only).</summary>
    public int Computed { get; }

    /// <summary>The wall-clock time the extraction took.</summary>
    public TimeSpan Elapsed { get; }
}

/// <summary>
/// Featurizes many image files, with the on-disk feature cache when one is given: each file is read and hashed, its
/// features looked up under (image SHA-256, featurizer fingerprint), and only the misses are decoded (at the smallest
/// DCT scale the featurizer's preprocessing allows) and featurized, in batches, then stored. Reading and decoding the
/// next batch runs on other threads while the featurizer works on the current one. Files that are not readable images
/// are listed in <see cref="ExtractedFeatures.Failures"/>, never skipped silently.
/// </summary>
public static class FeatureExtraction
{
    /// <summary>Featurizes <paramref name="paths"/>.</summary>
    /// <param name="featurizer">The featurizer.</param>
    /// <param name="paths">The image files.</param>
    /// <param name="cache">The feature cache (a read-only one serves hits and stores nothing), or null to compute everything.</param>
    /// <param name="options">Threads for reading and decoding, and the batch size (default: the featurizer's defaults).</param>
    /// <param name="progress">Receives a report after each batch.</param>
    /// <param name="cancellation">Stops between batches.</param>
    public static ExtractedFeatures FromFiles(IFeaturizer featurizer, IReadOnlyList<string> paths, FeatureCache? cache = null,
        FeaturizerOptions? options = null, IProgress<FeatureExtractionProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(featurizer);
        ArgumentNullException.ThrowIfNull(paths);
        options ??= FeaturizerOptions.Default;
        options.Validate();
        var clock = Stopwatch.StartNew();
        int d = featurizer.Dimension, total = paths.Count, batchSize = Math.Max(options.BatchSize, 8);
        var all = new float[checked(total * d)];
        var ok = new bool[total];
        var failures = new ConcurrentBag<ExtractionFailure>();
        DecoderOptions decoding = featurizer.Preprocessing.DecoderHint(DecoderOptions.Default);
        // Stops the producer when the caller cancels, and when this thread fails and will take no more batches.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = ThreadLimits.Resolve(options.Threads), CancellationToken = stop.Token };
        int hits = 0, computed = 0, done = 0;

        // Stage 1 (background): read, hash, look up, decode the misses. Stage 2 (this thread): featurize and store.
        using var ready = new BlockingCollection<Batch>(boundedCapacity: 2);
        Task producer = Task.Run(() =>
        {
            try
            {
                for (int start = 0; start < total; start += batchSize)
                {
                    stop.Token.ThrowIfCancellationRequested();
                    var batch = new Batch(start, Math.Min(batchSize, total - start));
                    Parallel.For(0, batch.Count, parallel, i => Load(batch, i, paths, featurizer, cache, decoding, all, d, ok, failures));
                    ready.Add(batch, stop.Token);
                }
            }
            finally
            {
                ready.CompleteAdding();
            }
        }, stop.Token);

        try
        {
            foreach (Batch batch in ready.GetConsumingEnumerable(cancellation))
            {
                var images = new List<Image>(batch.Count);
                var targets = new List<int>(batch.Count);
                for (int i = 0; i < batch.Count; i++)
                {
                    if (batch.Images[i] is { } image)
                    {
                        images.Add(image);
                        targets.Add(batch.Start + i);
                    }
                    else if (batch.Hit[i])
                    {
                        hits++;
                    }
                }
                if (images.Count > 0)
                {
                    var features = new float[images.Count * d];
                    featurizer.Featurize(images, features);
                    for (int j = 0; j < targets.Count; j++)
                    {
                        int index = targets[j];
                        ReadOnlySpan<float> row = features.AsSpan(j * d, d);
                        row.CopyTo(all.AsSpan(index * d, d));
                        ok[index] = true;
                        if (cache is { IsReadOnly: false } && batch.Keys[index - batch.Start] is { } key) TryStore(cache, key, row);
                    }
                    computed += images.Count;
                }
                done += batch.Count;
                progress?.Report(new FeatureExtractionProgress(done, total, hits));
            }
        }
        finally
        {
            // Stop the producer before leaving: after an exception here it would wait forever to add a batch nobody
            // takes, or go on decoding into freed state. Its own failure still surfaces when this loop ended normally.
            stop.Cancel();
            try
            {
                producer.Wait(CancellationToken.None);
            }
            catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is OperationCanceledException))
            {
            }
        }
        cancellation.ThrowIfCancellationRequested();

        int[] rows = Enumerable.Range(0, total).Where(i => ok[i]).ToArray();
        float[] compact = rows.Length == total ? all : new float[(long)rows.Length * d];
        if (!ReferenceEquals(compact, all))
            for (int r = 0; r < rows.Length; r++) all.AsSpan(rows[r] * d, d).CopyTo(compact.AsSpan(r * d, d));
        return new ExtractedFeatures(compact, d, rows, [.. failures.OrderBy(f => f.Index)], hits, computed, clock.Elapsed);
    }

    private static void Load(Batch batch, int i, IReadOnlyList<string> paths, IFeaturizer featurizer, FeatureCache? cache, DecoderOptions decoding,
        float[] all, int d, bool[] ok, ConcurrentBag<ExtractionFailure> failures)
    {
        int index = batch.Start + i;
        string path = paths[index];
        try
        {
            byte[] bytes = Files.SpecialFiles.ReadAllBytes(path);
            if (cache is not null)
            {
                FeatureCacheKey key = FeatureCacheKey.FromImageSha256(SHA256.HashData(bytes), featurizer.Fingerprint);
                batch.Keys[i] = key;
                if (TryLoad(cache, key, out float[]? cached) && cached.Length == d)
                {
                    cached.CopyTo(all.AsSpan(index * d, d));
                    ok[index] = true;
                    batch.Hit[i] = true;
                    return;
                }
            }
            batch.Images[i] = ImageDecoder.Decode(bytes, decoding);
        }
        catch (InvalidImageException e)
        {
            failures.Add(new ExtractionFailure(index, path, e.Detail));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failures.Add(new ExtractionFailure(index, path, e.Message));
        }
    }

    /// <summary>A cached row, or false: an entry the file system will not give back is a miss, never the image's failure.</summary>
    private static bool TryLoad(FeatureCache cache, FeatureCacheKey key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out float[]? features)
    {
        try
        {
            return cache.TryGet(key, out features);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            features = null;
            return false;
        }
    }

    private static void TryStore(FeatureCache cache, FeatureCacheKey key, ReadOnlySpan<float> features)
    {
        try
        {
            cache.Set(key, features);
        }
        catch (IOException)
        {
            // A full or read-only disk costs the next run a recomputation, nothing more.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class Batch(int start, int count)
    {
        public int Start { get; } = start;
        public int Count { get; } = count;
        public Image?[] Images { get; } = new Image?[count];
        public FeatureCacheKey?[] Keys { get; } = new FeatureCacheKey?[count];
        public bool[] Hit { get; } = new bool[count];
    }
}
