using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// Reads the VP8L bitstream least-significant bit first from <c>data[start..end]</c> (data is the whole file, so
/// <see cref="Offset"/> counts from its start). Reading past the end yields zero bits and sets <see cref="IsPastEnd"/>;
/// callers check it at row ends and after each header, so a truncated stream is an error, never a hang.
/// </summary>
internal ref struct Vp8LBitReader
{
    private readonly ReadOnlySpan<byte> data;
    private readonly int end;
    private int next;     // the next byte to load; passes end once zero bits are fed
    private ulong bits;   // loaded bits, the next one in bit 0
    private int count;    // how many of them are valid

    public Vp8LBitReader(ReadOnlySpan<byte> data, int start, int end)
    {
        this.data = data;
        this.end = end;
        next = start;
        Fill();
    }

    /// <summary>True once more bits were consumed than the stream holds.</summary>
    public readonly bool IsPastEnd => (long)next * 8 - count > (long)end * 8;

    /// <summary>The file offset of the byte holding the next unread bit (at most the stream's end), for error messages.</summary>
    public readonly int Offset => (int)Math.Min(end, next - count / 8);

    /// <summary>
    /// Throws for a problem found at <paramref name="offset"/>, or for truncation when the stream already ran out (its
    /// zero padding, not the writer, then produced the bad value).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public readonly void Fail(int offset, string reason)
    {
        if (IsPastEnd) WebpThrowHelper.ThrowInvalid(Offset, "the VP8L stream ends early (truncated file?)");
        WebpThrowHelper.ThrowInvalid(offset, reason);
    }

    /// <summary>Reads an <paramref name="n"/>-bit number (0 ≤ n ≤ 32), first bit lowest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadBits(int n)
    {
        if (count < n) Fill();
        uint value = (uint)(bits & ((1UL << n) - 1));
        bits >>= n;
        count -= n;
        return value;
    }

    /// <summary>The next 32 bits without consuming them, with at least <paramref name="needed"/> ≤ 32 of them loaded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Peek(int needed)
    {
        if (count < needed) Fill();
        return (uint)bits;
    }

    /// <summary>Consumes <paramref name="n"/> bits already loaded by <see cref="Peek"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Skip(int n)
    {
        bits >>= n;
        count -= n;
    }

    // Loads whole bytes until at least 57 bits are held.
    private void Fill()
    {
        if (next + 8 <= end)
        {
            int bytes = (63 - count) >> 3;
            bits |= BinaryPrimitives.ReadUInt64LittleEndian(data[next..]) << count;
            next += bytes;
            count += bytes * 8;
            return;
        }
        while (count <= 56)
        {
            if (next < end) bits |= (ulong)data[next] << count;
            next++;
            count += 8;
        }
    }
}
