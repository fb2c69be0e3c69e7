namespace Pipeline.Tests.Persistence;

/// <summary>
/// A write-through stream wrapper that throws an <see cref="IOException"/> once <paramref name="failAfterBytes"/>
/// bytes have been written (writing the bytes before the fault first, like a disk filling up), or on flush.
/// </summary>
internal sealed class FaultyStream(Stream inner, long failAfterBytes, bool failOnFlush = false) : Stream
{
    public long Written { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Written; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        long room = failAfterBytes - Written;
        if (buffer.Length > room)
        {
            if (room > 0) inner.Write(buffer[..(int)room]);
            Written += Math.Max(0, room);
            throw new IOException($"injected fault after {failAfterBytes} bytes writing {(inner as FileStream)?.Name}"); // named as the OS would
        }
        inner.Write(buffer);
        Written += buffer.Length;
    }

    public override void Flush()
    {
        if (failOnFlush) throw new IOException("injected fault on flush");
        inner.Flush();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
