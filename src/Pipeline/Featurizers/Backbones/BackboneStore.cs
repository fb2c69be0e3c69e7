using System.Diagnostics;
using System.Net;
using Pipeline.Files;
using Pipeline.Persistence;

namespace Pipeline.Featurizers.Backbones;

/// <summary>A backbone ready to load: its file, its format and, for a registry backbone, its entry.</summary>
/// <param name="Path">The full path of the model file.</param>
/// <param name="Format">The model's format.</param>
/// <param name="Entry">The registry entry it came from, or null for a file given by path.</param>
public sealed record ResolvedBackbone(string Path, BackboneFormat Format, BackboneEntry? Entry);

/// <summary>
/// Resolves <c>--backbone &lt;name|path&gt;</c> and keeps the cache of downloaded backbones.
/// <para>
/// An existing file is used as it is. A registry name resolves to <c>&lt;cache&gt;/&lt;file name&gt;</c>, downloaded on first
/// use: into a hidden partial file, resumed and retried on transient errors, checked against the registry's size and
/// SHA-256, then renamed into place. A cached file is checked again (size and SHA-256) every time it is resolved, and a
/// wrong one is downloaded again. Processes downloading the same file take turns through a lock file beside it
/// (<c>.&lt;file&gt;.lock</c>, left in place: deleting lock files is what makes them unsafe), so the second one finds the
/// first one's file; and because files only ever appear by rename after verification, even a process that bypasses the
/// lock never sees a partial backbone.
/// </para>
/// </summary>
public sealed class BackboneStore
{
    private static readonly Lazy<HttpClient> SharedClient = new(CreateClient);
    private static readonly TimeSpan LockPollInterval = TimeSpan.FromMilliseconds(100);

    private readonly HttpClient _http;
    private readonly BackboneDownloadOptions _options;

    /// <summary>Creates a store.</summary>
    /// <param name="cacheFolder">Where downloaded backbones live; default <see cref="CacheFolders.Backbones"/>.</param>
    /// <param name="registry">The named backbones; default <see cref="BackboneRegistry.Default"/>.</param>
    /// <param name="httpClient">The client to download with; default a shared client with no overall timeout (stalls are detected instead).</param>
    /// <param name="options">Retry and time limits; default <see cref="BackboneDownloadOptions.Default"/>.</param>
    public BackboneStore(string? cacheFolder = null, BackboneRegistry? registry = null, HttpClient? httpClient = null, BackboneDownloadOptions? options = null)
    {
        CacheFolder = Path.GetFullPath(cacheFolder ?? CacheFolders.Backbones);
        Registry = registry ?? BackboneRegistry.Default;
        _http = httpClient ?? SharedClient.Value;
        _options = options ?? BackboneDownloadOptions.Default;
        _options.Validate();
    }

    /// <summary>The folder downloaded backbones are kept in.</summary>
    public string CacheFolder { get; }

    /// <summary>The named backbones this store resolves.</summary>
    public BackboneRegistry Registry { get; }

    /// <summary>Where <paramref name="entry"/> is (or will be) cached.</summary>
    public string GetCachePath(BackboneEntry entry) => Path.Combine(CacheFolder, entry.FileName);

    /// <summary>
    /// Resolves a <c>--backbone</c> value: an existing file path as it is (format from its first bytes or extension),
    /// otherwise a registry name, downloaded on first use.
    /// </summary>
    /// <exception cref="BackboneUnavailableException">Neither a file nor a registry name, not a model, or the download failed (the message says what to fetch by hand and where to put it).</exception>
    public async Task<ResolvedBackbone> ResolveAsync(string nameOrPath, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        if (File.Exists(nameOrPath))
        {
            string path = Path.GetFullPath(nameOrPath);
            return new ResolvedBackbone(path, BackboneFormats.Detect(path), null);
        }
        BackboneEntry entry = Registry.Find(nameOrPath) ?? throw new BackboneUnavailableException(nameOrPath,
            $"'{nameOrPath}' is neither an existing file nor a registry backbone. Registry backbones: {string.Join(", ", Registry.Entries.Select(e => e.Name))}.");
        string file = await GetOrDownloadAsync(entry, progress, cancellationToken).ConfigureAwait(false);
        return new ResolvedBackbone(file, entry.Format, entry);
    }

