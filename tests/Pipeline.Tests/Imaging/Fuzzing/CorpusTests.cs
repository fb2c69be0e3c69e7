using System.Diagnostics;
using System.Text.RegularExpressions;
using Pipeline.Imaging;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Imaging.Fuzzing;

/// <summary>
/// The regression corpus in tests/Pipeline.Tests/Imaging/Corpus/{png,bmp,gif,webp}: broken files the fuzzers generated
/// (one per distinct rejection reason, plus inputs that once crashed a decoder). Each must decode or throw
/// <see cref="InvalidImageException"/> quickly. PIPELINE_WRITE_CORPUS=1 regenerates the mutation-derived files.
/// </summary>
public sealed partial class CorpusTests
{
    private static string CorpusRoot => Path.Combine(SharedData.RepoRoot, "tests", "Pipeline.Tests", "Imaging", "Corpus");

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        if (!Directory.Exists(CorpusRoot)) return data;
        foreach (string file in Directory.GetFiles(CorpusRoot, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(CorpusRoot, file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void DecodesOrThrowsTheTypedException(string relative)
    {
        byte[] data = File.ReadAllBytes(Path.Combine(CorpusRoot, relative));
        var watch = Stopwatch.StartNew();
        try
        {
            Image image = ImageDecoder.Decode(data, CodecFuzzTests.FuzzOptions);
            Assert.True(image.Width > 0 && image.Height > 0);
        }
        catch (InvalidImageException e)
        {
            Assert.True(e.Offset >= 0 && e.Offset <= data.Length, $"{relative}: offset {e.Offset} outside the {data.Length}-byte file");
            Assert.False(string.IsNullOrWhiteSpace(e.Reason));
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"{relative} took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void CorpusHasFilesForEveryFormat()
    {
        foreach (string format in new[] { "png", "bmp", "gif", "webp" })
            Assert.True(Directory.Exists(Path.Combine(CorpusRoot, format)) && Directory.GetFiles(Path.Combine(CorpusRoot, format)).Length >= 10, format);
    }

    [Fact]
    public void Regenerate()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("PIPELINE_WRITE_CORPUS") == "1", "set PIPELINE_WRITE_CORPUS=1 to rewrite the mutation-derived corpus files");
        Write("png", CodecSeeds.Png(), 2001, CodecFuzzTests.WithValidCrcs);
        Write("bmp", CodecSeeds.Bmp(), 2002, b => b);
        Write("gif", CodecSeeds.Gif(), 2003, b => b);
        Write("webp", CodecSeeds.Webp(), 2004, b => b);
    }

    // Mutates the seeds and keeps the first input for each distinct rejection reason (numbers ignored).
    private static void Write(string format, IReadOnlyList<byte[]> seeds, int seed, Func<byte[], byte[]> prepare)
    {
        string dir = Path.Combine(CorpusRoot, format);
        Directory.CreateDirectory(dir);
        foreach (string old in Directory.GetFiles(dir, "mutant-*")) File.Delete(old);
        var mutator = new Mutator(seed);
        var seen = new HashSet<string>();
        for (int i = 0; i < 50_000 && seen.Count < 30; i++)
        {
            byte[] input = prepare(mutator.Mutate(seeds[i % seeds.Count]));
            string reason;
            try
            {
                ImageDecoder.Decode(input, CodecFuzzTests.FuzzOptions);
                continue;
            }
            catch (InvalidImageException e)
            {
                reason = Digits().Replace(Hex().Replace(ChunkName().Replace(e.Reason, "chunk"), "#"), "#");
            }
            if (!seen.Add(reason) || input.Length > 4096) continue;
            string slug = Slug().Replace(reason.ToLowerInvariant(), "-").Trim('-');
            File.WriteAllBytes(Path.Combine(dir, $"mutant-{seen.Count:00}-{slug[..Math.Min(48, slug.Length)].TrimEnd('-')}.{format}"), input);
        }
    }

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();

    [GeneratedRegex("0x[0-9A-Fa-f]+|\\(.*?\\)")]
    private static partial Regex Hex();

    [GeneratedRegex("^\\S+ chunk|chunk type \\S+|unknown critical chunk \\S+|first chunk is \\S+")]
    private static partial Regex ChunkName();

    [GeneratedRegex("[^a-z]+")]
    private static partial Regex Slug();
}
