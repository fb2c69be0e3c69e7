using System.Buffers.Binary;
using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Pipeline.Imaging;
using Pipeline.Imaging.Png;

namespace Pipeline.Benchmarks.Imaging;

/// <summary>
/// PNG decode speed on a large generated photo-like image (smooth gradients plus noise, 3000 × 2000), written by our
/// encoder with its adaptive filters (which choose Average for every row of this image) or with Paeth forced on every
/// row (the costliest filter). The "MB/s" column is decoded pixel bytes per second; "File MB/s" is input bytes.
/// <c>dotnet run -c Release --project tests/Pipeline.Benchmarks -- --filter '*PngDecode*'</c>
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class PngDecodeBenchmarks
{
    private const int Width = 3000, Height = 2000;
    private byte[] _png = [];

    /// <summary>The layout: 8-bit RGB or 8-bit RGBA.</summary>
    [Params("rgb8", "rgba8")]
    public string Layout { get; set; } = "rgb8";

    /// <summary>The row filters: the encoder's adaptive choice, or Paeth on every row.</summary>
    [Params("adaptive", "paeth")]
    public string Filter { get; set; } = "adaptive";

    /// <summary>Builds the file once per case.</summary>
    [GlobalSetup]
    public void Setup() => _png = Build(Layout, Filter);

    /// <summary>The benchmark's input file (deterministic, so the host process can size it too).</summary>
    public static byte[] Build(string layout, string filter)
    {
        Image image = PhotoLike(layout == "rgba8" ? PixelFormat.Rgba32 : PixelFormat.Rgb24);
        if (filter == "adaptive") return PngEncoder.Encode(image, CompressionLevel.Optimal);
        // Paeth everywhere: filter each row by hand, then the same chunk layout the encoder writes.
        var raw = new byte[image.Height * (image.Stride + 1)];
        var prior = new byte[image.Stride];
        for (int y = 0; y < image.Height; y++)
        {
            raw[y * (image.Stride + 1)] = 4;
            PngEncoderCore.Filter(4, image.Row(y), prior, raw.AsSpan(y * (image.Stride + 1) + 1, image.Stride), image.BytesPerPixel);
            image.Row(y).CopyTo(prior);
        }
        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);
        byte[] header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), image.Height);
        header[8] = 8;
        header[9] = (byte)(image.BytesPerPixel == 4 ? 6 : 2);
        var file = new MemoryStream();
        file.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        PngEncoderCore.WriteChunk(file, 0x49484452, header);
        PngEncoderCore.WriteChunk(file, 0x49444154, idat.ToArray());
        PngEncoderCore.WriteChunk(file, 0x49454E44, []);
        return file.ToArray();
    }

    /// <summary>Decode the whole file to pixels.</summary>
    [Benchmark]
    public Image Decode() => ImageDecoder.Decode(_png);

    private static Image PhotoLike(PixelFormat format)
    {
        var image = new Image(Width, Height, format);
        var random = new Random(42);
        int bpp = image.BytesPerPixel;
        byte[] p = image.Pixels;
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                int i = (y * Width + x) * bpp;
                double u = x / (double)Width, v = y / (double)Height;
                p[i] = Clamp(128 + 100 * Math.Sin(6 * u + 2 * v) + random.Next(-6, 7));
                p[i + 1] = Clamp(128 + 90 * Math.Cos(4 * v - 3 * u) + random.Next(-6, 7));
                p[i + 2] = Clamp(128 + 80 * Math.Sin(9 * u * v) + random.Next(-6, 7));
                if (bpp == 4) p[i + 3] = Clamp(255 - 60 * u + random.Next(-2, 3));
            }
        }
        return image;
    }

    private static byte Clamp(double value) => (byte)Math.Clamp((int)value, 0, 255);

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig()
        {
            AddColumn(new ThroughputColumn("MB/s", (layout, _) => (long)Width * Height * (layout == "rgba8" ? 4 : 3)),
                new ThroughputColumn("File MB/s", (layout, filter) => Build(layout, filter).LongLength));
        }
    }

    // Columns are computed in the host process, so sizes come from the layout name, not from the benchmark process.
    private sealed class ThroughputColumn(string name, Func<string, string, long> bytes) : IColumn
    {
        private readonly Dictionary<string, long> _sizes = [];

        public string Id => nameof(ThroughputColumn) + name;
        public string ColumnName => name;
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => $"{name}: megabytes (10^6) per second";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            BenchmarkReport? report = summary[benchmarkCase];
            string layout = benchmarkCase.Parameters["Layout"]?.ToString() ?? "";
            string filter = benchmarkCase.Parameters["Filter"]?.ToString() ?? "";
            if (report?.ResultStatistics is null) return "?";
            if (!_sizes.TryGetValue(layout + filter, out long size)) _sizes[layout + filter] = size = bytes(layout, filter);
            double seconds = report.ResultStatistics.Median / 1e9;
            return (size / seconds / 1e6).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
        }

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
    }
}
