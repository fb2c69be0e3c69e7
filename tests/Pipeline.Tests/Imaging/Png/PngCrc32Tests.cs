using System.IO.Compression;
using Pipeline.Imaging.Png;

namespace Pipeline.Tests.Imaging.Png;

public sealed class PngCrc32Tests
{
    [Fact]
    public void MatchesTheStandardCheckValue()
    {
        // The CRC-32 catalogue's check value: CRC of the ASCII digits "123456789".
        Assert.Equal(0xCBF43926u, PngCrc32.Compute("123456789"u8));
        Assert.Equal(0u, PngCrc32.Compute([]));
    }

    [Fact]
    public void MatchesTheCrcZipArchivesRecord()
    {
        // System.IO.Compression computes the same CRC-32 (in native zlib) for every zip entry: an independent reference.
        var random = new Random(3);
        var contents = new List<byte[]>();
        for (int length = 0; length < 100; length++) contents.Add(RandomBytes(random, length));
        contents.Add(RandomBytes(random, 100_003));
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (int i = 0; i < contents.Count; i++)
            {
                using Stream entry = archive.CreateEntry($"e{i}", CompressionLevel.NoCompression).Open();
                entry.Write(contents[i]);
            }
        }
        zip.Position = 0;
        using var read = new ZipArchive(zip, ZipArchiveMode.Read);
        for (int i = 0; i < contents.Count; i++)
            Assert.Equal(read.GetEntry($"e{i}")!.Crc32, PngCrc32.Compute(contents[i]));
    }

    [Fact]
    public void UpdatingInPiecesEqualsOneCall()
    {
        byte[] data = RandomBytes(new Random(4), 1000);
        for (int split = 0; split <= data.Length; split += 37)
        {
            uint crc = PngCrc32.Update(0xFFFFFFFF, data.AsSpan(0, split));
            Assert.Equal(PngCrc32.Compute(data), ~PngCrc32.Update(crc, data.AsSpan(split)));
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
