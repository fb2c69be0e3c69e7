using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Jpeg;

/// <summary>
/// Reads a scan's entropy-coded data MSB first. The data is first copied in chunks into a side buffer with the
/// 0xFF00 byte stuffing removed, stopping at the first marker; past the real data the buffer holds zeros. Reading
/// bits is then a plain big-endian load with no checks at all (Giesen's branchless refill), and truncated or corrupt
/// streams show up as more bits consumed than the data held (<see cref="Overrun"/>), checked once per MCU.
/// <see cref="Prepare"/> must run before each MCU: it guarantees <see cref="Margin"/> readable bytes past
/// <see cref="Position"/>, more than any MCU can consume.
/// </summary>
internal unsafe struct JpegBitReader
{
    /// <summary>Bytes guaranteed readable past <see cref="Position"/> after <see cref="Prepare"/> (an MCU reads at most ~2.5 KB).</summary>
    public const int Margin = 4096;

    /// <summary>Destuffed bytes held at once.</summary>
    public const int Capacity = 1 << 16;

    /// <summary>The side buffer's size: the chunk, the margin and one 8-byte load.</summary>
    public const int BufferSize = Capacity + Margin + 8;

    private readonly byte* _source;
    private readonly int _sourceLength;
    private readonly byte* _buffer;
    private int _sourcePosition;
    private int _length;

    /// <summary>The next byte of the side buffer to load into <see cref="Bits"/>.</summary>
    public int Position;

    /// <summary>Buffered bits, left-aligned: the next bit to read is bit 63. Bits below <see cref="Count"/> are either zero or the right stream bits.</summary>
    public ulong Bits;

    /// <summary>How many bits at the top of <see cref="Bits"/> are valid.</summary>
    public int Count;

    /// <summary>True once a marker or the end of the data stopped the copying.</summary>
    public bool SourceEnded;

    /// <summary>Where the data stopped: the 0xFF of the marker (after any fill bytes), or the data length.</summary>
    public int MarkerPosition;

    /// <param name="source">The whole file.</param>
    /// <param name="sourceLength">Its length.</param>
    /// <param name="start">Where the entropy-coded data begins.</param>
    /// <param name="buffer">A side buffer of <see cref="BufferSize"/> bytes.</param>
    public JpegBitReader(byte* source, int sourceLength, int start, byte* buffer)
    {
        _source = source;
        _sourceLength = sourceLength;
        _buffer = buffer;
        Restart(start);
    }

    /// <summary>The side buffer, for the hot loops' local copies.</summary>
    public readonly byte* Buffer => _buffer;

    /// <summary>True when more bits were consumed than the data held (truncated or corrupt stream).</summary>
    public readonly bool Overrun => SourceEnded && (long)Position * 8 - Count > (long)_length * 8;

    /// <summary>True when the data stopped at the end of the file or at EOI rather than at another marker.</summary>
    public readonly bool EndedAtEndOfFile
        => SourceEnded && (MarkerPosition + 1 >= _sourceLength || _source[MarkerPosition + 1] == JpegConstants.Eoi);

    /// <summary>About where in the file the next unread bit is (stuffed zero bytes are not counted back).</summary>
    public readonly int SourceOffset => Math.Clamp(_sourcePosition - (_length - Position) - Count / 8, 0, _sourceLength);

    /// <summary>Starts over at <paramref name="start"/> with an empty bit buffer (a new scan or restart interval).</summary>
    public void Restart(int start)
    {
        _sourcePosition = start;
        _length = 0;
        Position = 0;
        Bits = 0;
        Count = 0;
        SourceEnded = false;
        MarkerPosition = start;
        Fill();
    }

    /// <summary>Makes sure <see cref="Margin"/> bytes are readable past <see cref="Position"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prepare()
    {
        if (!SourceEnded && _length - Position < Margin) Fill();
    }

    /// <summary>Tops the fields up to at least 56 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Refill()
    {
        Bits |= BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(_buffer + Position)) >> Count;
        Position += (63 - Count) >> 3;
        Count |= 56;
    }

    /// <summary>Moves the unread bytes to the front and copies more destuffed data behind them.</summary>
    private void Fill()
    {
        int keep = _length - Position;
        if (keep > 0 && Position > 0) new Span<byte>(_buffer + Position, keep).CopyTo(new Span<byte>(_buffer, keep));
        _length = Math.Max(keep, 0);
        Position = 0;

        int written = _length;
        while (written < Capacity)
        {
            int available = _sourceLength - _sourcePosition;
            if (available <= 0)
            {
                End(_sourceLength);
                break;
            }
            var chunk = new ReadOnlySpan<byte>(_source + _sourcePosition, Math.Min(available, Capacity - written));
            int ff = chunk.IndexOf((byte)0xFF);
            int plain = ff < 0 ? chunk.Length : ff;
            chunk[..plain].CopyTo(new Span<byte>(_buffer + written, plain));
            written += plain;
            _sourcePosition += plain;
            if (ff < 0) continue;

            // 0xFF: fill bytes, then either a stuffed zero (a data byte 0xFF) or a marker, which ends the data.
            int p = _sourcePosition + 1;
            while (p < _sourceLength && _source[p] == 0xFF) p++;
            if (p < _sourceLength && _source[p] == 0x00)
            {
                _buffer[written++] = 0xFF;
                _sourcePosition = p + 1;
            }
            else
            {
                End(p - 1);
                break;
            }
        }
        _length = written;
        if (SourceEnded) new Span<byte>(_buffer + written, Margin + 8).Clear();
    }

    private void End(int markerPosition)
    {
        SourceEnded = true;
        MarkerPosition = markerPosition;
        _sourcePosition = markerPosition;
    }

    /// <summary>
    /// Finds the marker that ends the current data (skipping whatever entropy data was not read, as libjpeg skips
    /// stray bytes) and returns its code, or -1 at the end of the file; <see cref="MarkerPosition"/> is its 0xFF.
    /// </summary>
    public int FindMarker()
    {
        if (!SourceEnded)
        {
            int pos = _sourcePosition;
            while (true)
            {
                while (pos < _sourceLength && _source[pos] != 0xFF) pos++;
                while (pos + 1 < _sourceLength && _source[pos + 1] == 0xFF) pos++;
                if (pos + 1 >= _sourceLength)
                {
                    End(_sourceLength);
                    break;
                }
                if (_source[pos + 1] != 0)
                {
                    End(pos);
                    break;
                }
                pos += 2;
            }
        }
        return MarkerPosition + 1 < _sourceLength ? _source[MarkerPosition + 1] : -1;
    }
}
