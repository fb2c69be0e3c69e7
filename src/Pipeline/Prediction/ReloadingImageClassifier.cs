using System.Collections.Concurrent;
using System.Security.Cryptography;
using Pipeline.Files;
using Pipeline.Imaging;

namespace Pipeline.Prediction;

/// <summary>
/// An <see cref="ImageClassifier"/> that follows its model file, like Microsoft.Extensions.ML's PredictionEnginePool
/// with <c>watchForChanges</c> (an <see cref="ImageClassifier"/> is thread-safe, so one instance serves every thread and
/// no pool is needed). Register one as a singleton and call <c>Predict</c> from any thread.
/// <para>
/// When the file changes (a <see cref="FileSystemWatcher"/>, debounced), the new file is loaded and validated in full
/// beside the serving model; only a model that loads is swapped in, atomically. A file that does not load (half
/// written, corrupt, a newer format) leaves the previous model serving and is reported through
/// <see cref="ReloadFailed"/> and <see cref="LastError"/>. A model that is swapped out is disposed once the predictions
/// running on it have finished. A deleted model file is reported the same way (a <see cref="FileNotFoundException"/>),
/// and the file that comes back is loaded. The path is followed, not the folder: a model folder renamed away,
/// deleted or replaced by another is watched anew, and a cheap poll (<see cref="ReloadingOptions.PollInterval"/>)
/// catches what the events miss. A model file that is a link is followed: a swap of the folder link
/// beside it (a Kubernetes ConfigMap or Secret mount) or a change of the file it points to makes it look again. A link
/// chain that later moves to another folder is not followed there.
/// </para>
/// </summary>
public sealed class ReloadingImageClassifier : IDisposable
{
    private readonly ReloadingOptions _options;
    private readonly HashSet<string> _watchedNames = new(NameComparer); // names in the model's folder whose change may change what Path reads
    private readonly string _folder = "", _folderFilter = ""; // the model's folder, and its watcher's filter ("*" for a link)
    private readonly Lock _watchLock = new(); // replacing the two watchers below, and disposing them
    private FileSystemWatcher? _folderWatcher; // replaced when the model's folder is: a watch stays on the folder it began on
    private FileSystemWatcher? _parentWatcher; // the folder above, for the model folder's name: it is what sees the folder replaced
    private readonly FileSystemWatcher? _targetWatcher; // a link's target in another folder
    private readonly Timer _debounce;
    private readonly Timer? _poll;
    private FileStamp? _stamp; // the file as last seen by a poll or a load
    private int _rewatch; // 1 when the debounced reload must first re-create the watchers
    private readonly Lock _reloadLock = new(); // one load at a time; never held while a subscriber runs
    private readonly ConcurrentQueue<Action> _events = new(); // filled under _reloadLock, so in swap order
    private readonly CancellationTokenSource _stopping = new(); // never disposed: a reload still running may read its token
    private Lease _current;
    private int _disposed;
    private int _raising; // 1 while a thread drains _events
    private int _released; // 1 once the serving model's holder reference was given up at Dispose
    private Exception? _lastError;

