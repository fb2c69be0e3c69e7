using System.Buffers;

namespace Pipeline.Imaging;

/// <summary>
/// Reads an image file's bytes from a stream to its end, refusing more than a limit as soon as it is passed: an
/// endless or huge stream (a request body without a size limit, a blob) costs about twice the limit in memory at the
/// most (the last buffer and the one it grew from, or the copy handed back), never all of it, and a seekable stream
/// that is too long is refused before any read.
/// </summary>
internal static class BoundedStreamReader
{
    private const int ChunkBytes = 81_920;

    /// <summary>
    /// Buffers above this are allocated for the one read and left to the GC: the shared pool rounds a request up to a
    /// power of two (a 256 MiB limit would rent 512 MiB) and keeps what is returned, per thread, until a later GC trims it.
    /// </summary>
    private const int PooledBytes = 1 << 20;

    public static byte[] ReadAll(Stream stream, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] buffer = Rent(Initial(stream, maxBytes));
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
            Return(buffer);
        }
    }

    public static async Task<byte[]> ReadAllAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] buffer = Rent(Initial(stream, maxBytes));
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
            Return(buffer);
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
        // One byte past the limit is room enough to see that it was passed; a doubling that would reach the limit goes
        // there at once, or a power-of-two limit would fill a buffer of exactly the limit and then need one more.
        long doubled = (long)buffer.Length * 2;
        long size = Math.Min(doubled >= maxBytes ? maxBytes + 1 : doubled, Array.MaxLength);
        if (size <= length) throw TooLong(maxBytes);
        byte[] larger = Rent((int)size);
        buffer.AsSpan(0, length).CopyTo(larger);
        Return(buffer);
        return larger;
    }

    private static byte[] Rent(int size) => size <= PooledBytes ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);

    private static void Return(byte[] buffer)
    {
        if (buffer.Length <= PooledBytes) ArrayPool<byte>.Shared.Return(buffer);
    }

    private static InvalidImageException TooLong(long maxBytes, long? actual = null) => new(null, ImageFormat.Unknown, 0,
        $"the stream holds {(actual is { } a ? $"{a} bytes, more" : "more bytes")} than the limit of {maxBytes} (DecoderOptions.MaxBytes)");
}
