namespace Pipeline.Tests.Persistence;

/// <summary>
/// CRC-32 (zip, gzip and PNG: reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF) by its
/// bit-at-a-time definition: the independent reference for hand-built zips and for the library CRC the code uses.
/// </summary>
internal static class NaiveCrc32
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            c ^= b;
            for (int bit = 0; bit < 8; bit++)
                c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        }
        return ~c;
    }
}
