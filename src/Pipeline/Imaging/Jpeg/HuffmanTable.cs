namespace Pipeline.Imaging.Jpeg;

/// <summary>
/// A decoding table built from a DHT segment (T.81 C and F.2.2.3): a 9-bit lookahead table for short codes, a
/// "fast AC" table that also holds the coefficient value when code and magnitude bits together fit in the lookahead,
/// and the canonical max-code table for the long codes.
/// </summary>
internal sealed unsafe class HuffmanTable
{
    /// <summary>Bits peeked per table lookup.</summary>
    public const int LookaheadBits = 9;

    /// <summary>
    /// (code length &lt;&lt; 8) | symbol for every <see cref="LookaheadBits"/>-bit prefix that starts with a code of at most
    /// that length; 0 when the code is longer.
    /// </summary>
    public readonly ushort[] Lookup;

    /// <summary>
    /// For AC tables: (value &lt;&lt; 16) | (run &lt;&lt; 8) | (code length + magnitude bits) for prefixes whose whole
    /// coefficient (code and value bits) fits in the lookahead; 0 otherwise (including EOB and ZRL).
    /// </summary>
    public readonly int[] FastAc;

    /// <summary>Address of <see cref="Lookup"/> (pinned), for the hot decoding loop.</summary>
    public readonly ushort* LookupBase;

    /// <summary>Address of <see cref="FastAc"/> (pinned).</summary>
    public readonly int* FastAcBase;

    /// <summary>The largest code of each length 1–16 (-1 when there is none); index 17 is a sentinel.</summary>
    public readonly int[] MaxCode = new int[18];

    /// <summary>Added to a code of length l to index <see cref="Values"/>.</summary>
    public readonly int[] ValueOffset = new int[18];

    /// <summary>The symbols in code order.</summary>
    public readonly byte[] Values = new byte[256];

    private HuffmanTable()
    {
        Lookup = JpegComponent.AllocatePinned<ushort>(1 << LookaheadBits, out LookupBase);
        FastAc = JpegComponent.AllocatePinned<int>(1 << LookaheadBits, out FastAcBase);
    }

    /// <summary>
    /// Builds the table from the 16 code counts and the symbols. Returns null with a reason when the counts describe
    /// an impossible code (more codes of a length than fit, or the all-ones code), or a DC symbol exceeds 15 —
    /// the checks libjpeg makes before it uses a table.
    /// </summary>
    public static HuffmanTable? TryBuild(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values, bool isDc, out string? error)
    {
        var table = new HuffmanTable();
        values.CopyTo(table.Values);
        if (isDc)
        {
            foreach (byte symbol in values)
            {
                if (symbol > 15)
                {
                    error = $"DC Huffman table has symbol {symbol} (largest allowed is 15)";
                    return null;
                }
            }
        }

        int code = 0, index = 0;
        Span<int> firstCode = stackalloc int[17];
        for (int length = 1; length <= 16; length++)
        {
            int n = counts[length - 1];
            table.ValueOffset[length] = index - code;
            firstCode[length] = code;
            code += n;
            index += n;
            // code is now one past the last code of this length; it must still fit (no all-ones code).
            if (n > 0 && code >= 1 << length)
            {
                error = $"Huffman table has more codes of length {length} than fit";
                return null;
            }
            table.MaxCode[length] = n > 0 ? code - 1 : -1;
            code <<= 1;
        }
        table.MaxCode[17] = int.MaxValue;

        // Lookahead: every prefix that begins with a short code.
        index = 0;
        for (int length = 1; length <= LookaheadBits; length++)
        {
            int n = counts[length - 1];
            for (int i = 0; i < n; i++, index++)
            {
                int c = firstCode[length] + i;
                int shift = LookaheadBits - length;
                ushort entry = (ushort)((length << 8) | values[index]);
                for (int p = c << shift, end = (c + 1) << shift; p < end; p++)
                    table.Lookup[p] = entry;
            }
        }

        if (!isDc)
        {
            for (int p = 0; p < table.Lookup.Length; p++)
            {
                int entry = table.Lookup[p];
                if (entry == 0) continue;
                int length = entry >> 8, symbol = entry & 0xFF;
                int run = symbol >> 4, size = symbol & 15;
                if (size == 0 || length + size > LookaheadBits) continue;
                int magnitude = (p >> (LookaheadBits - length - size)) & ((1 << size) - 1);
                int value = Extend(magnitude, size);
                table.FastAc[p] = (value << 16) | (run << 8) | (length + size);
            }
        }

        error = null;
        return table;
    }

    /// <summary>T.81 F.2.2.1 EXTEND: maps <paramref name="size"/> magnitude bits to a signed value.</summary>
    public static int Extend(int bits, int size) => bits < (1 << (size - 1)) ? bits - (1 << size) + 1 : bits;
}
