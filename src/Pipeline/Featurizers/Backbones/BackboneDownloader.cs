using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Pipeline.Featurizers.Backbones;

/// <summary>
/// Downloads one registry file into a partial file beside its destination, resuming with HTTP Range requests across
/// attempts, retrying transient failures (connection errors, stalls, 408/429/5xx, truncated bodies) with exponential
/// back-off, and refusing for good what retrying cannot fix (404 and other 4xx, a size that disagrees with the
/// registry, a SHA-256 mismatch on a full download). The file is renamed into place only once its SHA-256 matches.
/// The caller holds the per-file lock, so the partial file has a single writer.
/// </summary>
internal sealed class BackboneDownloader(HttpClient http, BackboneDownloadOptions options)
{
    private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The partial file of a download: hidden, beside the destination, kept across attempts and runs for resuming.</summary>
    public static string PartialPath(string destination) =>
        Path.Combine(Path.GetDirectoryName(destination)!, "." + Path.GetFileName(destination) + ".partial");

    public async Task DownloadAsync(BackboneEntry entry, string destination, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        string partial = PartialPath(destination);
        string lastError = "no attempt was made";
        bool restarted = false;
        for (int attempt = 1; attempt <= options.MaxAttempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Attempt result = await TryOnceAsync(entry, destination, partial, attempt, progress, cancellationToken).ConfigureAwait(false);
            if (result.Completed)
            {
                string sha = await Sha256OfFileAsync(partial, cancellationToken).ConfigureAwait(false);
                if (sha == entry.Sha256)
                {
                    File.Move(partial, destination, overwrite: true);
                    return;
                }
                File.Delete(partial);
                string mismatch = $"the downloaded file's SHA-256 is {sha}, expected {entry.Sha256}";
                if (result.Resumed && !restarted)
                {
                    // The bytes kept from an earlier attempt may belong to another version of the file: start over once.
                    restarted = true;
                    lastError = mismatch + " (after resuming; restarting from the beginning)";
                    attempt--;
                    continue;
                }
                throw new BackboneUnavailableException(entry, destination, mismatch + ": the server sent different bytes than the registry expects; nothing was kept");
            }
            lastError = result.Error!;
            if (attempt < options.MaxAttempts)
                await Task.Delay(Backoff(attempt, result.RetryAfter), cancellationToken).ConfigureAwait(false);
        }
        throw new BackboneUnavailableException(entry, destination,
            $"the download from {entry.Url} failed after {options.MaxAttempts} attempt{(options.MaxAttempts == 1 ? "" : "s")}; the last error: {lastError}.");
    }

    private readonly record struct Attempt(bool Completed, bool Resumed, string? Error, TimeSpan? RetryAfter)
    {
        public static Attempt Done(bool resumed) => new(true, resumed, null, null);
        public static Attempt Failed(string error, TimeSpan? retryAfter = null) => new(false, false, error, retryAfter);
    }

