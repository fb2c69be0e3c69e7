namespace Pipeline.Tests.Persistence;

/// <summary>
/// A write-through stream wrapper that cancels <paramref name="source"/> once <paramref name="cancelAfterBytes"/> bytes
/// have been written, like a Ctrl-C arriving while a save is under way; the writes themselves all succeed.
/// </summary>
internal sealed class CancellingStream(Stream inner, long cancelAfterBytes, CancellationTokenSource source) : Stream
{
    private long _written;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _written; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        _written += buffer.Length;
        if (_written >= cancelAfterBytes) source.Cancel();
    }

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
