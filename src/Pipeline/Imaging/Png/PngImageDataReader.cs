using System.IO.Compression;

namespace Pipeline.Imaging.Png;

/// <summary>
/// Inflates the concatenated IDAT data with <see cref="ZLibStream"/> and hands out scanlines. It never asks zlib for
/// more than the image needs (known from IHDR), so a zip bomb costs at most that much work: extra data after the
/// last scanline is left uninflated (libpng only warns about it, so it is accepted too).
/// </summary>
internal sealed class PngImageDataReader : IDisposable
{
    private const int BlockSize = 64 * 1024;

    private readonly MemoryStream _compressed;
    private readonly ZLibStream _inflater;
    private readonly PngIdatMap _map;
    private readonly byte[] _block;
    private readonly long _expected;
    private long _remaining;   // bytes still to inflate
    private int _start, _end;  // unread bytes in _block

    /// <summary>Reads the image data in <paramref name="compressed"/> (the IDAT contents, in order).</summary>
    public PngImageDataReader(byte[] compressed, int length, PngIdatMap map, long expected)
    {
        _compressed = new MemoryStream(compressed, 0, length, writable: false);
        _inflater = new ZLibStream(_compressed, CompressionMode.Decompress);
        _map = map;
        _expected = expected;
        _remaining = expected;
        _block = new byte[(int)Math.Min(BlockSize, expected)];
    }

    /// <summary>Fills <paramref name="destination"/> with the next inflated bytes, or throws if the data ends early or is corrupt.</summary>
    public void Read(Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            if (_start == _end)
            {
                if (destination.Length >= _block.Length)
                {
                    // Large rows bypass the block buffer.
                    int direct = Inflate(destination);
                    destination = destination[direct..];
                    continue;
                }
                _start = 0;
                _end = Inflate(_block.AsSpan(0, (int)Math.Min(_block.Length, _remaining)));
            }
            int n = Math.Min(destination.Length, _end - _start);
            _block.AsSpan(_start, n).CopyTo(destination);
            _start += n;
            destination = destination[n..];
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _inflater.Dispose();

    // Inflates at least one byte (up to the span's length, never past what the image needs).
    private int Inflate(Span<byte> destination)
    {
        if (destination.Length > _remaining) destination = destination[..(int)_remaining];
        if (destination.IsEmpty) ThrowTruncated();
        int n;
        try
        {
            n = _inflater.Read(destination);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // zlib reports bad data as InvalidDataException, and some inconsistent streams as ZLibException (an IOException).
            long inflated = _expected - _remaining;
            PngThrowHelper.ThrowInvalid(_map.FileOffset(_compressed.Position), $"corrupt zlib data in IDAT after {inflated} of {_expected} image bytes: {e.Message}", e);
            return 0;
        }
        if (n == 0) ThrowTruncated();
        _remaining -= n;
        return n;
    }

    private void ThrowTruncated()
    {
        long inflated = _expected - _remaining;
        PngThrowHelper.ThrowInvalid(_map.FileOffset(_compressed.Position),
            $"the image data ends early: the zlib stream in IDAT holds {inflated} bytes, the {_expected} IHDR implies are missing (truncated file?)");
    }
}

/// <summary>Where each IDAT chunk's data sits in the file, to turn a position in the concatenated data into a file offset.</summary>
internal sealed class PngIdatMap
{
    private readonly List<(long FileOffset, int Length)> _segments = [];

    /// <summary>The total IDAT data length.</summary>
    public long TotalLength { get; private set; }

    /// <summary>The file offset of the first IDAT chunk (its length field), or -1.</summary>
    public long FirstChunkOffset { get; private set; } = -1;

    /// <summary>Records an IDAT chunk whose data starts at <paramref name="dataOffset"/>.</summary>
    public void Add(long dataOffset, int length)
    {
        if (FirstChunkOffset < 0) FirstChunkOffset = dataOffset - 8;
        _segments.Add((dataOffset, length));
        TotalLength += length;
    }

    /// <summary>The segments, in file order.</summary>
    public IReadOnlyList<(long FileOffset, int Length)> Segments => _segments;

    /// <summary>The file offset of byte <paramref name="position"/> of the concatenated data.</summary>
    public long FileOffset(long position)
    {
        foreach ((long offset, int length) in _segments)
        {
            if (position < length) return offset + position;
            position -= length;
        }
        return _segments.Count == 0 ? -1 : _segments[^1].FileOffset + _segments[^1].Length;
    }
}
