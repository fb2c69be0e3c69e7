using Pipeline.Persistence;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Persistence;

public sealed class ModelPackageFuzzTests
{
    [Fact]
    public void MutatedPackagesLoadOrFailTyped()
    {
        byte[] full = PackageSamples.Save(new ModelPackage
        {
            Labels = ["a", "b", "c"],
            Head = PackageSamples.Json("""{"kind":"logistic","inputs":4}"""),
            Backbone = ModelBackbone.Embedded("tiny.onnx", PackageSamples.Bytes(3000, 1, compressible: true)),
            Entries = new Dictionary<string, ReadOnlyMemory<byte>>
            {
                ["head/weights.bin"] = PackageSamples.Bytes(400, 2),
                ["featurizer/state.bin"] = PackageSamples.Bytes(2000, 3, compressible: true),
            },
        });
        byte[] referenced = PackageSamples.Save(PackageSamples.Referenced());
        FuzzHarness.Result result = FuzzHarness.Run<InvalidModelPackageException>([full, referenced],
            bytes => ModelPackage.Load(new MemoryStream(bytes)), seed: 5, defaultCases: 3000, TimeSpan.FromSeconds(2), "model-package");
        TestContext.Current.TestOutputHelper?.WriteLine($"{result.Cases} cases: {result.Succeeded} loaded, {result.Rejected} refused, slowest {result.Slowest.TotalMilliseconds:0.0} ms, peak {result.PeakAllocatedBytes} bytes");
        Assert.True(result.Rejected > result.Cases / 2);
    }

    [Fact]
    public void MutatedManifestsInAnOtherwiseValidZipLoadOrFailTyped()
    {
        // The zip-level fuzz mostly trips the CRC; this one rebuilds a correct zip around each mutated manifest so the
        // JSON parser, the migration gate and the manifest/archive cross-checks see the mutations.
        byte[] weights = PackageSamples.Bytes(64, 1);
        byte[] backbone = PackageSamples.Bytes(128, 2);
        byte[] manifest = System.Text.Encoding.UTF8.GetBytes($$$"""
            {"format":"pipeline-model","formatVersion":1,"libraryVersion":"0.1.0","createdUtc":"2024-01-02T03:04:05.000Z",
             "labels":["a","b","c"],
             "backbone":{"storage":"embedded","fileName":"m.onnx","size":128,"sha256":"{{{PackageSamples.Sha(backbone)}}}","entry":"backbone/m.onnx"},
             "head":{"kind":"logistic","inputs":[1,2,3],"nested":{"deep":[{"x":1.5e300}]}},
             "entries":[{"name":"backbone/m.onnx","size":128,"sha256":"{{{PackageSamples.Sha(backbone)}}}"},
                        {"name":"head/w.bin","size":64,"sha256":"{{{PackageSamples.Sha(weights)}}}"}]}
            """);
        Assert.Equal(3, PackageSamples.Load(Wrap(manifest, backbone, weights)).Labels.Count);
        FuzzHarness.Result result = FuzzHarness.Run<InvalidModelPackageException>([manifest],
            mutated => ModelPackage.Load(new MemoryStream(Wrap(mutated, backbone, weights))), seed: 11, defaultCases: 3000, TimeSpan.FromSeconds(2), "model-manifest");
        TestContext.Current.TestOutputHelper?.WriteLine($"{result.Cases} cases: {result.Succeeded} loaded, {result.Rejected} refused, slowest {result.Slowest.TotalMilliseconds:0.0} ms");
    }

    private static byte[] Wrap(byte[] manifest, byte[] backbone, byte[] weights) =>
        new RawZip().Add(RawZip.Stored("manifest.json", manifest)).Add(RawZip.Stored("backbone/m.onnx", backbone)).Add(RawZip.Stored("head/w.bin", weights)).Build();
}
