using System.Security.Cryptography;
using Pipeline.Imaging;
using Pipeline.Imaging.Jpeg;
using Pipeline.Tests.Infrastructure;
using static Pipeline.Tests.Imaging.Jpeg.JpegTestTools;

namespace Pipeline.Tests.Imaging.Jpeg;

/// <summary>
/// Acceptance 4: mutated JPEGs (baseline, progressive, restarts, grayscale, non-interleaved; synthetic seeds plus a
/// flower and its progressive version when ../shared is present) must each decode or throw
/// <see cref="InvalidImageException"/> within a time bound, strictly and with partial decoding, at varying scales.
/// ~3,000 cases by default; PIPELINE_FUZZ_CASES=100000 for the full run.
/// </summary>
public sealed class JpegFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20240611;
    private static readonly DecoderOptions Strict = new() { MaxPixels = 4_000_000 };
    private static readonly DecoderOptions Partial = new() { MaxPixels = 4_000_000, AllowPartial = true };

    internal static string CorpusFolder => Path.Combine(SharedData.RepoRoot, "tests", "Pipeline.Tests", "Imaging", "Corpus", "jpeg");

    /// <summary>Small seeds the project makes itself, covering each decoding path.</summary>
    private static List<byte[]> SyntheticSeeds()
    {
        SharedData.RequireTool("cjpeg", "libjpeg-turbo-progs");
        Rgb small = Synthetic(48, 40, 21), medium = Synthetic(96, 72, 22);
        return
        [
            Cjpeg(medium, "-sample", "2x2", "-restart", "2B"),
            Cjpeg(small, "-progressive", "-sample", "2x1"),
            Cjpeg(small, "-progressive", "-grayscale", "-restart", "1"),
            Cjpeg(medium, "-sample", "1x1", "-optimize"),
            Cjpeg(small, "-sample", "1x2", "-progressive", "-restart", "3B"),
            Cjpeg(small, "-scans", WriteScript("0;\n1;\n2;\n")),
        ];
    }

    private static string WriteScript(string text)
    {
        string path = Path.Combine(Path.GetTempPath(), $"jpeg-fuzz-{Guid.NewGuid():N}.scans");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void MutatedJpegsDecodeOrThrowTyped()
    {
        List<byte[]> seeds = SyntheticSeeds();
        if (SharedData.Root is not null && SharedData.FindOnPath("jpegtran") is not null)
        {
            byte[] flower = File.ReadAllBytes(Path.Combine(SharedData.Root, "datasets", "flowers-small", "roses", "102501987_3cdb8e5394_n.jpg"));
            seeds.Add(flower);
            seeds.Add(Run("jpegtran", ["-progressive"], flower));
        }

        int scaleIndex = 0;
        int[] scales = [1, 2, 4, 8];
        FuzzHarness.Result result = FuzzHarness.Run<InvalidImageException>(seeds, data =>
        {
            int scale = scales[scaleIndex++ & 3];
            try
            {
                JpegDecoder.Decode(data, Strict, scale);
            }
            finally
            {
                // Whatever the strict decode did, the partial decode must also succeed or throw the typed exception.
                JpegDecoder.Decode(data, Partial, scale);
            }
        }, Seed, defaultCases: 3000, perCaseLimit: TimeSpan.FromSeconds(3), name: "jpeg");

        output.WriteLine($"{result.Cases} cases: {result.Succeeded} decoded, {result.Rejected} rejected (typed), " +
                         $"slowest {result.Slowest.TotalMilliseconds:F0} ms, peak {result.PeakAllocatedBytes / 1024 / 1024} MiB allocated in one case");
        Assert.True(result.Succeeded > 0 && result.Rejected > 0, "the mutations should produce both outcomes");
    }

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        if (Directory.Exists(CorpusFolder))
        {
            foreach (string file in Directory.GetFiles(CorpusFolder).Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void CorpusFileDecodesOrThrowsTyped(string name)
    {
        byte[] data = File.ReadAllBytes(Path.Combine(CorpusFolder, name));
        foreach (DecoderOptions options in (DecoderOptions[])[Strict, Partial])
        {
            foreach (int scale in (int[])[1, 8])
            {
                try
                {
                    Image image = JpegDecoder.Decode(data, options, scale);
                    Assert.True(image.Width > 0 && image.Height > 0);
                }
                catch (InvalidImageException e)
                {
                    Assert.Equal(ImageFormat.Jpeg, e.Format);
                    Assert.InRange(e.Offset, -1, data.Length);
                }
            }
        }
        // Through the façade too, which detects the format first.
        try
        {
            ImageDecoder.Decode(data, Strict);
        }
        catch (InvalidImageException)
        {
        }
    }

    /// <summary>
    /// Regenerates the regression corpus: for each distinct failure reason the mutator reaches from the synthetic
    /// seeds, the smallest input that produced it, plus a few inputs that decode only partially.
    /// </summary>
    [Fact(Explicit = true)]
    public void WriteCorpus()
    {
        List<byte[]> seeds = SyntheticSeeds();
        var mutator = new Mutator(Seed);
        var byReason = new Dictionary<string, byte[]>();
        int partialOnly = 0;
        for (int i = 0; i < 20000; i++)
        {
            byte[] input = mutator.Mutate(seeds[i % seeds.Count]);
            try
            {
                JpegDecoder.Decode(input, Strict);
            }
            catch (InvalidImageException e)
            {
                string reason = new string(e.Reason.TakeWhile(c => !char.IsDigit(c) && c != '(').ToArray()).Trim();
                if (!byReason.TryGetValue(reason, out byte[]? kept) || kept.Length > input.Length) byReason[reason] = input;
                if (partialOnly < 4 && reason.Contains("truncated"))
                {
                    try
                    {
                        JpegDecoder.Decode(input, Partial);
                        byReason[$"partial {partialOnly++}"] = input;
                    }
                    catch (InvalidImageException)
                    {
                    }
                }
            }
        }
        Directory.CreateDirectory(CorpusFolder);
        foreach ((string reason, byte[] input) in byReason)
        {
            string name = Convert.ToHexString(SHA256.HashData(input))[..12].ToLowerInvariant() + ".jpg";
            File.WriteAllBytes(Path.Combine(CorpusFolder, name), input);
            output.WriteLine($"{name}: {reason}");
        }
    }
}
