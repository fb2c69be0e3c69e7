using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// The boolean entropy decoder of RFC 6386 section 7 over one partition: each call decodes one bool whose
/// probability of being 0 is <c>prob</c>/256.
/// <para>
/// The arithmetic is the spec's (split = 1 + ((range − 1) × prob >> 8), range renormalized to 128..255), but the
/// coded bits are buffered up to 7 bytes at a time in a 64-bit window instead of one byte at a time.
/// <see cref="_bits"/> counts the buffered bits below the 8 the next decision compares, so a decision needs
/// <c>_bits</c> ≥ 0.
/// </para>
/// <para>
/// Past the end of its partition the decoder reads zeros and records it (<see cref="IsPastEnd"/>), exactly when a
/// decision needs a bit the partition does not have; the caller turns that into an error as libwebp does
/// ("premature end of partition"), so a decoder never reads outside its partition.
/// </para>
/// </summary>
internal struct Vp8BoolDecoder
{
    private readonly byte[] _data;
    private int _pos;
    private readonly int _end;
    private ulong _value;
    private int _bits;
    private uint _range;
    private bool _pastEnd;

    /// <summary>Starts decoding <paramref name="data"/>[<paramref name="start"/>..<paramref name="end"/>].</summary>
    public Vp8BoolDecoder(byte[] data, int start, int end)
    {
        _data = data;
        _pos = start;
        _end = end;
        _value = 0;
        _bits = -8;
        _range = 255;
        _pastEnd = false;
        Load();
    }

    /// <summary>True once a decision needed bits beyond the end of the partition (they were read as zeros).</summary>
    public readonly bool IsPastEnd => _pastEnd;

    /// <summary>Decodes one bool that is 0 with probability <paramref name="prob"/>/256.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool ReadBool(int prob)
    {
        if (_bits < 0) Load();
        uint split = 1 + (((_range - 1) * (uint)prob) >> 8);
        ulong bigSplit = (ulong)split << _bits;
        bool bit;
        if (_value >= bigSplit)
        {
            _range -= split;
            _value -= bigSplit;
            bit = true;
        }
        else
        {
            _range = split;
            bit = false;
        }
        // Renormalize the range to 128..255; the window moves down by as many bits.
        int shift = BitOperations.LeadingZeroCount(_range) - 24;
        _range <<= shift;
        _bits -= shift;
        return bit;
    }

    /// <summary>Decodes one bool of probability 1/2 (a flag, a sign, a literal bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool ReadFlag() => ReadBool(128);

    /// <summary>Decodes an <paramref name="bitCount"/>-bit unsigned literal, most significant bit first (the spec's L(n)).</summary>
    public int ReadLiteral(int bitCount)
    {
        int v = 0;
        while (bitCount-- > 0) v = (v << 1) | (ReadFlag() ? 1 : 0);
        return v;
    }

    /// <summary>Decodes a magnitude of <paramref name="bitCount"/> bits followed by a sign flag (1 = negative).</summary>
    public int ReadSignedLiteral(int bitCount)
    {
        int v = ReadLiteral(bitCount);
        return ReadFlag() ? -v : v;
    }

    /// <summary>Applies a sign read as a flag of probability 1/2 to <paramref name="magnitude"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadSigned(int magnitude) => ReadFlag() ? -magnitude : magnitude;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Load()
    {
        // _bits is in -8..-1 here, so 7 more bytes keep the window (value < range << _bits, range < 256) within 64 bits.
        if (_end - _pos >= 8)
        {
            ulong next = BinaryPrimitives.ReadUInt64BigEndian(_data.AsSpan(_pos, 8)) >> 8;
            _value = (_value << 56) | next;
            _pos += 7;
            _bits += 56;
            return;
        }
        while (_bits < 0)
        {
            if (_pos < _end)
            {
                _value = (_value << 8) | _data[_pos++];
            }
            else
            {
                _value <<= 8;
                _pastEnd = true;
            }
            _bits += 8;
        }
    }
}
