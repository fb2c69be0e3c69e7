using System.Buffers;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// The prefix code groups of one entropy-coded image: five codes per group (green + length + cache, red, blue, alpha,
/// distance), their lookup tables packed into one buffer. Groups the entropy image never uses are read and validated
/// but not built, so they cost reading time only. The groups it uses cost <see cref="Vp8LHuffman.RootSize"/> or more
/// table entries a code, and a hostile file can give every 4×4 block its own group: so one-symbol codes (zero bits,
/// common in real files too) share one table per symbol, and with the image's size known, the tables may not exceed
/// <see cref="BudgetPerPixel"/> entries a pixel (at least <see cref="MinimumBudget"/>): a file that needs more is refused.
/// </summary>
internal sealed class Vp8LPrefixCodes : IDisposable
{
    /// <summary>The five codes of a group, in stream order.</summary>
    public const int Green = 0, Red = 1, Blue = 2, Alpha = 3, Distance = 4, CodesPerGroup = 5;

    /// <summary>Table entries an image may use a pixel; libwebp-written photos use about 0.04 (1200x900: 35 groups, 40k entries).</summary>
    public const int BudgetPerPixel = 4;

    /// <summary>Table entries any image may use: room for some 200 groups of the largest codes.</summary>
    public const int MinimumBudget = 1 << 20;

    // Tables up to this many entries come from the shared pool; larger ones are allocated, so the pool does not keep them.
    private const int PooledLimit = 1 << 18;

    private uint[] tables;
    private bool pooled;
    private int used;
    private readonly int[] offsets;        // CodesPerGroup per built group: where its tables start
    private readonly int[] oneSymbolTable; // per symbol: 1 + where the table of the one-symbol code of it starts, or 0
    private readonly long budget;
    private readonly int width, height;

    private Vp8LPrefixCodes(int builtGroups, int width, int height)
    {
        tables = ArrayPool<uint>.Shared.Rent(4096);
        pooled = true;
        offsets = ArrayPool<int>.Shared.Rent(Math.Max(1, builtGroups * CodesPerGroup));
        oneSymbolTable = ArrayPool<int>.Shared.Rent(MaxAlphabet);
        oneSymbolTable.AsSpan(0, MaxAlphabet).Clear();
        this.width = width;
        this.height = height;
        budget = width > 0 && height > 0 ? Math.Max(MinimumBudget, (long)BudgetPerPixel * width * height) : long.MaxValue;
    }

    private const int MaxAlphabet = WebpConstants.NumLiteralCodes + WebpConstants.NumLengthCodes + (1 << WebpConstants.MaxColorCacheBits);

    /// <summary>The lookup tables; <see cref="GroupAt"/> says where a group's tables start.</summary>
    public uint[] Tables => tables;

    /// <summary>Where the five tables of a group start in <see cref="Tables"/>.</summary>
    public readonly record struct Group(int Green, int Red, int Blue, int Alpha, int Distance);

    /// <summary>
    /// The group of pixel (<paramref name="x"/>, <paramref name="y"/>): the entropy image's (renumbered) entry for its
    /// block, or group 0 without an entropy image.
    /// </summary>
    public Group GroupAt(uint[]? entropyImage, int bits, int entropyWidth, int x, int y)
    {
        int group = entropyImage is null ? 0 : (int)entropyImage[(y >> bits) * entropyWidth + (x >> bits)];
        ReadOnlySpan<int> o = offsets.AsSpan(group * CodesPerGroup, CodesPerGroup);
        return new Group(o[Green], o[Red], o[Blue], o[Alpha], o[Distance]);
    }

    /// <summary>
    /// Reads <paramref name="groupCount"/> groups without a table budget (the image's size unknown); see the overload.
    /// </summary>
    public static Vp8LPrefixCodes Read(ref Vp8LBitReader reader, int groupCount, ReadOnlySpan<int> mapping, int builtGroups, int colorCacheBits)
        => Read(ref reader, groupCount, mapping, builtGroups, colorCacheBits, width: 0, height: 0);

