using System.IO.Compression;
using System.Text;
using Pipeline.Persistence;

namespace Pipeline.Tests.Persistence;

/// <summary>Archives crafted to attack the loader: each must give <see cref="InvalidModelPackageException"/> naming the problem.</summary>
public sealed class HostileZipTests
{
    private static InvalidModelPackageException Refused(byte[] zip, ModelPackageLimits? limits = null) =>
        Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Load(new MemoryStream(zip), limits));

    private static readonly byte[] Weights = PackageSamples.Bytes(64, 5);

    [Fact]
    public void TheValidBaselineLoads()
    {
        ModelPackage loaded = PackageSamples.Load(PackageSamples.RawPackage(("head/w.bin", Weights)));
        Assert.Equal(Weights, loaded.Entries["head/w.bin"].ToArray());
    }

    [Fact]
    public void PathTraversalWrittenBySystemIOCompression()
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (Stream s = archive.CreateEntry("manifest.json").Open()) s.Write(PackageSamples.Manifest([("../evil", Weights)]));
            using (Stream s = archive.CreateEntry("../evil").Open()) s.Write(Weights);
        }
        InvalidModelPackageException e = Refused(buffer.ToArray());
        Assert.Equal("../evil", e.Entry);
        Assert.Contains("'..'", e.Reason);
    }

    [Theory]
    [InlineData("../evil", "'..'")]
    [InlineData("head/../../evil", "'..'")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("C:/Windows/evil.dll", "absolute")]
    [InlineData("head\\..\\evil", "backslash")]
    [InlineData("head//w.bin", "empty path segment")]
    [InlineData("./w.bin", "'.' segment")]
    [InlineData(".hidden", "starts with '.'")]
    [InlineData("head/w\u0000.bin", "\\x00")]
    [InlineData("head/w\u00e9.bin", "\\xC3")]
    public void UnsafeNamesAreRefusedFromTheCentralDirectory(string name, string expected)
    {
        InvalidModelPackageException e = Refused(PackageSamples.RawPackage((name, Weights)));
        Assert.Contains("unsafe entry name", e.Reason);
        Assert.Contains(expected, e.Reason + e.Entry);
    }

    [Fact]
    public void DuplicateNamesAreRefused()
    {
        byte[] manifest = PackageSamples.Manifest([("head/w.bin", Weights)]);
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", manifest)).Add(RawZip.Stored("head/w.bin", Weights)).Add(RawZip.Stored("head/w.bin", Weights)).Build();
        Assert.Contains("twice", Refused(zip).Reason);
        zip = new RawZip().Add(RawZip.Stored("manifest.json", manifest)).Add(RawZip.Stored("head/w.bin", Weights)).Add(RawZip.Stored("HEAD/W.BIN", Weights)).Build();
        Assert.Contains("twice", Refused(zip).Reason);
    }

    [Fact]
    public void ATenGigabyteDeclaredEntryIsRefusedFromItsHeaderWithoutInflating()
    {
        const long TenGigabytes = 10L * 1024 * 1024 * 1024;
        RawZip.Entry huge = RawZip.Deflated("head/huge.bin", new byte[1000]);
        huge.Size = TenGigabytes; // zip64 extra field in the central directory carries it
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([]))).Add(huge).Build();

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        InvalidModelPackageException e = Refused(zip);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Equal("head/huge.bin", e.Entry);
        Assert.Contains($"declares {TenGigabytes} bytes uncompressed, over the limit", e.Reason);
        Assert.Contains("MaxEntryBytes", e.Hint);
        Assert.True(allocated < 4 << 20, $"the loader allocated {allocated} bytes to refuse it");
    }

    [Fact]
    public void A4GigabyteDeclared32BitEntryIsRefused()
    {
        RawZip.Entry huge = RawZip.Deflated("head/huge.bin", new byte[1000]);
        huge.Size = uint.MaxValue - 1;
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([]))).Add(huge).Build();
        Assert.Contains("over the limit", Refused(zip).Reason);
    }

    [Fact]
    public void AZipBombIsRefusedByItsCompressionRatio()
    {
        byte[] zeros = new byte[20 << 20];
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", zeros)]))).Add(RawZip.Deflated("head/w.bin", zeros)).Build();
        Assert.True(zip.Length < 100_000);
        InvalidModelPackageException e = Refused(zip);
        Assert.Contains("over-compressed", e.Reason);
    }

    [Fact]
    public void TheTotalDeclaredSizeIsBounded()
    {
        byte[] a = PackageSamples.Bytes(3000, 1), b = PackageSamples.Bytes(3000, 2);
        byte[] zip = PackageSamples.RawPackage(("a.bin", a), ("b.bin", b));
        Assert.Contains("in total", Refused(zip, new ModelPackageLimits { MaxTotalBytes = 5000 }).Reason);
        Assert.Contains("entries, over the limit", Refused(zip, new ModelPackageLimits { MaxEntries = 2 }).Reason);
        Assert.Contains("manifest limit", Refused(zip, new ModelPackageLimits { MaxManifestBytes = 100 }).Reason);
    }

    [Fact]
    public void AnEntryThatInflatesPastItsDeclaredSizeIsRefused()
    {
        byte[] content = PackageSamples.Bytes(100_000, 3, compressible: true);
        RawZip.Entry liar = RawZip.Deflated("head/w.bin", content);
        liar.Size = 50_000;
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", content[..50_000])]))).Add(liar).Build();
        Assert.Contains("inflates past its declared size of 50000", Refused(zip).Reason);
    }

    [Fact]
    public void AnEntryThatInflatesShortOfItsDeclaredSizeIsRefused()
    {
        byte[] content = PackageSamples.Bytes(10_000, 3, compressible: true);
        RawZip.Entry liar = RawZip.Deflated("head/w.bin", content);
        liar.Size = 12_000;
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", new byte[12_000])]))).Add(liar).Build();
        Assert.Contains("short of the 12000 declared", Refused(zip).Reason);
    }

    [Fact]
    public void CorruptDeflateDataIsRefused()
    {
        byte[] content = PackageSamples.Bytes(10_000, 3, compressible: true);
        RawZip.Entry corrupt = RawZip.Deflated("head/w.bin", content);
        for (int i = 0; i < corrupt.Data.Length; i += 7) corrupt.Data[i] ^= 0x5A;
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", content)]))).Add(corrupt).Build();
        InvalidModelPackageException e = Refused(zip);
        Assert.Equal("head/w.bin", e.Entry);
    }

    [Fact]
    public void ACrcMismatchIsRefused()
    {
        RawZip.Entry entry = RawZip.Stored("head/w.bin", Weights);
        entry.Crc ^= 1;
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", Weights)]))).Add(entry).Build();
        Assert.Contains("CRC-32", Refused(zip).Reason);
    }

    [Fact]
    public void AShaMismatchIsRefused()
    {
        byte[] altered = (byte[])Weights.Clone();
        altered[10] ^= 0xFF; // the zip CRC is right for the altered bytes: only the manifest's SHA-256 can tell
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", Weights)]))).Add(RawZip.Stored("head/w.bin", altered)).Build();
        InvalidModelPackageException e = Refused(zip);
        Assert.Equal("head/w.bin", e.Entry);
        Assert.Contains("SHA-256", e.Reason);
    }

    [Fact]
    public void AMissingManifestIsRefused()
    {
        byte[] zip = new RawZip().Add(RawZip.Stored("head/w.bin", Weights)).Build();
        InvalidModelPackageException e = Refused(zip);
        Assert.Contains("no manifest.json", e.Reason);
        Assert.NotNull(e.Hint);
    }

    [Fact]
    public void AFutureFormatVersionIsRefusedWithAnUpgradeHint()
    {
        byte[] manifest = PackageSamples.Manifest([("head/w.bin", Weights)], version: ModelFormat.CurrentVersion + 1);
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", manifest)).Add(RawZip.Stored("head/w.bin", Weights)).Build();
        InvalidModelPackageException e = Refused(zip);
        Assert.Contains($"format version {ModelFormat.CurrentVersion + 1} by a newer version of Pipeline", e.Reason);
        Assert.Contains("upgrade", e.Hint);
        Assert.Contains("Hint: upgrade", e.Message);
    }

    [Fact]
    public void ATruncatedFileSaysSoAndItsHintIsASentenceOfItsOwn()
    {
        byte[] zip = PackageSamples.Save(PackageSamples.Full());
        InvalidModelPackageException e = Refused(zip[..(zip.Length / 2)]);
        Assert.Contains("or it is truncated. Hint: a model package is", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("copy it again.", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("the entry is corrupt", "save it again", "<model package>: the entry is corrupt. Hint: save it again.")]
    [InlineData("the entry is corrupt.", "Save it again.", "<model package>: the entry is corrupt. Hint: Save it again.")]
    [InlineData("the entry is corrupt", null, "<model package>: the entry is corrupt")]
    public void AHintIsAlwaysSeparatedFromTheReasonByAFullStop(string reason, string? hint, string expected)
        => Assert.Equal(expected, new InvalidModelPackageException(reason, hint: hint).Message);

    [Fact]
    public void AWrongSignatureIsRefused()
    {
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([], format: "some-other-model"))).Build();
        Assert.Contains("not a Pipeline model package", Refused(zip).Reason);
    }

    [Fact]
    public void AnUnlistedExtraEntryIsRefused()
    {
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", Weights)])))
            .Add(RawZip.Stored("head/w.bin", Weights)).Add(RawZip.Stored("payload.exe", Weights)).Build();
        InvalidModelPackageException e = Refused(zip);
        Assert.Equal("payload.exe", e.Entry);
        Assert.Contains("does not list", e.Reason);
    }

    [Fact]
    public void AListedButMissingEntryIsRefused()
    {
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", Weights), ("featurizer/s.bin", Weights)])))
            .Add(RawZip.Stored("head/w.bin", Weights)).Build();
        InvalidModelPackageException e = Refused(zip);
        Assert.Equal("featurizer/s.bin", e.Entry);
        Assert.Contains("does not hold it", e.Reason);
    }

    [Fact]
    public void EncryptionAndUnknownMethodsAreRefused()
    {
        RawZip.Entry encrypted = RawZip.Stored("head/w.bin", Weights);
        encrypted.Flags = 1;
        Assert.Contains("encrypted", Refused(new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", Weights)]))).Add(encrypted).Build()).Reason);
        RawZip.Entry bzip2 = RawZip.Stored("head/w.bin", Weights);
        bzip2.Method = 12;
        Assert.Contains("method 12", Refused(new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", Weights)]))).Add(bzip2).Build()).Reason);
    }

    [Fact]
    public void LocalAndCentralHeadersThatDisagreeAreRefused()
    {
        RawZip.Entry entry = RawZip.Stored("head/w.bin", Weights);
        entry.LocalName = Encoding.ASCII.GetBytes("head/x.bin");
        Assert.Contains("local header names it", Refused(new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", Weights)]))).Add(entry).Build()).Reason);
        entry = RawZip.Stored("head/w.bin", Weights);
        entry.LocalSize = 3;
        Assert.Contains("differ", Refused(new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", Weights)]))).Add(entry).Build()).Reason);
    }

    [Fact]
    public void OverlappingEntriesAreRefused()
    {
        // Two central records pointing at the same local header: the overlapping-file zip bomb's trick.
        RawZip.Entry first = RawZip.Stored("head/w.bin", Weights);
        RawZip.Entry second = RawZip.Stored("head/w.bin", Weights);
        second.Name = Encoding.ASCII.GetBytes("head/v.bin");
        var zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", Weights), ("head/v.bin", Weights)]))).Add(first).Add(second);
        byte[] bytes = zip.Build();
        second.OffsetOverride = FindLocal(bytes, 1);
        Assert.Contains("overlaps", Refused(zip.Build()).Reason);
    }

    private static int FindLocal(byte[] zip, int index)
    {
        int found = -1;
        for (int i = 0, n = 0; i + 4 <= zip.Length; i++)
        {
            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 3 && zip[i + 3] == 4 && n++ == index) { found = i; break; }
        }
        return found;
    }

    [Fact]
    public void PrependedOrAppendedDataIsRefused()
    {
        byte[] valid = PackageSamples.RawPackage(("head/w.bin", Weights));
        Assert.Contains("not a zip header", Refused([.. new byte[100], .. valid]).Reason);
        // Prepended data that itself starts like a zip still leaves the archive where its end record does not point.
        Assert.Contains("does not end where the end record begins", Refused([.. valid[..4], .. new byte[96], .. valid]).Reason);
        byte[] padded = [.. valid, .. new byte[10]];
        Assert.Contains("end-of-central-directory", Refused(padded).Reason);
    }

    [Fact]
    public void TruncatedEmptyAndForeignFilesAreRefused()
    {
        byte[] valid = PackageSamples.Save(PackageSamples.Full());
        for (int cut = 1; cut < valid.Length; cut += 997)
            Refused(valid[..cut]);
        Assert.Contains("it is empty", Refused([]).Reason);
        Assert.Contains("not a zip header", Refused(PackageSamples.Bytes(5000, 9)).Reason);
    }

    public static TheoryData<string, string> BadManifests => new()
    {
        { "{", "not valid JSON" },
        { "[]", "not a JSON object" },
        { """{"format":"pipeline-model","format":"pipeline-model","formatVersion":1}""", "not valid JSON" },
        { """{"formatVersion":1}""", "no 'format'" },
        { """{"format":"pipeline-model","formatVersion":"1"}""", "integer 'formatVersion'" },
        { """{"format":"pipeline-model","formatVersion":0}""", "versions start at 1" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"2024-01-01T00:00:00Z","labels":["a"],"entries":[],"surprise":1}""", "unknown property 'surprise'" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"yesterday","labels":["a"],"entries":[]}""", "createdUtc" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"2024-01-01T00:00:00Z","labels":[],"entries":[]}""", "0 labels" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"2024-01-01T00:00:00Z","labels":["a","a"],"entries":[]}""", "twice" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"2024-01-01T00:00:00Z","labels":["a",3],"entries":[]}""", "not a string" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"2024-01-01T00:00:00Z","labels":["a"]}""", "'entries'" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"2024-01-01T00:00:00Z","labels":["a"],"entries":[],"head":[1]}""", "'head' is not an object" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"2024-01-01T00:00:00Z","labels":["a"],"entries":[],"backbone":{"storage":"referenced","fileName":"m.onnx","size":1,"sha256":"c0c3f76d93fa3fd6580652a45618618a220fced18babf65774ed169de0432ad5"}}""", "registryName" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"2024-01-01T00:00:00Z","labels":["a"],"entries":[],"backbone":{"storage":"embedded","fileName":"m.onnx","size":1,"sha256":"c0c3f76d93fa3fd6580652a45618618a220fced18babf65774ed169de0432ad5","entry":"backbone/m.onnx"}}""", "not listed" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"2024-01-01T00:00:00Z","labels":["a"],"entries":[],"backbone":{"storage":"cloud","fileName":"m.onnx","size":1,"sha256":"c0c3f76d93fa3fd6580652a45618618a220fced18babf65774ed169de0432ad5"}}""", "'cloud'" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"2024-01-01T00:00:00Z","labels":["a"],"entries":[],"backbone":{"storage":"referenced","fileName":"../m.onnx","size":1,"sha256":"c0c3f76d93fa3fd6580652a45618618a220fced18babf65774ed169de0432ad5","registryName":"m"}}""", "plain file name" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"2024-01-01T00:00:00Z","labels":["a"],"entries":[{"name":"x","size":1,"sha256":"XYZ"}]}""", "SHA-256" },
        { """{"format":"pipeline-model","formatVersion":1,"libraryVersion":"x","createdUtc":"2024-01-01T00:00:00Z","labels":["a"],"entries":[{"name":"x","size":-1,"sha256":"c0c3f76d93fa3fd6580652a45618618a220fced18babf65774ed169de0432ad5"}]}""", "non-negative" },
    };

    [Theory]
    [MemberData(nameof(BadManifests))]
    public void MalformedManifestsAreRefused(string manifest, string expected)
    {
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", Encoding.UTF8.GetBytes(manifest))).Build();
        InvalidModelPackageException e = Refused(zip);
        Assert.Equal("manifest.json", e.Entry);
        Assert.Contains(expected, e.Reason);
    }

    [Fact]
    public void AnEmbeddedBackboneMustLiveUnderBackbone()
    {
        // A manifest that passes the head weights off as the backbone.
        string sha = PackageSamples.Sha(Weights);
        string backbone = $$""","backbone":{"storage":"embedded","fileName":"w.bin","size":{{Weights.Length}},"sha256":"{{sha}}","entry":"head/w.bin"}""";
        byte[] manifest = PackageSamples.Manifest([("head/w.bin", Weights)], extra: backbone);
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", manifest)).Add(RawZip.Stored("head/w.bin", Weights)).Build();
        Assert.Contains("not the backbone/ entry", Refused(zip).Reason);
    }

    [Fact]
    public void AHugeZip64CompressedSizeIsRefusedWithoutOverflow()
    {
        RawZip.Entry entry = RawZip.Deflated("head/w.bin", Weights);
        entry.CompressedSize = long.MaxValue - 10;
        byte[] zip = new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([("head/w.bin", Weights)]))).Add(entry).Build();
        Assert.Contains("run past the start of the central directory", Refused(zip).Reason);
    }

    [Fact]
    public void InvalidUtf8InTheManifestIsRefused()
    {
        // Found by the manifest fuzz: JsonNode transcodes strings lazily and threw an untyped error.
        byte[] manifest = PackageSamples.Manifest([], labels: "[\"a\",\"b\"]");
        int at = Array.IndexOf(manifest, (byte)'b', Array.IndexOf(manifest, (byte)'['));
        manifest[at] = 0xC3;
        InvalidModelPackageException e = Refused(new RawZip().Add(RawZip.Stored("manifest.json", manifest)).Build());
        Assert.Contains("UTF-8", e.Reason);
    }

    [Fact]
    public void TheFileNameIsInTheMessage()
    {
        using var folder = new ScratchFolder("hostile");
        string path = folder.File("evil.zip");
        File.WriteAllBytes(path, PackageSamples.RawPackage(("../evil", Weights)));
        var e = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Load(path));
        Assert.Equal(path, e.File);
        Assert.StartsWith(path + ": entry '../evil': unsafe entry name", e.Message);
    }
}
