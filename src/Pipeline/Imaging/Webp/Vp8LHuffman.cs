using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// Canonical prefix codes of the VP8L bitstream, decoded through a two-level lookup table: the first
/// <see cref="RootBits"/> bits index the root table; a longer code's root entry links to a second-level table indexed
/// by the code's remaining bits. A table entry is the symbol (or the link's offset from the table start) in bits 0–15,
/// the number of bits to consume in bits 16–23, and <see cref="LinkFlag"/> for a link.
/// <para>
/// Like libwebp, a code is accepted only when it is complete (the code lengths fill the code space exactly), with one
/// exception: a single used symbol is a zero-bit code. Empty, over-subscribed and incomplete codes are rejected.
/// </para>
/// </summary>
internal static class Vp8LHuffman
{
    /// <summary>Bits resolved by the root table.</summary>
    public const int RootBits = 8;

    /// <summary>Entries in the root table, and so in the table of any code.</summary>
    public const int RootSize = 1 << RootBits;

    /// <summary>Marks a root entry that links to a second-level table.</summary>
    public const uint LinkFlag = 1u << 24;

    /// <summary>
    /// The table size the code with <paramref name="lengths"/> needs, or 0 when the lengths do not form a valid code.
    /// </summary>
    public static int TableSize(ReadOnlySpan<byte> lengths) => TableSize(lengths, out _);

    /// <summary>
    /// The table size the code with <paramref name="lengths"/> needs, or 0 when the lengths do not form a valid code;
    /// <paramref name="onlySymbol"/> is the symbol of a one-symbol (zero-bit) code, else −1.
    /// </summary>
    public static int TableSize(ReadOnlySpan<byte> lengths, out int onlySymbol)
    {
        Span<int> count = stackalloc int[WebpConstants.MaxCodeLength + 1];
        int used = 0;
        onlySymbol = -1;
        for (int symbol = 0; symbol < lengths.Length; symbol++)
        {
            byte length = lengths[symbol];
            count[length]++;
            if (length != 0)
            {
                used++;
                onlySymbol = symbol;
            }
        }
        if (used != 1) onlySymbol = -1;
        if (used == 0) return 0;
        if (used == 1) return RootSize;
        // Kraft sum in units of 2^-15: exactly 2^15 for a complete code.
        int space = 0;
        for (int length = 1; length <= WebpConstants.MaxCodeLength; length++) space += count[length] << (WebpConstants.MaxCodeLength - length);
        if (space != 1 << WebpConstants.MaxCodeLength) return 0;
        if (count[(RootBits + 1)..].IndexOfAnyExcept(0) < 0) return RootSize;

        // Second-level tables: each root slot reached by long codes gets 2^(longest such code − RootBits) entries.
        Span<ushort> codes = stackalloc ushort[lengths.Length];
        AssignCodes(lengths, count, codes);
        Span<byte> longest = stackalloc byte[RootSize];
        MeasureSecondLevel(lengths, codes, longest);
        int size = RootSize;
        foreach (byte length in longest)
        {
            if (length != 0) size += 1 << (length - RootBits);
        }
        return size;
    }

    /// <summary>
    /// Fills <paramref name="table"/> (of at least <see cref="TableSize(ReadOnlySpan{byte})"/> entries) for the valid code with <paramref name="lengths"/>.
    /// </summary>
    public static void Build(ReadOnlySpan<byte> lengths, Span<uint> table)
    {
        Span<int> count = stackalloc int[WebpConstants.MaxCodeLength + 1];
        int used = 0, only = 0;
        for (int symbol = 0; symbol < lengths.Length; symbol++)
        {
            count[lengths[symbol]]++;
            if (lengths[symbol] != 0)
            {
                used++;
                only = symbol;
            }
        }
        if (used == 1)
        {
            table[..RootSize].Fill((uint)only); // zero bits
            return;
        }

        Span<ushort> codes = stackalloc ushort[lengths.Length];
        AssignCodes(lengths, count, codes);
        Span<byte> longest = stackalloc byte[RootSize];
        MeasureSecondLevel(lengths, codes, longest);
        int next = RootSize;
        for (int slot = 0; slot < RootSize; slot++)
        {
            if (longest[slot] == 0) continue;
            int bits = longest[slot] - RootBits;
            table[slot] = (uint)next | (uint)bits << 16 | LinkFlag;
            next += 1 << bits;
        }
        for (int symbol = 0; symbol < lengths.Length; symbol++)
        {
            int length = lengths[symbol];
            if (length == 0) continue;
            int reversed = codes[symbol];
            if (length <= RootBits)
            {
                uint entry = (uint)symbol | (uint)length << 16;
                for (int i = reversed; i < RootSize; i += 1 << length) table[i] = entry;
            }
            else
            {
                uint link = table[reversed & (RootSize - 1)];
                int start = (int)(link & 0xFFFF), size = 1 << (int)((link >> 16) & 0xFF), subLength = length - RootBits;
                uint entry = (uint)symbol | (uint)subLength << 16;
                for (int i = reversed >> RootBits; i < size; i += 1 << subLength) table[start + i] = entry;
            }
        }
    }