    /// <summary>
    /// Reads <paramref name="groupCount"/> groups; group g is built as group <paramref name="mapping"/>[g] when that is
    /// not negative (no mapping: every group, in order). The tables of an image of <paramref name="width"/> ×
    /// <paramref name="height"/> pixels may take <see cref="BudgetPerPixel"/> entries a pixel (at least
    /// <see cref="MinimumBudget"/>); 0 × 0 sets no limit.
    /// </summary>
    public static Vp8LPrefixCodes Read(ref Vp8LBitReader reader, int groupCount, ReadOnlySpan<int> mapping, int builtGroups, int colorCacheBits,
        int width, int height)
    {
        var codes = new Vp8LPrefixCodes(builtGroups, width, height);
        byte[] lengths = ArrayPool<byte>.Shared.Rent(MaxAlphabet);
        try
        {
            int greenSize = WebpConstants.NumLiteralCodes + WebpConstants.NumLengthCodes + (colorCacheBits > 0 ? 1 << colorCacheBits : 0);
            for (int g = 0; g < groupCount; g++)
            {
                int target = mapping.IsEmpty ? g : mapping[g];
                for (int c = 0; c < CodesPerGroup; c++)
                {
                    int alphabet = c switch { Green => greenSize, Distance => WebpConstants.NumDistanceCodes, _ => WebpConstants.NumLiteralCodes };
                    int start = reader.Offset;
                    Span<byte> codeLengths = lengths.AsSpan(0, alphabet);
                    int simple = ReadCodeLengths(ref reader, codeLengths, start, out int first, out int second);
                    if (reader.IsPastEnd) WebpThrowHelper.ThrowInvalid(reader.Offset, "the VP8L stream ends inside its prefix codes (truncated file?)");
                    // A simple code is one or two symbols of 1 bit, or (one symbol) zero bits: no lengths to measure.
                    int size, only;
                    if (simple >= 0) (size, only) = (simple == 0 ? 0 : Vp8LHuffman.RootSize, simple == 1 ? first : -1);
                    else size = Vp8LHuffman.TableSize(codeLengths, out only);
                    if (size == 0)
                        reader.Fail(start, $"prefix code {c} of group {g} is not a valid prefix code (empty, over-subscribed or incomplete)");
                    if (target < 0) continue;
                    int offset;
                    if (only >= 0)
                    {
                        offset = codes.OneSymbolTable(only, start);
                    }
                    else
                    {
                        codes.EnsureRoom(size, start);
                        offset = codes.used;
                        Span<uint> table = codes.tables.AsSpan(offset, size);
                        if (simple == 2) Vp8LHuffman.BuildTwoSymbols(first, second, table);
                        else Vp8LHuffman.Build(codeLengths, table);
                        codes.used += size;
                    }
                    codes.offsets[target * CodesPerGroup + c] = offset;
                }
            }
            return codes;
        }
        catch
        {
            codes.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(lengths);
        }
    }

    public void Dispose()
    {
        if (pooled) ArrayPool<uint>.Shared.Return(tables);
        ArrayPool<int>.Shared.Return(offsets);
        ArrayPool<int>.Shared.Return(oneSymbolTable);
        tables = [];
        pooled = false;
    }

    // The table of the one-symbol code of symbol, shared by every such code: at most one table a symbol.
    private int OneSymbolTable(int symbol, int offset)
    {
        if (oneSymbolTable[symbol] != 0) return oneSymbolTable[symbol] - 1;
        EnsureRoom(Vp8LHuffman.RootSize, offset);
        int start = used;
        Vp8LHuffman.BuildOneSymbol(symbol, tables.AsSpan(start, Vp8LHuffman.RootSize));
        used += Vp8LHuffman.RootSize;
        oneSymbolTable[symbol] = start + 1;
        return start;
    }

