using System.Buffers;

namespace Pipeline.Imaging;

/// <summary>
/// Reads an image file's bytes from a stream to its end, refusing more than a limit as soon as it is passed: an
/// endless or huge stream (a request body without a size limit, a blob) costs at most the limit in memory, never all
/// of it, and a seekable stream that is too long is refused before any read.
/// </summary>
internal static class BoundedStreamReader
{
    private const int ChunkBytes = 81_920;

    public static byte[] ReadAll(Stream stream, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Initial(stream, maxBytes));
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length) buffer = Grow(buffer, length, maxBytes);
                int read = stream.Read(buffer, length, Math.Min(buffer.Length - length, ChunkBytes));
                if (read == 0) return buffer.AsSpan(0, length).ToArray();
                length += read;
                if (length > maxBytes) throw TooLong(maxBytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static async Task<byte[]> ReadAllAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Initial(stream, maxBytes));
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length) buffer = Grow(buffer, length, maxBytes);
                int read = await stream.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length - length, ChunkBytes)), cancellationToken).ConfigureAwait(false);
                if (read == 0) return buffer.AsSpan(0, length).ToArray();
                length += read;
                if (length > maxBytes) throw TooLong(maxBytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int Initial(Stream stream, long maxBytes)
    {
        if (!stream.CanSeek) return ChunkBytes;
        long remaining;
        try
        {
            remaining = Math.Max(0, stream.Length - stream.Position);
        }
        catch (NotSupportedException)
        {
            return ChunkBytes;
        }
        if (remaining > maxBytes) throw TooLong(maxBytes, remaining);
        return (int)Math.Min(remaining + 1, Array.MaxLength); // + 1: the read that finds the end needs room
    }

    private static byte[] Grow(byte[] buffer, int length, long maxBytes)
    {
        // One byte past the limit is room enough to see that it was passed.
        long size = Math.Min(Math.Min((long)buffer.Length * 2, maxBytes + 1), Array.MaxLength);
        if (size <= length) throw TooLong(maxBytes);
        byte[] larger = ArrayPool<byte>.Shared.Rent((int)size);
        buffer.AsSpan(0, length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    private static InvalidImageException TooLong(long maxBytes, long? actual = null) => new(null, ImageFormat.Unknown, 0,
        $"the stream holds {(actual is { } a ? $"{a} bytes" : "more bytes")} than the limit of {maxBytes} (DecoderOptions.MaxBytes)");
}
