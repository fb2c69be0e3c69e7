namespace Pipeline.Tests.Infrastructure;

/// <summary>
/// Seeded byte-level mutations of a valid file, the kind that break parsers: bit flips, byte overwrites with
/// boundary values, truncation, chunk duplication and removal, and corrupted length fields (big-endian and
/// little-endian 16/32-bit and protobuf-style varints).
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF];
    private readonly Random _random = new(seed);

    /// <summary>One mutated copy of <paramref name="original"/> (1–4 stacked mutations).</summary>
    public byte[] Mutate(ReadOnlySpan<byte> original)
    {
        byte[] data = original.ToArray();
        int mutations = 1 + _random.Next(4);
        for (int m = 0; m < mutations && data.Length > 0; m++)
            data = MutateOnce(data);
        return data;
    }

    private byte[] MutateOnce(byte[] data)
    {
        int at = _random.Next(data.Length);
        switch (_random.Next(8))
        {
            case 0: // bit flip
                data[at] ^= (byte)(1 << _random.Next(8));
                return data;
            case 1: // boundary byte
                data[at] = Interesting[_random.Next(Interesting.Length)];
                return data;
            case 2: // truncate
                return data[..at];
            case 3: // 32-bit length field, either endianness
                if (at + 4 <= data.Length)
                {
                    uint value = _random.Next(3) switch { 0 => 0xFFFFFFFF, 1 => 0x7FFFFFFF, _ => (uint)_random.Next() };
                    if (_random.Next(2) == 0) BitConverter.TryWriteBytes(data.AsSpan(at), value);
                    else System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(at), value);
                }
                return data;
            case 4: // 16-bit length field
                if (at + 2 <= data.Length)
                {
                    ushort value = _random.Next(2) == 0 ? (ushort)0xFFFF : (ushort)_random.Next(65536);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(at), value);
                }
                return data;
            case 5: // varint: a huge length where a small one stood
                if (at + 5 <= data.Length)
                {
                    data[at] = 0xFF; data[at + 1] = 0xFF; data[at + 2] = 0xFF; data[at + 3] = 0xFF; data[at + 4] = 0x0F;
                }
                return data;
            case 6: // duplicate a chunk in place
            {
                int length = Math.Min(1 + _random.Next(64), data.Length - at);
                var result = new byte[data.Length + length];
                data.AsSpan(0, at + length).CopyTo(result);
                data.AsSpan(at, data.Length - at).CopyTo(result.AsSpan(at + length));
                return result;
            }
            default: // remove a chunk
            {
                int length = Math.Min(1 + _random.Next(64), data.Length - at);
                var result = new byte[data.Length - length];
                data.AsSpan(0, at).CopyTo(result);
                data.AsSpan(at + length).CopyTo(result.AsSpan(at));
                return result;
            }
        }
    }
}
