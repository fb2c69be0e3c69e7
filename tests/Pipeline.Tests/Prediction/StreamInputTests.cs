using System.Text.Json;
using Pipeline.Imaging;
using Pipeline.Prediction;
using Pipeline.Tests.Classification;
using Pipeline.Tests.Featurizers;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Prediction;

/// <summary>Images arriving as streams the way a web app gets them: async-only request bodies, endless or huge bodies.</summary>
public sealed class StreamInputTests(ShapesModel model) : IClassFixture<ShapesModel>
{
    [Fact]
    public async Task PredictAsyncReadsAStreamThatAllowsOnlyAsynchronousReads()
    {
        // Kestrel's request body throws on synchronous reads unless AllowSynchronousIO is set.
        ImageClassifier classifier = model.Result.Classifier;
        string path = model.Data.Samples[0].Path;
        float[] expected = classifier.Predict(path).Scores.ToArray();
        await using var body = new AsyncOnlyStream(File.ReadAllBytes(path));
        global::Pipeline.Prediction.Prediction prediction = await classifier.PredictAsync(body, TestContext.Current.CancellationToken);
        Assert.Equal(expected, prediction.Scores);
        Assert.Throws<InvalidOperationException>(() => classifier.Predict(new AsyncOnlyStream(File.ReadAllBytes(path))));

        using var folder = new ScratchFolder("predict-async");
        model.Result.Save(folder.File("model.zip"), TestContext.Current.CancellationToken);
        using var holder = new ReloadingImageClassifier(folder.File("model.zip"));
        Assert.Equal(expected, (await holder.PredictAsync(new AsyncOnlyStream(File.ReadAllBytes(path)), TestContext.Current.CancellationToken)).Scores);
        Image decoded = await ImageDecoder.DecodeAsync(new AsyncOnlyStream(File.ReadAllBytes(path)), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(ImageDecoder.Decode(path).Width, decoded.Width);
    }

    [Fact]
    public async Task AnEndlessStreamIsRefusedAtTheByteLimitNotReadToTheEnd()
    {
        var options = new DecoderOptions { MaxBytes = 1 << 20 };
        var endless = new EndlessStream();
        InvalidImageException e = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(endless, options));
        Assert.Contains("MaxBytes", e.Message);
        Assert.InRange(endless.Served, 1 << 20, 2 << 20);
        var endlessAsync = new EndlessStream();
        await Assert.ThrowsAsync<InvalidImageException>(() => ImageDecoder.DecodeAsync(endlessAsync, options, TestContext.Current.CancellationToken));
        Assert.InRange(endlessAsync.Served, 1 << 20, 2 << 20);

        // A seekable stream that is too long is refused before any read; a file likewise, from its length.
        var seekable = new MemoryStream(new byte[(1 << 20) + 1]);
        Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(seekable, options));
        Assert.Equal(0, seekable.Position);
        using var folder = new ScratchFolder("stream-limit");
        string big = folder.File("big.png");
        await File.WriteAllBytesAsync(big, File.ReadAllBytes(model.Data.Samples[0].Path), TestContext.Current.CancellationToken);
        Assert.Contains(big, Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(big, new DecoderOptions { MaxBytes = 10 })).Message);
    }

    [Fact]
    public void An_endless_stream_costs_about_the_limit_in_allocations_not_the_pools_next_power_of_two()
    {
        // 64 MiB + 1 byte is the last buffer: rented from the shared pool it was a 128 MiB array (after a 64 MiB one),
        // about 4 times the limit in all; allocated for the read, the doublings add up to about twice the limit.
        const int limit = 64 << 20;
        ImageDecoder.Decode(new MemoryStream(File.ReadAllBytes(model.Data.Samples[0].Path)), new DecoderOptions { MaxBytes = limit });
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(new EndlessStream(), new DecoderOptions { MaxBytes = limit }));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.InRange(allocated, limit, 2.2 * limit);
    }

    [Fact]
    public void DecoderOptionsOutOfRangeAreRefused()
    {
        byte[] png = File.ReadAllBytes(model.Data.Samples[0].Path);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageDecoder.Decode(png, new DecoderOptions { MaxPixels = -5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageDecoder.Decode(png, new DecoderOptions { MaxBytes = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageDecoder.Decode(png, new DecoderOptions { MinWidth = -1 }));
        using var saved = new MemoryStream();
        model.Result.Classifier.Save(saved);
        saved.Position = 0;
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageClassifier.Load(saved, new ImageClassifierOptions { Decoder = new DecoderOptions { MinHeight = -1 } }));
    }

    [Fact]
    public async Task AModelLoadsInAnAppThatTurnsReflectionBasedJsonOff()
    {
        // PublishAot or PublishTrimmed set JsonSerializerIsReflectionEnabledByDefault=false, even under `dotnet run`:
        // every valid model then failed to load, reported as a corrupt manifest.
        using var folder = new ScratchFolder("json-reflection-off");
        model.Result.Save(folder.File("model.zip"), TestContext.Current.CancellationToken);
        string config = folder.File("reflection-off.runtimeconfig.json");
        string original = Path.ChangeExtension(typeof(StreamInputTests).Assembly.Location, ".runtimeconfig.json");
        var root = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(original, TestContext.Current.CancellationToken))!;
        var runtime = root["runtimeOptions"]!.AsObject();
        if (runtime["configProperties"] is null) runtime["configProperties"] = new System.Text.Json.Nodes.JsonObject();
        runtime["configProperties"]!["System.Text.Json.JsonSerializer.IsReflectionEnabledByDefault"] = false;
        await File.WriteAllTextAsync(config, root.ToJsonString(), TestContext.Current.CancellationToken);
        using var child = CrossProcess.Start($"{typeof(StreamInputTests).FullName}.{nameof(ReflectionOffWorker)}", new Dictionary<string, string>
        {
            ["PIPELINE_REFLECTION_OFF_MODEL"] = folder.File("model.zip"),
            ["PIPELINE_REFLECTION_OFF_IMAGE"] = model.Data.Samples[0].Path,
        }, runtimeConfig: config);
        await CrossProcess.ExpectSuccessAsync(child, TimeSpan.FromMinutes(3));
    }

    [Fact]
    public void ReflectionOffWorker()
    {
        string? saved = Environment.GetEnvironmentVariable("PIPELINE_REFLECTION_OFF_MODEL");
        if (saved is null) Assert.Skip("Runs in the child process of AModelLoadsInAnAppThatTurnsReflectionBasedJsonOff.");
        Assert.False(JsonSerializer.IsReflectionEnabledByDefault);
        using ImageClassifier classifier = ImageClassifier.Load(saved);
        Assert.NotNull(classifier.Predict(Environment.GetEnvironmentVariable("PIPELINE_REFLECTION_OFF_IMAGE")!).Label);
    }

    /// <summary>A request body: synchronous reads throw, as Kestrel's do by default.</summary>
    private sealed class AsyncOnlyStream(byte[] data) : ForwardOnlyStream
    {
        private int _position;
        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("Synchronous operations are disallowed.");
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int count = Math.Min(buffer.Length, data.Length - _position);
            data.AsSpan(_position, count).CopyTo(buffer.Span);
            _position += count;
            return ValueTask.FromResult(count);
        }
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>Never ends: 'x' for ever, counting what it served.</summary>
    private sealed class EndlessStream : ForwardOnlyStream
    {
        public long Served { get; private set; }
        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill((byte)'x');
            Served += count;
            return count;
        }
    }

    /// <summary>A stream that can only be read forward, as a network body is: no length, no seeking, no writing.</summary>
    private abstract class ForwardOnlyStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