    // Makes room for size more entries within the budget: doubling (at most to the budget), from the pool while small.
    private void EnsureRoom(int size, int offset)
    {
        long needed = (long)used + size;
        if (needed > budget)
            WebpThrowHelper.ThrowInvalid(offset, $"the prefix codes need {needed} table entries (so far), more than an image of {width}x{height} can use ({budget})");
        if (needed <= tables.Length) return;
        int length = (int)Math.Min(Math.Min(Math.Max(needed, 2L * tables.Length), budget), Array.MaxLength);
        if (length < needed) WebpThrowHelper.ThrowInvalid(offset, $"the prefix codes need {needed} table entries");
        bool pool = length <= PooledLimit;
        uint[] larger = pool ? ArrayPool<uint>.Shared.Rent(length) : GC.AllocateUninitializedArray<uint>(length);
        tables.AsSpan(0, used).CopyTo(larger);
        if (pooled) ArrayPool<uint>.Shared.Return(tables);
        tables = larger;
        pooled = pool;
    }

    // Reads one code. A simple code (one or two 1-bit symbols below 256) returns how many of its symbols are in the
    // alphabet and different (0 to 2; a symbol outside the alphabet, possible for the 40-symbol distance code, names
    // nothing, as in libwebp), in first and second, and leaves lengths alone. A normal code, whose lengths are themselves
    // prefix coded with a code-length code, fills lengths and returns −1.
    private static int ReadCodeLengths(ref Vp8LBitReader reader, Span<byte> lengths, int start, out int first, out int second)
    {
        first = second = -1;
        if (reader.ReadBits(1) == 1)
        {
            int symbols = (int)reader.ReadBits(1) + 1;
            int a = (int)reader.ReadBits(reader.ReadBits(1) == 1 ? 8 : 1);
            int b = symbols == 2 ? (int)reader.ReadBits(8) : -1;
            int found = 0;
            if (a < lengths.Length) (first, found) = (a, 1);
            if (b >= 0 && b < lengths.Length && b != a)
            {
                if (found == 0) first = b;
                else second = b;
                found++;
            }
            return found;
        }

        lengths.Clear();
        Span<byte> codeLengthLengths = stackalloc byte[WebpConstants.NumCodeLengthCodes];
        codeLengthLengths.Clear();
        int count = (int)reader.ReadBits(4) + 4;
        for (int i = 0; i < count; i++) codeLengthLengths[WebpConstants.CodeLengthCodeOrder[i]] = (byte)reader.ReadBits(3);
        int tableSize = Vp8LHuffman.TableSize(codeLengthLengths);
        if (tableSize == 0) reader.Fail(start, "the code-length code of a prefix code is not a valid prefix code");
        uint[] table = ArrayPool<uint>.Shared.Rent(tableSize);
        try
        {
            Vp8LHuffman.Build(codeLengthLengths, table);
            int maxSymbol = lengths.Length;
            if (reader.ReadBits(1) == 1)
            {
                int lengthBits = 2 + 2 * (int)reader.ReadBits(3);
                maxSymbol = 2 + (int)reader.ReadBits(lengthBits);
                if (maxSymbol > lengths.Length)
                    reader.Fail(start, $"a prefix code reads {maxSymbol} code lengths; its alphabet has {lengths.Length} symbols");
            }
            int previous = WebpConstants.DefaultCodeLength;
            for (int symbol = 0; symbol < lengths.Length && maxSymbol-- > 0;)
            {
                int code = Vp8LHuffman.ReadSymbol(table, 0, ref reader);
                if (code < 16)
                {
                    lengths[symbol++] = (byte)code;
                    if (code != 0) previous = code;
                    continue;
                }
                int repeat = code switch
                {
                    16 => 3 + (int)reader.ReadBits(2),
                    17 => 3 + (int)reader.ReadBits(3),
                    _ => 11 + (int)reader.ReadBits(7),
                };
                if (symbol + repeat > lengths.Length)
                    reader.Fail(start, $"a run of {repeat} code lengths at symbol {symbol} passes the end of the {lengths.Length}-symbol alphabet");
                lengths.Slice(symbol, repeat).Fill(code == 16 ? (byte)previous : (byte)0);
                symbol += repeat;
                if (reader.IsPastEnd) return -1;
            }
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(table);
        }
        return -1;
    }
}
