using System.IO.Hashing;

namespace Pipeline.Tests.Persistence;

/// <summary>
/// Zip entries, PNG chunks and feature-cache files are checked with System.IO.Hashing's CRC-32: it must be the
/// CRC-32 those formats define (a CRC-32C, say, would reject every file other tools write).
/// </summary>
public sealed class Crc32Tests
{
    [Fact]
    public void The_library_crc_is_the_one_zip_and_png_define()
    {
        // The CRC-32/ISO-HDLC check value from the CRC catalogue: CRC of "123456789".
        Assert.Equal(0xCBF43926u, NaiveCrc32.Compute("123456789"u8));
        Assert.Equal(0xCBF43926u, Crc32.HashToUInt32("123456789"u8));
        Assert.Equal(0u, Crc32.HashToUInt32([]));
        byte[] data = PackageSamples.Bytes(300, 3);
        for (int start = 0; start < 9; start++)
            for (int length = 0; start + length <= data.Length; length += 7)
                Assert.Equal(NaiveCrc32.Compute(data.AsSpan(start, length)), Crc32.HashToUInt32(data.AsSpan(start, length)));
    }
}