    /// <summary>
    /// Resolves the backbone a model.zip references by registry name, checking that the registry's file is the one the
    /// model was trained with (same SHA-256), and downloads it on first use.
    /// </summary>
    /// <exception cref="BackboneUnavailableException">The name is not in the registry, its file differs, or the download failed.</exception>
    public async Task<ResolvedBackbone> ResolveReferencedAsync(string registryName, string sha256, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(registryName);
        BackboneEntry entry = Registry.Find(registryName) ?? throw new BackboneUnavailableException(registryName,
            $"the model references backbone '{registryName}', which this version's registry does not know; use a version that does, or retrain with an embedded backbone.");
        if (!string.Equals(entry.Sha256, sha256, StringComparison.OrdinalIgnoreCase))
            throw new BackboneUnavailableException(registryName,
                $"the model was trained on backbone '{registryName}' with SHA-256 {sha256}, but the registry's file has {entry.Sha256}; retrain the model or use a version with the original registry entry.");
        string file = await GetOrDownloadAsync(entry, progress, cancellationToken).ConfigureAwait(false);
        return new ResolvedBackbone(file, entry.Format, entry);
    }

    /// <summary>The cached file of <paramref name="entry"/>, downloading and verifying it first if it is missing or wrong.</summary>
    /// <exception cref="BackboneUnavailableException">The download failed; the message says what to fetch by hand and where to put it.</exception>
    public async Task<string> GetOrDownloadAsync(BackboneEntry entry, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        string path = GetCachePath(entry);
        // A file already there that fails the check was put there by hand or cut short: if the download fails too, the
        // error must say so, or it tells the user to save the file exactly where the bad one already sits.
        string? cachedProblem = await ProblemOfCachedAsync(path, entry, cancellationToken).ConfigureAwait(false);
        if (cachedProblem is null && File.Exists(path)) return path;

        FileStream held;
        try
        {
            Directory.CreateDirectory(CacheFolder);
            held = await AcquireLockAsync(entry, path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is UnauthorizedAccessException || (e is IOException && !Directory.Exists(CacheFolder)))
        {
            throw new BackboneUnavailableException(entry, path,
                $"the cache folder {CacheFolder} cannot be created or written ({e.Message}); set {CacheFolders.EnvironmentVariable} to a writable folder, or place the file there by hand.", e);
        }
        using (held)
        {
            // Another process may have finished the download while this one waited.
            if (await IsIntactAsync(path, entry, cancellationToken).ConfigureAwait(false)) return path;
            try
            {
                await new BackboneDownloader(_http, _options).DownloadAsync(entry, path, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (BackboneUnavailableException e) when (cachedProblem is not null)
            {
                throw new BackboneUnavailableException(entry, path, $"the file already at {path} is not it ({cachedProblem}), and {e.Reason}", e);
            }
            return path;
        }
    }

    /// <summary>True when the cached file of <paramref name="entry"/> exists with the registry's size and SHA-256.</summary>
    public Task<bool> IsCachedAsync(BackboneEntry entry, CancellationToken cancellationToken = default) =>
        IsIntactAsync(GetCachePath(entry), entry, cancellationToken);

    private static async Task<bool> IsIntactAsync(string path, BackboneEntry entry, CancellationToken cancellationToken)
        => await ProblemOfCachedAsync(path, entry, cancellationToken).ConfigureAwait(false) is null && File.Exists(path);

    /// <summary>Why the file at <paramref name="path"/> is not <paramref name="entry"/>'s (wrong size or SHA-256, a link cycle), or null when it is, or is not there at all.</summary>
    private static async Task<string?> ProblemOfCachedAsync(string path, BackboneEntry entry, CancellationToken cancellationToken)
    {
        FileInfo info;
        try
        {
            info = FileLinks.Resolve(path); // a link placed in the cache counts by its target's size
        }
        catch (IOException e)
        {
            return e.Message;
        }
        if (!info.Exists) return null;
        if (info.Length != entry.Size) return $"{info.Length} bytes, expected {entry.Size}";
        try
        {
            string sha = await BackboneDownloader.Sha256OfFileAsync(path, cancellationToken).ConfigureAwait(false);
            return sha == entry.Sha256 ? null : $"SHA-256 {sha}, expected {entry.Sha256}";
        }
        catch (FileNotFoundException)
        {
            return null; // replaced or removed by another process between the check and the read
        }
    }

    private async Task<FileStream> AcquireLockAsync(BackboneEntry entry, string path, CancellationToken cancellationToken)
    {
        string lockPath = Path.Combine(CacheFolder, "." + entry.FileName + ".lock");
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive lock between processes (flock on Unix, a share mode on Windows).
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
            }
            catch (IOException) when (File.Exists(lockPath))
            {
                if (Stopwatch.GetElapsedTime(started) > _options.LockTimeout)
                    throw new BackboneUnavailableException(entry, path,
                        $"another process has been downloading it for over {_options.LockTimeout.TotalMinutes:0.#} min (it holds {lockPath}).");
                await Task.Delay(LockPollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static HttpClient CreateClient()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 10,
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd($"Pipeline/{ModelFormat.LibraryVersion.Split('+')[0]}");
        return client;
    }
}
