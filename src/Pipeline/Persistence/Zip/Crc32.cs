using System.Buffers.Binary;

namespace Pipeline.Persistence.Zip;

/// <summary>
/// CRC-32 as zip, gzip and PNG use it (reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF),
/// computed eight bytes at a time with eight derived tables ("slicing-by-8"). The byte-at-a-time loop is kept as the
/// reference the tests compare against.
/// </summary>
internal static class Crc32
{
    private const uint Polynomial = 0xEDB88320u;

    // Tables[k][b] is the CRC contribution of byte b followed by k zero bytes.
    private static readonly uint[] Tables = BuildTables();

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// Continues <paramref name="crc"/> (a finished CRC of the bytes so far, 0 for none) over <paramref name="data"/>.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        ReadOnlySpan<uint> t = Tables;
        while (data.Length >= 8)
        {
            uint low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ c;
            uint high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            c = t[7 * 256 + (int)(low & 0xFF)] ^ t[6 * 256 + (int)((low >> 8) & 0xFF)]
              ^ t[5 * 256 + (int)((low >> 16) & 0xFF)] ^ t[4 * 256 + (int)(low >> 24)]
              ^ t[3 * 256 + (int)(high & 0xFF)] ^ t[2 * 256 + (int)((high >> 8) & 0xFF)]
              ^ t[1 * 256 + (int)((high >> 16) & 0xFF)] ^ t[(int)(high >> 24)];
            data = data[8..];
        }
        foreach (byte b in data)
            c = t[(int)((c ^ b) & 0xFF)] ^ (c >> 8);
        return ~c;
    }

    /// <summary>The bit-at-a-time definition, the spec the table version is tested against.</summary>
    internal static uint ComputeNaive(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            c ^= b;
            for (int bit = 0; bit < 8; bit++)
                c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
        }
        return ~c;
    }

    private static uint[] BuildTables()
    {
        var tables = new uint[8 * 256];
        for (uint b = 0; b < 256; b++)
        {
            uint c = b;
            for (int bit = 0; bit < 8; bit++)
                c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            tables[b] = c;
        }
        for (int k = 1; k < 8; k++)
        {
            for (int b = 0; b < 256; b++)
            {
                uint previous = tables[(k - 1) * 256 + b];
                tables[k * 256 + b] = tables[(int)(previous & 0xFF)] ^ (previous >> 8);
            }
        }
        return tables;
    }
}
