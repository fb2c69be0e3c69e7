namespace Pipeline.Imaging.Gif;

/// <summary>
/// GIF's variable-length-code LZW (GIF89a appendix F): codes start one bit wider than the minimum code size and grow
/// to 12 bits as the string table fills; a clear code resets the table; once the table is full it stays full until
/// the encoder sends a clear ("deferred clear"). Strings are written straight into the output, back to front,
/// following each code's prefix chain. Corrupt input (a first code that is not a literal, a code past the next free
/// entry, data ending before the frame is full) throws; codes after the frame is full are ignored.
/// </summary>
internal sealed class GifLzwDecoder
{
    private readonly ushort[] _prefix = new ushort[GifConstants.MaxCodes];
    private readonly byte[] _suffix = new byte[GifConstants.MaxCodes];
    private readonly byte[] _first = new byte[GifConstants.MaxCodes];
    private readonly ushort[] _length = new ushort[GifConstants.MaxCodes];

    /// <summary>
    /// Decodes <paramref name="data"/> (the image's sub-blocks, joined) into <paramref name="output"/>, one palette
    /// index per pixel. <paramref name="fileOffset"/> turns a byte position in the data into a file offset for errors.
    /// </summary>
    public void Decode(ReadOnlySpan<byte> data, int minCodeSize, Span<byte> output, Func<long, long> fileOffset)
    {
        int clear = 1 << minCodeSize, end = clear + 1;
        for (int c = 0; c < clear; c++)
        {
            _suffix[c] = (byte)c;
            _first[c] = (byte)c;
            _length[c] = 1;
        }
        int next = clear + 2, width = minCodeSize + 1, previous = -1;
        int written = 0, position = 0, bitCount = 0;
        uint bits = 0;
        while (written < output.Length)
        {
            while (bitCount < width && position < data.Length)
            {
                bits |= (uint)data[position++] << bitCount;
                bitCount += 8;
            }
            if (bitCount < width)
                GifThrowHelper.ThrowInvalid(fileOffset(position), $"the LZW data ends after {written} of {output.Length} pixels (truncated file?)");
            int code = (int)(bits & ((1u << width) - 1));
            bits >>= width;
            bitCount -= width;

            if (code == clear)
            {
                next = clear + 2;
                width = minCodeSize + 1;
                previous = -1;
                continue;
            }
            if (code == end)
                GifThrowHelper.ThrowInvalid(fileOffset(position), $"the LZW end code comes after {written} of {output.Length} pixels");
            if (previous < 0)
            {
                if (code > clear)
                    GifThrowHelper.ThrowInvalid(fileOffset(position), $"LZW code {code} follows a clear code; only a literal (below {clear}) can");
                output[written++] = (byte)code;
                previous = code;
                continue;
            }

            byte firstOfNew;
            if (code < next)
            {
                written = Emit(code, output, written);
                firstOfNew = _first[code];
            }
            else if (code == next && next < GifConstants.MaxCodes)
            {
                // The code being defined right now (the KwKwK case): the previous string plus its own first byte.
                firstOfNew = _first[previous];
                written = Emit(previous, output, written);
                if (written < output.Length) output[written++] = firstOfNew;
            }
            else
            {
                GifThrowHelper.ThrowInvalid(fileOffset(position), $"LZW code {code} is beyond the string table (next free entry {next})");
                return;
            }

            if (next < GifConstants.MaxCodes)
            {
                _prefix[next] = (ushort)previous;
                _suffix[next] = firstOfNew;
                _first[next] = _first[previous];
                _length[next] = (ushort)(_length[previous] + 1);
                next++;
                if (next == 1 << width && width < GifConstants.MaxCodeBits) width++;
            }
            previous = code;
        }
    }

    // Writes the string of `code` at `at` (cut at the end of the output) and returns the new write position.
    private int Emit(int code, Span<byte> output, int at)
    {
        int length = _length[code];
        int stop = Math.Min(at + length, output.Length);
        // Walk the prefix chain from the string's last byte; bytes that would fall past the end are skipped.
        for (int i = at + length - 1; i >= at; i--)
        {
            if (i < stop) output[i] = _suffix[code];
            code = _prefix[code];
        }
        return stop;
    }
}
