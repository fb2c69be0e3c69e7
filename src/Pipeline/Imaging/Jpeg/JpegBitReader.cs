using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Jpeg;

/// <summary>
/// Reads entropy-coded data MSB first through a 64-bit buffer, undoing 0xFF00 byte stuffing. It stops in front of
/// the first marker (or the end of the data) and from then on supplies zero bits, counting them in
/// <see cref="PadBits"/>: a decoder that consumed any of them ran past the real data (<see cref="Overrun"/>), which is
/// how truncation and corrupt data are detected without a check per bit.
/// The hot loops copy <see cref="Bits"/> and <see cref="Count"/> into locals and refill through
/// <see cref="TryRefillFast"/>, which is inlined; only the slow byte-by-byte path is a call.
/// </summary>
internal unsafe struct JpegBitReader
{
    private readonly byte* _data;
    private readonly int _end;

    /// <summary>The next byte to load.</summary>
    public int Position;

    /// <summary>Buffered bits, left-aligned: the next bit to read is bit 63.</summary>
    public ulong Bits;

    /// <summary>How many bits of <see cref="Bits"/> are valid (real or padding).</summary>
    public int Count;

    /// <summary>How many of the <see cref="Count"/> bits are zero padding supplied after the data ended.</summary>
    public int PadBits;

    /// <summary>True once a marker or the end of the data stopped the loading.</summary>
    public bool Ended;

    public JpegBitReader(byte* data, int length, int position)
    {
        _data = data;
        _end = length;
        Position = position;
    }

    /// <summary>True when more bits were consumed than the data held (truncated or corrupt stream).</summary>
    public readonly bool Overrun => Count < PadBits;

    /// <summary>True when the data ended at the end of the file (or at EOI) rather than at another marker.</summary>
    public readonly bool EndedAtEndOfFile => Ended && (Position + 1 >= _end || _data[Position + 1] == JpegConstants.Eoi);

    /// <summary>
    /// The common refill: when the next bytes hold no 0xFF, returns how many bits (a whole number of bytes, at least
    /// 32 when <paramref name="count"/> is below 32) were appended below the <paramref name="count"/> buffered ones,
    /// placed in <paramref name="more"/> ready to OR in; returns 0 when the slow path is needed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int TryRefillFast(ulong bits, int count, out ulong more)
    {
        int pos = Position;
        if (pos + 8 <= _end)
        {
            ulong v = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(_data + pos));
            int n = (63 - count) >> 3; // whole bytes that fit
            ulong mask = ~(ulong.MaxValue >> (n << 3));
            ulong inverted = ~v;
            // Any 0xFF byte (a zero byte of the inverse) among the bytes to take sends us to the slow path;
            // false positives from borrows only cost a slow refill.
            if (((inverted - 0x0101010101010101UL) & ~inverted & 0x8080808080808080UL & mask) == 0)
            {
                more = (v & mask) >> count;
                Position = pos + n;
                return n << 3;
            }
        }
        more = 0;
        return 0;
    }

    /// <summary>Tops up the buffer fields to at least 32 bits (56 or more while real data lasts).</summary>
    public void Refill()
    {
        int n = TryRefillFast(Bits, Count, out ulong more);
        if (n > 0)
        {
            Bits |= more;
            Count += n;
        }
        else
        {
            RefillSlow(Bits, Count);
        }
    }

    /// <summary>Byte-by-byte refill handling stuffing, markers and the end of data; leaves the result in the fields.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void RefillSlow(ulong bits, int count)
    {
        int pos = Position;
        while (count <= 56)
        {
            if (Ended || pos >= _end)
            {
                Ended = true;
                // Pad with zeros; the buffer's low bits are already zero.
                int add = (64 - count) & ~7;
                count += add;
                PadBits += add;
                break;
            }
            byte b = _data[pos];
            if (b == 0xFF)
            {
                byte next = pos + 1 < _end ? _data[pos + 1] : (byte)0xD9;
                if (next == 0x00)
                {
                    pos += 2;
                }
                else if (next == 0xFF)
                {
                    // Fill bytes before a marker: skip one and look again.
                    pos++;
                    continue;
                }
                else
                {
                    Ended = true; // a marker: stay in front of it
                    continue;
                }
            }
            else
            {
                pos++;
            }
            bits |= (ulong)b << (56 - count);
            count += 8;
        }
        Position = pos;
        Bits = bits;
        Count = count;
    }

    /// <summary>
    /// Drops the buffered bits and moves to the next marker (skipping stray bytes as libjpeg does); returns the
    /// marker code without consuming it, or -1 at the end of the data. <see cref="Position"/> is then at its 0xFF.
    /// </summary>
    public int SeekMarker()
    {
        Bits = 0;
        Count = 0;
        PadBits = 0;
        Ended = false;
        int pos = Position;
        while (true)
        {
            while (pos < _end && _data[pos] != 0xFF) pos++;
            while (pos + 1 < _end && _data[pos + 1] == 0xFF) pos++;
            if (pos + 1 >= _end)
            {
                Position = _end;
                return -1;
            }
            byte marker = _data[pos + 1];
            if (marker != 0)
            {
                Position = pos;
                return marker;
            }
            pos += 2;
        }
    }
}