    /// <summary>Loads <paramref name="path"/> now and starts watching it.</summary>
    /// <exception cref="Persistence.InvalidModelPackageException">The file is not a loadable model (at construction, there is no previous model to keep).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public ReloadingImageClassifier(string path, ReloadingOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _options = options ?? ReloadingOptions.Default;
        _options.Validate();
        Path = System.IO.Path.GetFullPath(path);
        // Stamped before the load, as every reload does: a file replaced while this one loads (no watcher yet) differs
        // from the stamp at the first poll.
        FileStamp? loadedStamp = _options.WatchForChanges && _options.PollInterval > TimeSpan.Zero ? FileStamp.Of(Path) : null;
        (ImageClassifier classifier, string sha) = LoadFile();
        _current = new Lease(classifier, sha, generation: 1);
        _debounce = new Timer(_ => OnSettled(), null, Timeout.Infinite, Timeout.Infinite);
        if (!_options.WatchForChanges) return;
        try
        {
            _folder = System.IO.Path.GetDirectoryName(Path)!;
            string name = System.IO.Path.GetFileName(Path);
            _watchedNames.Add(name);
            _folderFilter = name;
            if (new FileInfo(Path).LinkTarget is { } target)
            {
                // A link changes with no event under its own name. Kubernetes mounts a ConfigMap or Secret as links
                // through a '..data' folder link beside them, and swaps that one: the first folder of a relative
                // target is watched too. A link to a file elsewhere changes where that file is.
                _folderFilter = "*";
                string first = target.Split('/', '\\')[0];
                if (!System.IO.Path.IsPathRooted(target) && first is not ("" or "." or "..")) _watchedNames.Add(first);
                if (File.ResolveLinkTarget(Path, returnFinalTarget: true) is FileInfo { DirectoryName: { } elsewhere } final
                    && !string.Equals(System.IO.Path.GetFullPath(elsewhere), _folder, NameComparison))
                    _targetWatcher = Watch(elsewhere, final.Name, OnChanged);
            }
            _folderWatcher = Watch(_folder, _folderFilter, OnChanged);
            _parentWatcher = TryWatchParent();
            if (_options.PollInterval > TimeSpan.Zero)
            {
                _stamp = loadedStamp;
                _poll = new Timer(_ => Poll(), null, _options.PollInterval, _options.PollInterval);
            }
        }
        catch
        {
            // A watcher that cannot start (the inotify limit, a folder gone) must not leak the model and the timers.
            StopWatching();
            classifier.Dispose();
            throw;
        }
    }

    private static StringComparison NameComparison => OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private static StringComparer NameComparer => OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    private FileSystemWatcher Watch(string folder, string filter, FileSystemEventHandler onChange, bool namesOnly = false)
    {
        var watcher = new FileSystemWatcher(folder, filter)
        {
            NotifyFilter = namesOnly ? NotifyFilters.FileName | NotifyFilters.DirectoryName
                : NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            IncludeSubdirectories = false,
        };
        if (!namesOnly) watcher.Changed += onChange;
        watcher.Created += onChange;
        watcher.Deleted += onChange; // a deleted model is reported (the old one keeps serving), and a folder's delete is a replace
        watcher.Renamed += (sender, e) => onChange(sender, e);
        watcher.Error += (_, _) => OnWatchLost(); // an overflow may have missed the change, and a lost watch sees no more
        try
        {
            watcher.EnableRaisingEvents = true; // throws for a folder that is gone
        }
        catch
        {
            watcher.Dispose();
            throw;
        }
        return watcher;
    }

    /// <summary>
    /// Watches the folder above the model's for the model folder's own name, or returns null where there is none or it
    /// cannot be watched (the poll still sees a replaced folder then).
    /// </summary>
    private FileSystemWatcher? TryWatchParent()
    {
        if (System.IO.Path.GetDirectoryName(_folder) is not { } parent) return null;
        try
        {
            // Names only: a write inside the model's folder touches the folder's own time, and is not a replace.
            return Watch(parent, System.IO.Path.GetFileName(_folder), (_, _) => OnWatchLost(), namesOnly: true);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The model's folder may have been replaced (renamed away, deleted, another renamed or created in its place) or a
    /// watch was lost: the watchers are re-created on what the path names now before the debounced reload looks.
    /// </summary>
    private void OnWatchLost()
    {
        Volatile.Write(ref _rewatch, 1);
        ScheduleReload();
    }

    /// <summary>Re-creates the folder watchers on the folders the path names now.</summary>
    private void Rewatch()
    {
        lock (_watchLock)
        {
            if (Volatile.Read(ref _disposed) != 0) return;
            _folderWatcher?.Dispose();
            _parentWatcher?.Dispose();
            try
            {
                _folderWatcher = Watch(_folder, _folderFilter, OnChanged);
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
            {
                _folderWatcher = null; // the folder is gone for now: the parent watcher or the poll sees it come back
            }
            _parentWatcher = TryWatchParent();
        }
    }

    /// <summary>Compares the file with how it was last seen: a difference is a change that no event may have reported.</summary>
    private void Poll()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        FileStamp? now = FileStamp.Of(Path);
        if (now == Volatile.Read(ref _stamp)) return;
        Volatile.Write(ref _stamp, now);
        OnWatchLost(); // its watch may be on a folder that was replaced
    }

    /// <summary>The debounce ran out: re-create lost watchers first, so a change made during the load is still seen.</summary>
    private void OnSettled()
    {
        if (Interlocked.Exchange(ref _rewatch, 0) == 1) Rewatch();
        Reload(); // never throws
    }

    /// <summary>The model file (full path).</summary>
    public string Path { get; }

    /// <summary>How many models have served so far (1 until the first successful reload).</summary>
    public int Generation => Volatile.Read(ref _current).Generation;

    /// <summary>The SHA-256 of the serving model's file.</summary>
    public string Sha256 => Volatile.Read(ref _current).Sha256;

    /// <summary>The serving model's labels.</summary>
    public IReadOnlyList<string> Labels => Volatile.Read(ref _current).Classifier.Labels;

    /// <summary>What the serving model is.</summary>
    public ModelInfo Info => Volatile.Read(ref _current).Classifier.Info;

    /// <summary>Why the last reload failed, or null when the last reload succeeded (or none was tried).</summary>
    public Exception? LastError => Volatile.Read(ref _lastError);

    /// <summary>
    /// Raised after a new model was swapped in, on the thread that swapped it (a thread-pool thread for a watched
    /// change) or, while an earlier event's handlers still run, after them on their thread: events come in swap order.
    /// An exception from a handler is dropped.
    /// </summary>
    public event EventHandler<ModelReloadedEventArgs>? Reloaded;

    /// <summary>
    /// Raised when a changed file could not be loaded; the previous model keeps serving. Raised on the same threads and
    /// in the same order as <see cref="Reloaded"/>. An exception from a handler is dropped.
    /// </summary>
    public event EventHandler<ModelReloadFailedEventArgs>? ReloadFailed;

    /// <inheritdoc cref="ImageClassifier.Predict(string)"/>
    public Prediction Predict(string path) => Use(c => c.Predict(path));

    /// <inheritdoc cref="ImageClassifier.Predict(byte[])"/>
    public Prediction Predict(byte[] imageFile) => Use(c => c.Predict(imageFile));

    /// <inheritdoc cref="ImageClassifier.Predict(Stream)"/>
    public Prediction Predict(Stream imageFile) => Use(c => c.Predict(imageFile));

    /// <inheritdoc cref="ImageClassifier.PredictAsync(Stream, CancellationToken)"/>
    public async Task<Prediction> PredictAsync(Stream imageFile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imageFile);
        // Read first, outside the lease: a slow client must not hold a model a reload is waiting to dispose.
        long limit = Use(c => c.DecoderLimits.MaxBytes);
        byte[] bytes = await BoundedStreamReader.ReadAllAsync(imageFile, limit, cancellationToken).ConfigureAwait(false);
        return Use(c => c.Predict(bytes));
    }

    /// <inheritdoc cref="ImageClassifier.Predict(Image)"/>
    public Prediction Predict(Image image) => Use(c => c.Predict(image));

    /// <inheritdoc cref="ImageClassifier.Predict(IReadOnlyList{string})"/>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> paths) => Use(c => c.Predict(paths));

    /// <summary>
    /// Runs <paramref name="action"/> on the serving model. The model is not disposed while the call runs, even if a
    /// reload swaps it out meanwhile; do not keep the classifier after the call returns.
    /// </summary>
    public T Use<T>(Func<ImageClassifier, T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            Lease lease = Volatile.Read(ref _current);
            if (!lease.TryAcquire()) continue; // swapped out and drained between the read and the acquire: take the new one
            try
            {
                return action(lease.Classifier);
            }
            finally
            {
                lease.Release();
            }
        }
    }

    /// <summary>
    /// Checks the file now: when its content differs from the serving model's, loads it and swaps it in. Returns true
    /// when a new model was swapped in; false when the file is unchanged or could not be loaded, for whatever reason
    /// (see <see cref="LastError"/>; the previous model keeps serving), or when the holder is disposed. A call made
    /// while another load runs waits for that load, but never for an event handler.
    /// </summary>
    public bool Reload()
    {
        bool swapped = false;
        lock (_reloadLock)
        {
            if (Volatile.Read(ref _disposed) == 0) swapped = LoadAndSwap();
        }
        ReleaseServingIfDisposed(); // a Dispose that came during the load left that to this thread
        RaiseQueuedEvents();
        return swapped;
    }

    /// <summary>The body of <see cref="Reload"/>, under the reload lock; queues the event it owes.</summary>
    private bool LoadAndSwap()
    {
        ImageClassifier? loaded = null;
        string sha = "";
        if (_poll is not null) Volatile.Write(ref _stamp, FileStamp.Of(Path)); // taken before the read: a later change is seen again
        try
        {
            byte[] bytes = ReadShared();
            sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (sha == Volatile.Read(ref _current).Sha256)
            {
                Volatile.Write(ref _lastError, null);
                return false;
            }
            loaded = Open(bytes);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return false; // Dispose gave up on this load: there is no one left to tell
        }
        catch (Exception e)
        {
            // Whatever a changed file does to the loader, the holder's promise is to keep serving the old model.
            Volatile.Write(ref _lastError, e);
            var failed = new ModelReloadFailedEventArgs(Path, e);
            _events.Enqueue(() => Raise(ReloadFailed, failed));
            return false;
        }
        if (Volatile.Read(ref _disposed) != 0)
        {
            loaded.Dispose(); // finished after Dispose: it would never be released
            return false;
        }
        Lease old = Volatile.Read(ref _current);
        var fresh = new Lease(loaded, sha, old.Generation + 1);
        Volatile.Write(ref _lastError, null); // first: whoever sees the new generation sees no stale error
        Volatile.Write(ref _current, fresh);
        old.Release(); // the holder's own reference: the old model is disposed when its last prediction ends
        var reloaded = new ModelReloadedEventArgs(Path, fresh.Generation, sha);
        _events.Enqueue(() => Raise(Reloaded, reloaded));
        return true;
    }

    /// <summary>
    /// Raises the queued events, in swap order, on this thread, unless another thread is raising already: that one
    /// raises these too, after the ones before them. So a slow subscriber holds up later events, never a load or Dispose.
    /// </summary>
    private void RaiseQueuedEvents()
    {
        // Re-checked after letting go: an event queued just before the release would otherwise wait for the next swap.
        while (!_events.IsEmpty && Interlocked.CompareExchange(ref _raising, 1, 0) == 0)
        {
            try
            {
                while (_events.TryDequeue(out Action? raise)) raise();
            }
            finally
            {
                Volatile.Write(ref _raising, 0);
            }
        }
    }

    /// <summary>
    /// Raises an event to each subscriber in turn; an exception from one is dropped and the next is still called: on the
    /// file watcher's thread it would end the process, and the model has been swapped (or kept) either way.
    /// </summary>
    private void Raise<TArgs>(EventHandler<TArgs>? handler, TArgs args)
    {
        if (handler is null) return;
        foreach (Delegate subscriber in handler.GetInvocationList())
        {
            try
            {
                ((EventHandler<TArgs>)subscriber).Invoke(this, args);
            }
            catch (Exception)
            {
            }
        }
    }

    /// <summary>
    /// Stops watching and disposes the serving model once its running predictions end. Returns at once: a load in
    /// flight is cancelled where it waits for a backbone, or else finishes in the background and is thrown away.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stopping.Cancel();
        StopWatching();
        ReleaseServingIfDisposed();
    }

    /// <summary>Disposes the watchers and the timers.</summary>
    private void StopWatching()
    {
        lock (_watchLock)
        {
            _folderWatcher?.Dispose();
            _parentWatcher?.Dispose();
        }
        _targetWatcher?.Dispose();
        _poll?.Dispose();
        _debounce.Dispose();
    }

    /// <summary>
    /// Gives up the holder's reference to the serving model once disposed. Only outside a load: one in flight may still
    /// swap, so the thread running it calls this again as it leaves the lock.
    /// </summary>
    private void ReleaseServingIfDisposed()
    {
        if (Volatile.Read(ref _disposed) == 0 || !_reloadLock.TryEnter()) return;
        try
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) Volatile.Read(ref _current).Release();
        }
        finally
        {
            _reloadLock.Exit();
        }
    }

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        // The folder watcher sees all of the model's folder when the model is a link: only names that lead to the model
        // count, or a busy neighbour (a log) would keep restarting the debounce. Another watcher is filtered already.
        if (sender != _folderWatcher || _folderFilter != "*" || _watchedNames.Contains(e.Name ?? "")
            || e is RenamedEventArgs renamed && _watchedNames.Contains(renamed.OldName ?? ""))
            ScheduleReload();
    }

    private void ScheduleReload()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        try
        {
            _debounce.Change(_options.Debounce, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Reads the file once, hashes it and loads the model from the same bytes (so the hash names what was loaded).</summary>
    private (ImageClassifier Classifier, string Sha256) LoadFile()
    {
        byte[] bytes = ReadShared();
        return (Open(bytes), Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>The classifier in <paramref name="bytes"/>, read from <see cref="Path"/> (errors name the file).</summary>
    private ImageClassifier Open(byte[] bytes)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            // The token lets Dispose give up where a load waits for a referenced backbone (the cache's lock, a download
            // and its retries) instead of waiting for a network. The options were validated with the holder's.
            return ImageClassifier.Open(Persistence.ModelPackage.Load(stream), _options.Load, file: null, _stopping.Token);
        }
        catch (Persistence.InvalidModelPackageException e) when (e.File is null)
        {
            throw e.WithFile(Path);
        }
    }

    private byte[] ReadShared()
    {
        if (Files.SpecialFiles.IsEmptyOrSpecial(Path)) throw new Persistence.InvalidModelPackageException(Files.SpecialFiles.Reason, Path);
        if (Directory.Exists(Path)) throw new Persistence.InvalidModelPackageException(Persistence.ModelPackage.FolderReason, Path);
        using var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1 << 16);
        long length = file.Length;
        if (length > Persistence.ModelPackageLimits.Default.MaxTotalBytes)
            throw new Persistence.InvalidModelPackageException($"the file is {length} bytes, more than any model package the limits allow", Path);
        var bytes = new byte[length];
        file.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>One served model and the number of users holding it (the holder's own reference counts as one).</summary>
    private sealed class Lease(ImageClassifier classifier, string sha256, int generation)
    {
        private int _references = 1;

        public ImageClassifier Classifier { get; } = classifier;

        public string Sha256 { get; } = sha256;

        public int Generation { get; } = generation;

        public bool TryAcquire()
        {
            while (true)
            {
                int count = Volatile.Read(ref _references);
                if (count == 0) return false;
                if (Interlocked.CompareExchange(ref _references, count + 1, count) == count) return true;
            }
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0) Classifier.Dispose();
        }
    }
}
