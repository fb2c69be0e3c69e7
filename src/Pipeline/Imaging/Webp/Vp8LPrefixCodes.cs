using System.Buffers;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// The prefix code groups of one entropy-coded image: five codes per group (green + length + cache, red, blue, alpha,
/// distance), their lookup tables packed into one pooled buffer. Groups the entropy image never uses are read and
/// validated but not built, so a hostile group count costs reading time, not memory.
/// </summary>
internal sealed class Vp8LPrefixCodes : IDisposable
{
    /// <summary>The five codes of a group, in stream order.</summary>
    public const int Green = 0, Red = 1, Blue = 2, Alpha = 3, Distance = 4, CodesPerGroup = 5;

    private uint[] tables;
    private int used;
    private readonly int[] offsets; // CodesPerGroup per built group: where its tables start

    private Vp8LPrefixCodes(int builtGroups)
    {
        tables = ArrayPool<uint>.Shared.Rent(4096);
        offsets = ArrayPool<int>.Shared.Rent(Math.Max(1, builtGroups * CodesPerGroup));
    }

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
    /// Reads <paramref name="groupCount"/> groups; group g is built as group <paramref name="mapping"/>[g] when that is
    /// not negative (no mapping: every group, in order).
    /// </summary>
    public static Vp8LPrefixCodes Read(ref Vp8LBitReader reader, int groupCount, ReadOnlySpan<int> mapping, int builtGroups, int colorCacheBits)
    {
        var codes = new Vp8LPrefixCodes(builtGroups);
        byte[] lengths = ArrayPool<byte>.Shared.Rent(WebpConstants.NumLiteralCodes + WebpConstants.NumLengthCodes + (1 << WebpConstants.MaxColorCacheBits));
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
                    ReadCodeLengths(ref reader, codeLengths, start);
                    if (reader.IsPastEnd) WebpThrowHelper.ThrowInvalid(reader.Offset, "the VP8L stream ends inside its prefix codes (truncated file?)");
                    int size = Vp8LHuffman.TableSize(codeLengths);
                    if (size == 0)
                        reader.Fail(start, $"prefix code {c} of group {g} is not a valid prefix code (empty, over-subscribed or incomplete)");
                    if (target < 0) continue;
                    codes.EnsureRoom(size);
                    Vp8LHuffman.Build(codeLengths, codes.tables.AsSpan(codes.used, size));
                    codes.offsets[target * CodesPerGroup + c] = codes.used;
                    codes.used += size;
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
        ArrayPool<uint>.Shared.Return(tables);
        ArrayPool<int>.Shared.Return(offsets);
        tables = [];
    }

    private void EnsureRoom(int size)
    {
        if (used + size <= tables.Length) return;
        uint[] larger = ArrayPool<uint>.Shared.Rent(Math.Max(used + size, tables.Length * 2));
        tables.AsSpan(0, used).CopyTo(larger);
        ArrayPool<uint>.Shared.Return(tables);
        tables = larger;
    }

    // Reads one code's lengths: a simple code (one or two 1-bit symbols below 256) or a normal code, whose lengths are
    // themselves prefix coded with a code-length code.
    private static void ReadCodeLengths(ref Vp8LBitReader reader, Span<byte> lengths, int start)
    {
        lengths.Clear();
        if (reader.ReadBits(1) == 1)
        {
            int symbols = (int)reader.ReadBits(1) + 1;
            int first = (int)reader.ReadBits(reader.ReadBits(1) == 1 ? 8 : 1);
            // A symbol outside the alphabet (possible for the 40-symbol distance code) names nothing, as in libwebp.
            if (first < lengths.Length) lengths[first] = 1;
            if (symbols == 2)
            {
                int second = (int)reader.ReadBits(8);
                if (second < lengths.Length) lengths[second] = 1;
            }
            return;
        }

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
                if (reader.IsPastEnd) return;
            }
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(table);
        }
    }
}
