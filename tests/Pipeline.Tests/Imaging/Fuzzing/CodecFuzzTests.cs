using System.Buffers.Binary;
using Pipeline.Imaging;
using Pipeline.Imaging.Png;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Imaging.Fuzzing;

/// <summary>
/// Acceptance 4: mutated PNG, BMP, GIF and WebP files (fixed seeds) must each decode or throw <see cref="InvalidImageException"/>,
/// within a time bound and with bounded memory (MaxPixels 1 MP). CI runs 10,000 cases per format;
/// PIPELINE_FUZZ_CASES=100000 runs the long campaign.
/// </summary>
public sealed class CodecFuzzTests(ITestOutputHelper output)
{
    internal static readonly DecoderOptions FuzzOptions = new() { MaxPixels = 1 << 20 };
    private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(3);
    private const int DefaultCases = 10_000;

    [Fact]
    public void Png()
    {
        // Each mutant is decoded as it is, then with its chunk CRCs recomputed, so mutations also get past the CRC
        // check into the header, palette, inflate, filter and pixel code. The counts are those of the second decode.
        Report(FuzzHarness.Run<InvalidImageException>(CodecSeeds.Png(), input =>
        {
            try
            {
                Decode(input);
            }
            catch (InvalidImageException)
            {
            }
            Decode(WithValidCrcs(input));
        }, seed: 1001, DefaultCases, PerCase, "png"));
    }

    [Fact]
    public void Bmp()
    {
        Report(FuzzHarness.Run<InvalidImageException>(CodecSeeds.Bmp(), Decode, seed: 1002, DefaultCases, PerCase, "bmp"));
    }

    [Fact]
    public void Gif()
    {
        Report(FuzzHarness.Run<InvalidImageException>(CodecSeeds.Gif(), Decode, seed: 1003, DefaultCases, PerCase, "gif"));
    }

    [Fact]
    public void Webp()
    {
        Report(FuzzHarness.Run<InvalidImageException>(CodecSeeds.Webp(), input =>
        {
            try
            {
                Decode(input);
            }
            catch (InvalidImageException e) when (e.Offset < 0 || e.Offset > input.Length)
            {
                Assert.Fail($"offset {e.Offset} outside the {input.Length}-byte file: {e.Reason}");
            }
        }, seed: 1004, DefaultCases, PerCase, "webp"));
    }

    private static void Decode(byte[] input)
    {
        Image image = ImageDecoder.Decode(input, FuzzOptions);
        Assert.True((long)image.Width * image.Height <= FuzzOptions.MaxPixels);
    }

    /// <summary>The file with every CRC field it can find rewritten to match its chunk (best effort on broken structure).</summary>
    internal static byte[] WithValidCrcs(byte[] png)
    {
        byte[] copy = png.ToArray();
        for (long pos = 8; pos + 12 <= copy.Length;)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(copy.AsSpan((int)pos));
            if (length > copy.Length - pos - 12) break;
            uint crc = System.IO.Hashing.Crc32.HashToUInt32(copy.AsSpan((int)pos + 4, (int)length + 4));
            BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan((int)(pos + 8 + length)), crc);
            pos += 12 + length;
        }
        return copy;
    }

    private void Report(FuzzHarness.Result result)
        => output.WriteLine($"{result.Cases} cases: {result.Succeeded} decoded, {result.Rejected} rejected, slowest {result.Slowest.TotalMilliseconds:0.0} ms, peak allocation in one case {result.PeakAllocatedBytes / 1024.0 / 1024.0:0.0} MiB");
}