    /// <summary>Fills <paramref name="table"/> (<see cref="RootSize"/> entries) for a one-symbol code: <paramref name="symbol"/>, zero bits.</summary>
    public static void BuildOneSymbol(int symbol, Span<uint> table) => table[..RootSize].Fill((uint)symbol);

    /// <summary>
    /// Fills <paramref name="table"/> (<see cref="RootSize"/> entries) for a two-symbol code: the smaller symbol is
    /// the 1-bit code 0, the larger the 1-bit code 1 (canonical order), without the general construction.
    /// </summary>
    public static void BuildTwoSymbols(int first, int second, Span<uint> table)
    {
        uint zero = (uint)Math.Min(first, second) | 1u << 16, one = (uint)Math.Max(first, second) | 1u << 16;
        table = table[..RootSize];
        for (int i = 0; i < table.Length; i += 2)
        {
            table[i] = zero;
            table[i + 1] = one;
        }
    }

    /// <summary>Decodes one symbol with the table starting at <paramref name="table"/>[<paramref name="offset"/>].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadSymbol(uint[] table, int offset, ref Vp8LBitReader reader)
    {
        // The tables are built here: a root index is below RootSize and a link stays inside its code's table, so the
        // lookups skip bounds checks.
        ref uint code = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(table), offset);
        uint bits = reader.Peek(WebpConstants.MaxCodeLength);
        uint entry = Unsafe.Add(ref code, (int)(bits & (RootSize - 1)));
        if (entry >= LinkFlag)
        {
            reader.Skip(RootBits);
            int subBits = (int)(entry >> 16) & 0xFF;
            entry = Unsafe.Add(ref code, (int)(entry & 0xFFFF) + (int)((bits >> RootBits) & ((1u << subBits) - 1)));
        }
        reader.Skip((int)(entry >> 16) & 0xFF);
        return (int)(entry & 0xFFFF);
    }

    // The canonical code of every used symbol (shorter codes first, then by symbol), bit-reversed: the stream sends a
    // code's most significant bit first, and the reader takes bits least significant first.
    private static void AssignCodes(ReadOnlySpan<byte> lengths, ReadOnlySpan<int> count, Span<ushort> codes)
    {
        Span<int> nextCode = stackalloc int[WebpConstants.MaxCodeLength + 1];
        int code = 0;
        for (int length = 1; length <= WebpConstants.MaxCodeLength; length++)
        {
            code = (code + (length > 1 ? count[length - 1] : 0)) << 1;
            nextCode[length] = code;
        }
        for (int symbol = 0; symbol < lengths.Length; symbol++)
        {
            int length = lengths[symbol];
            if (length == 0) continue;
            int value = nextCode[length]++, reversed = 0;
            for (int i = 0; i < length; i++) reversed |= ((value >> i) & 1) << (length - 1 - i);
            codes[symbol] = (ushort)reversed;
        }
    }

    // The longest code through each root slot, for the codes longer than the root table resolves.
    private static void MeasureSecondLevel(ReadOnlySpan<byte> lengths, ReadOnlySpan<ushort> codes, Span<byte> longest)
    {
        longest.Clear();
        for (int symbol = 0; symbol < lengths.Length; symbol++)
        {
            byte length = lengths[symbol];
            if (length <= RootBits) continue;
            ref byte slot = ref longest[codes[symbol] & (RootSize - 1)];
            if (length > slot) slot = length;
        }
    }
}