    private async Task<Attempt> TryOnceAsync(BackboneEntry entry, string destination, string partial, int attempt,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (have > entry.Size)
        {
            File.Delete(partial);
            have = 0;
        }
        if (have == entry.Size) return Attempt.Done(resumed: true);

        using var request = new HttpRequestMessage(HttpMethod.Get, entry.Url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(options.StallTimeout);

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            return Attempt.Failed($"could not reach {entry.Url.Host} ({Describe(e)})");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Attempt.Failed($"no response from {entry.Url.Host} within {options.StallTimeout.TotalSeconds:0.#} s");
        }

        using (response)
        {
            int status = (int)response.StatusCode;
            string statusText = $"HTTP {status} {response.ReasonPhrase}".TrimEnd();
            if (status == (int)HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
            {
                File.Delete(partial);
                return Attempt.Failed($"the server would not resume at byte {have} ({statusText}); restarting", TimeSpan.Zero);
            }
            if (IsTransient(response.StatusCode))
                return Attempt.Failed($"the server answered {statusText}", RetryAfter(response));
            if (!response.IsSuccessStatusCode)
            {
                TryDelete(partial);
                throw new BackboneUnavailableException(entry, destination, $"the server answered {statusText} for {entry.Url}; retrying will not help.");
            }

            long offset = 0;
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                ContentRangeHeaderValue? range = response.Content.Headers.ContentRange;
                if (range?.From != have || (range.Length is { } total && total != entry.Size))
                {
                    File.Delete(partial);
                    return Attempt.Failed($"the server resumed at the wrong place ({range}); restarting", TimeSpan.Zero);
                }
                offset = have;
            }
            if (response.Content.Headers.ContentLength is { } length && offset + length != entry.Size)
            {
                TryDelete(partial);
                throw new BackboneUnavailableException(entry, destination,
                    $"the server announces {offset + length} bytes but the registry expects {entry.Size}: it serves a different file.");
            }
            return await ReceiveAsync(entry, destination, partial, offset, attempt, response, stall, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Attempt> ReceiveAsync(BackboneEntry entry, string destination, string partial, long offset, int attempt,
        HttpResponseMessage response, CancellationTokenSource stall, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        long received = offset;
        long started = Stopwatch.GetTimestamp();
        long lastReport = 0;
        try
        {
            await using var file = new FileStream(partial, offset == 0 ? FileMode.Create : FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 1 << 16, useAsync: true);
            progress?.Report(new DownloadProgress(entry.Name, received, entry.Size, 0, attempt));
            Stream body;
            try
            {
                body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                return Attempt.Failed($"the connection broke before any data ({Describe(e)})");
            }
            await using (body.ConfigureAwait(false))
            {
                while (true)
                {
                    int read;
                    try
                    {
                        read = await body.ReadAsync(buffer.AsMemory(), stall.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException)
                    {
                        return Attempt.Failed($"the connection broke after {received} of {entry.Size} bytes ({Describe(e)})");
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        return Attempt.Failed($"no data for {options.StallTimeout.TotalSeconds:0.#} s after {received} of {entry.Size} bytes");
                    }
                    if (read == 0) break;
                    if (received + read > entry.Size)
                    {
                        await file.DisposeAsync().ConfigureAwait(false);
                        TryDelete(partial);
                        throw new BackboneUnavailableException(entry, destination, $"the server sent more than the {entry.Size} bytes the registry expects: it serves a different file.");
                    }
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    received += read;
                    stall.CancelAfter(options.StallTimeout);
                    long now = Stopwatch.GetTimestamp();
                    if (progress is not null && Stopwatch.GetElapsedTime(lastReport, now) >= ReportInterval)
                    {
                        lastReport = now;
                        progress.Report(new DownloadProgress(entry.Name, received, entry.Size, Rate(received - offset, started), attempt));
                    }
                }
            }
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        progress?.Report(new DownloadProgress(entry.Name, received, entry.Size, Rate(received - offset, started), attempt));
        if (received < entry.Size)
            return Attempt.Failed($"the server closed the connection after {received} of {entry.Size} bytes");
        return Attempt.Done(resumed: offset > 0);
    }

    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        double seconds = options.InitialRetryDelay.TotalSeconds * Math.Pow(2, attempt - 1) * (0.8 + 0.4 * Random.Shared.NextDouble());
        TimeSpan delay = TimeSpan.FromSeconds(Math.Min(seconds, options.MaxRetryDelay.TotalSeconds));
        if (retryAfter is { } server && server > delay) delay = server;
        return delay > options.MaxRetryDelay ? options.MaxRetryDelay : delay;
    }

    private static bool IsTransient(HttpStatusCode status) => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow;
        return null;
    }

    private static double Rate(long bytes, long started)
    {
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return seconds > 0 ? bytes / seconds : 0;
    }

    private static string Describe(Exception e) => e.InnerException is { } inner && inner.Message != e.Message ? $"{e.Message} {inner.Message}" : e.Message;

    internal static async Task<string> Sha256OfFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1 << 20, useAsync: true);
        byte[] hash = await System.Security.Cryptography.SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }

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
