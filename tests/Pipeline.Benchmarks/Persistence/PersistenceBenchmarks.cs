using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Pipeline.Featurizers.Cache;
using Pipeline.Persistence;
using Pipeline.Persistence.Zip;

namespace Pipeline.Benchmarks.Persistence;

/// <summary>
/// model.zip save and load with a MobileNetV2-sized embedded backbone (the real TFLite file from ../shared when present,
/// else 3.6 MB of seeded bytes), and the checksum primitives they rest on.
/// </summary>
[MemoryDiagnoser]
public class ModelPackageBenchmarks
{
    private ModelPackage _package = null!;
    private string _folder = null!;
    private string _path = null!;
    private byte[] _blob = null!;

    [GlobalSetup]
    public void Setup()
    {
        string? shared = FindShared("models/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite");
        byte[] backbone = shared is not null ? File.ReadAllBytes(shared) : RandomBytes(3_610_798);
        _package = new ModelPackage
        {
            Labels = ["daisy", "dandelion", "roses", "sunflowers", "tulips"],
            Backbone = ModelBackbone.Embedded("mobilenet_v2_1.0_224_quant.tflite", backbone, "mobilenet_v2_1.0_224_quant"),
            Entries = new Dictionary<string, ReadOnlyMemory<byte>> { ["head/weights.bin"] = RandomBytes(1280 * 5 * 4 + 20) },
        };
        _folder = Path.Combine(Path.GetTempPath(), "pipeline-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _path = Path.Combine(_folder, "model.zip");
        _package.Save(_path);
        _blob = RandomBytes(4 << 20);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    [Benchmark]
    public void SaveAtomically() => _package.Save(_path);

    [Benchmark]
    public int Load() => ModelPackage.Load(_path).Labels.Count;

    [Benchmark]
    public uint Crc32Of4MiB() => System.IO.Hashing.Crc32.HashToUInt32(_blob);

    [Benchmark]
    public byte[] Sha256Of4MiB() => SHA256.HashData(_blob);

    /// <summary>shared/&lt;relative&gt; beside the repository holding this run (BenchmarkDotNet runs from a generated folder inside it).</summary>
    private static string? FindShared(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) continue;
            string candidate = Path.Combine(dir.FullName, "..", "shared", relative);
            return File.Exists(candidate) ? Path.GetFullPath(candidate) : null;
        }
        return null;
    }

    private static byte[] RandomBytes(int length)
    {
        var data = new byte[length];
        new Random(1).NextBytes(data);
        return data;
    }
}

/// <summary>Feature cache lookups and writes of one 1280-float vector (MobileNetV2's pooled features).</summary>
[MemoryDiagnoser]
public class FeatureCacheBenchmarks
{
    private FeatureCache _cache = null!;
    private string _folder = null!;
    private FeatureCacheKey _hit, _miss;
    private readonly float[] _features = Enumerable.Range(0, 1280).Select(i => (float)Math.Sin(i)).ToArray();

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "pipeline-bench-" + Guid.NewGuid().ToString("N"));
        _cache = new FeatureCache(_folder);
        _hit = FeatureCacheKey.Create([1, 2, 3], "bench");
        _miss = FeatureCacheKey.Create([4, 5, 6], "bench");
        _cache.Set(_hit, _features);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    [Benchmark]
    public bool Hit() => _cache.TryGet(_hit, out _);

    [Benchmark]
    public bool Miss() => _cache.TryGet(_miss, out _);

    [Benchmark]
    public void Write() => _cache.Set(_hit, _features);

    [Benchmark]
    public FeatureCacheKey KeyOf100KiBImage() => FeatureCacheKey.Create(Image, "bench");

    private static readonly byte[] Image = new byte[100 * 1024];
}
