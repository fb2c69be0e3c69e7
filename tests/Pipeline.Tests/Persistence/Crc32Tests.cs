using System.Text;
using Pipeline.Persistence.Zip;

namespace Pipeline.Tests.Persistence;

public sealed class Crc32Tests
{
    [Fact]
    public void MatchesTheStandardCheckValue()
    {
        // The CRC-32/ISO-HDLC check value from the CRC catalogue: CRC of "123456789".
        Assert.Equal(0xCBF43926u, Crc32.ComputeNaive("123456789"u8));
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute([]));
    }

    [Fact]
    public void SlicedVersionMatchesTheBitwiseSpecAtEveryLengthAndOffset()
    {
        byte[] data = PackageSamples.Bytes(300, 3);
        for (int start = 0; start < 9; start++)
        {
            for (int length = 0; start + length <= data.Length; length++)
                Assert.Equal(Crc32.ComputeNaive(data.AsSpan(start, length)), Crc32.Compute(data.AsSpan(start, length)));
        }
    }

    [Fact]
    public void AppendingInPiecesEqualsOneShot()
    {
        byte[] data = Encoding.ASCII.GetBytes(new string('x', 1000) + "tail");
        uint crc = 0;
        for (int i = 0; i < data.Length; i += 37) crc = Crc32.Append(crc, data.AsSpan(i, Math.Min(37, data.Length - i)));
        Assert.Equal(Crc32.ComputeNaive(data), crc);
    }
}
