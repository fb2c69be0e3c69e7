using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pipeline.Tests.Featurizers.Backbones;

/// <summary>One request as the test server received it.</summary>
internal sealed record HttpRequestInfo(string Method, string Path, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.GetValueOrDefault(name.ToLowerInvariant());
}

/// <summary>What the test server does for one request: every misbehaviour a download must survive is a field here.</summary>
internal sealed record ScriptedReply(int Status, byte[] Body)
{
    /// <summary>The Content-Length to announce; default the body's length; null with <see cref="OmitContentLength"/>.</summary>
    public long? ContentLength { get; init; }

    public bool OmitContentLength { get; init; }

    /// <summary>Close the connection after this many body bytes (a truncated response).</summary>
    public int? CutAfter { get; init; }

    /// <summary>After sending <see cref="CutAfter"/> bytes, hold the connection open this long instead of closing (a stall).</summary>
    public TimeSpan StallAtCut { get; init; }

    /// <summary>Send the body in pieces of this size with <see cref="ChunkDelay"/> between them (a slow server).</summary>
    public int ChunkSize { get; init; } = 1 << 16;

    public TimeSpan ChunkDelay { get; init; }

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Serves <paramref name="file"/>, honouring a <c>Range: bytes=N-</c> request with 206 unless told not to.</summary>
    public static ScriptedReply File(byte[] file, HttpRequestInfo request, bool honourRange = true)
    {
        string? range = request.Header("Range");
        if (honourRange && range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            long from = long.Parse(range[6..^1], System.Globalization.CultureInfo.InvariantCulture);
            if (from >= file.Length) return new ScriptedReply(416, []) { Headers = new Dictionary<string, string> { ["Content-Range"] = $"bytes */{file.Length}" } };
            return new ScriptedReply(206, file[(int)from..]) { Headers = new Dictionary<string, string> { ["Content-Range"] = $"bytes {from}-{file.Length - 1}/{file.Length}" } };
        }
        return new ScriptedReply(200, file);
    }
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (a free port chosen by the OS) that answers each request from a script and
/// closes the connection. It serves only the tests' own requests and stops when disposed.
/// </summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<HttpRequestInfo, int, ScriptedReply> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _count;

    /// <param name="handler">Called with each request and its 0-based index.</param>
    public LoopbackHttpServer(Func<HttpRequestInfo, int, ScriptedReply> handler)
    {
        _handler = handler;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public ConcurrentQueue<HttpRequestInfo> Requests { get; } = new();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Uri UrlFor(string path) => new($"http://127.0.0.1:{Port}/{path}");

    /// <summary>A port on 127.0.0.1 with nothing listening (bound, then released).</summary>
    public static int UnusedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                HttpRequestInfo? request = await ReadRequestAsync(stream);
                if (request is null) return;
                int index = Interlocked.Increment(ref _count) - 1;
                Requests.Enqueue(request);
                ScriptedReply reply = _handler(request, index);

                var head = new StringBuilder();
                head.Append("HTTP/1.1 ").Append(reply.Status).Append(' ').Append(Reason(reply.Status)).Append("\r\n");
                if (!reply.OmitContentLength) head.Append("Content-Length: ").Append(reply.ContentLength ?? reply.Body.Length).Append("\r\n");
                foreach ((string name, string value) in reply.Headers) head.Append(name).Append(": ").Append(value).Append("\r\n");
                head.Append("Connection: close\r\n\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);

                int end = Math.Min(reply.CutAfter ?? reply.Body.Length, reply.Body.Length);
                for (int at = 0; at < end; at += reply.ChunkSize)
                {
                    await stream.WriteAsync(reply.Body.AsMemory(at, Math.Min(reply.ChunkSize, end - at)), _stop.Token);
                    await stream.FlushAsync(_stop.Token);
                    if (reply.ChunkDelay > TimeSpan.Zero) await Task.Delay(reply.ChunkDelay, _stop.Token);
                }
                if (reply.StallAtCut > TimeSpan.Zero) await Task.Delay(reply.StallAtCut, _stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away or the server is stopping: nothing to do.
            }
        }
    }

    private async Task<HttpRequestInfo?> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new byte[16384];
        int length = 0;
        while (true)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(length), _stop.Token);
            if (read == 0) return null;
            length += read;
            int end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                string[] lines = Encoding.ASCII.GetString(buffer, 0, end).Split("\r\n");
                string[] requestLine = lines[0].Split(' ');
                var headers = new Dictionary<string, string>();
                foreach (string line in lines.Skip(1))
                {
                    int colon = line.IndexOf(':');
                    if (colon > 0) headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
                }
                return new HttpRequestInfo(requestLine[0], requestLine[1], headers);
            }
            if (length == buffer.Length) return null;
        }
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        206 => "Partial Content",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
}
