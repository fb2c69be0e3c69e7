using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pipeline.Persistence;

namespace Pipeline.Tests.Persistence;

/// <summary>Sample model packages and hand-written manifests for the persistence tests.</summary>
internal static class PackageSamples
{
    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    /// <summary>Seeded bytes; <paramref name="compressible"/> makes them repeat a short pattern with noise.</summary>
    public static byte[] Bytes(int length, int seed, bool compressible = false)
    {
        var random = new Random(seed);
        byte[] data = new byte[length];
        if (!compressible)
        {
            random.NextBytes(data);
            return data;
        }
        for (int i = 0; i < length; i++) data[i] = (byte)((i % 61) + (random.Next(8) == 0 ? random.Next(4) : 0));
        return data;
    }

    public static ModelPackage Full(int seed = 1) => new()
    {
        Labels = ["daisy", "dandelion", "roses", "café", "向日葵"],
        Preprocessing = Json("""{"resize":{"width":224,"height":224,"mode":"center-crop"},"layout":"nhwc","scale":[1,1,1]}"""),
        Featurizer = Json("""{"kind":"backbone","tap":"MobilenetV2/Conv_1/Relu6","pooling":"gem:3","l2":true}"""),
        Head = Json("""{"kind":"logistic","inputs":1280,"outputs":5,"l2":0.0001}"""),
        Metrics = Json("""{"microAccuracy":0.935,"macroAccuracy":0.93,"logLoss":0.21,"confusion":[[8,0],[1,7]]}"""),
        TrainingOptions = Json("""{"seed":1,"folds":5,"head":"logistic"}"""),
        Backbone = ModelBackbone.Embedded("mobilenet_v2_1.0_224_quant.tflite", Bytes(50_000, seed, compressible: true), "mobilenet_v2_1.0_224_quant"),
        Entries = new Dictionary<string, ReadOnlyMemory<byte>>
        {
            ["head/weights.bin"] = Bytes(20_000, seed + 1),
            ["featurizer/state.bin"] = Bytes(3_000, seed + 2, compressible: true),
        },
    };

    public static ModelPackage Referenced() => new()
    {
        Labels = ["cat", "dog"],
        Head = Json("""{"kind":"mlp"}"""),
        Backbone = ModelBackbone.Referenced("mobilenetv2-12", "mobilenetv2-12.onnx", "c0c3f76d93fa3fd6580652a45618618a220fced18babf65774ed169de0432ad5", 13964571),
        Entries = new Dictionary<string, ReadOnlyMemory<byte>> { ["head/weights.bin"] = Bytes(800, 7) },
    };

    public static byte[] Save(ModelPackage package, DateTimeOffset? created = null)
    {
        using var buffer = new MemoryStream();
        package.Write(buffer, created ?? new DateTimeOffset(2024, 5, 6, 7, 8, 9, 123, TimeSpan.Zero));
        return buffer.ToArray();
    }

    public static ModelPackage Load(byte[] zip) => ModelPackage.Load(new MemoryStream(zip));

    public static string Sha(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>A manifest written by hand (not by the code under test) listing <paramref name="entries"/>.</summary>
    public static byte[] Manifest(IEnumerable<(string Name, byte[] Content)> entries, int version = 1, string format = "pipeline-model",
        string labels = """["a","b"]""", string extra = "")
    {
        var list = string.Join(",", entries.Select(e => $$"""{"name":"{{e.Name}}","size":{{e.Content.Length}},"sha256":"{{Sha(e.Content)}}"}"""));
        return Encoding.UTF8.GetBytes($$"""{"format":"{{format}}","formatVersion":{{version}},"libraryVersion":"test","createdUtc":"2024-01-02T03:04:05.000Z","labels":{{labels}}{{extra}},"entries":[{{list}}]}""");
    }

    /// <summary>A zip of a hand-written manifest plus <paramref name="entries"/>, all stored.</summary>
    public static byte[] RawPackage(params (string Name, byte[] Content)[] entries)
    {
        var zip = new RawZip().Add(RawZip.Stored("manifest.json", Manifest(entries)));
        foreach ((string name, byte[] content) in entries) zip.Add(RawZip.Stored(name, content));
        return zip.Build();
    }
}
