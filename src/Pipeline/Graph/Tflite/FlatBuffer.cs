using System.Buffers.Binary;
using System.Text;

namespace Pipeline.Graph.Tflite;

/// <summary>
/// A bounds-checked view of one FlatBuffers buffer (the TFLite file format). Every position read is checked against
/// the buffer before it is dereferenced, so a hostile file can only make the reader throw
/// <see cref="InvalidModelException"/>, never read outside the bytes or allocate more than they justify.
/// <para>
/// The wire format (flatbuffers.dev, "internals"): the buffer starts with a 32-bit unsigned offset to the root table,
/// optionally followed by a 4-byte file identifier. A table starts with a signed 32-bit offset back to its vtable
/// (vtable = table − soffset); the vtable holds its own byte size (uint16), the table's inline byte size (uint16) and
/// one uint16 per field: the field's offset from the table start, 0 when absent. Tables, vectors and strings are
/// referenced by unsigned 32-bit offsets relative to where the offset itself is stored. A vector is a uint32 element
/// count followed by the elements; a string is a byte vector followed by a 0 terminator. All little-endian; alignment
/// is not checked (it matters to zero-copy readers, not to this one).
/// </para>
/// </summary>
internal sealed class FlatBuffer
{
    private readonly byte[] _bytes;
    private readonly long _workBudget;
    private long _work;

    /// <summary>Wraps <paramref name="bytes"/> (not copied); <paramref name="file"/> names the file in errors.</summary>
    public FlatBuffer(byte[] bytes, string? file)
    {
        _bytes = bytes;
        File = file;
        // Offsets may point many times at one vector or string; charging every access against a multiple of the
        // file size keeps a hostile file from turning a few kilobytes into gigabytes of reading.
        _workBudget = 4L * bytes.Length + (1 << 20);
    }

    /// <summary>The file name for error messages, or null.</summary>
    public string? File { get; }

    /// <summary>The buffer length in bytes.</summary>
    public int Length => _bytes.Length;

    /// <summary>The whole buffer.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The 4-byte file identifier after the root offset, or null when the buffer is too short.</summary>
    public string? Identifier => _bytes.Length >= 8 ? Encoding.ASCII.GetString(_bytes, 4, 4) : null;

    /// <summary>The root table.</summary>
    public FlatTable Root(string what)
    {
        if (_bytes.Length < 8) throw Corrupt(what, 0, $"the buffer is {_bytes.Length} bytes, too short for a flatbuffer header");
        return TableAt(Follow(0, what), what);
    }

    /// <summary>The position a uoffset stored at <paramref name="position"/> points to, checked to lie inside the buffer.</summary>
    public int Follow(int position, string what)
    {
        uint offset = UInt32(position, what);
        long target = (long)position + offset;
        if (offset == 0 || target >= _bytes.Length)
            throw Corrupt(what, position, $"offset {offset} points outside the {_bytes.Length}-byte buffer");
        return (int)target;
    }

    /// <summary>The table starting at <paramref name="position"/>, with its vtable validated.</summary>
    public FlatTable TableAt(int position, string what)
    {
        int soffset = Int32(position, what);
        long vtable = (long)position - soffset;
        if (vtable < 0 || vtable + 4 > _bytes.Length)
            throw Corrupt(what, position, $"the vtable offset {soffset} points outside the buffer");
        int vtableSize = UInt16((int)vtable, what);
        int inlineSize = UInt16((int)vtable + 2, what);
        if (vtableSize < 4 || (vtableSize & 1) != 0 || vtable + vtableSize > _bytes.Length)
            throw Corrupt(what, (int)vtable, $"the vtable declares an invalid size of {vtableSize} bytes");
        if (inlineSize < 4 || (long)position + inlineSize > _bytes.Length)
            throw Corrupt(what, (int)vtable, $"the table declares an inline size of {inlineSize} bytes, past the end of the buffer");
        return new FlatTable(this, position, (int)vtable, vtableSize, inlineSize, what);
    }

    /// <summary>The vector whose length prefix is at <paramref name="position"/>, checked to fit the buffer.</summary>
    public FlatVector VectorAt(int position, int elementSize, string what)
    {
        uint count = UInt32(position, what);
        long bytes = (long)count * elementSize;
        long start = (long)position + 4;
        if (bytes > _bytes.Length - start)
            throw Corrupt(what, position, $"the vector declares {count} elements of {elementSize} bytes, more than the {_bytes.Length - start} bytes left in the buffer");
        Charge(bytes + 4, what, position);
        return new FlatVector(this, (int)start, (int)count, elementSize, what);
    }

    /// <summary>The UTF-8 string whose length prefix is at <paramref name="position"/>.</summary>
    public string StringAt(int position, string what)
    {
        FlatVector bytes = VectorAt(position, 1, what);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.Bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Corrupt(what, position, "the string is not valid UTF-8");
        }
    }

    /// <summary>
    /// Counts <paramref name="bytes"/> of reading against the file's work budget (a few times its size); fails when a
    /// file references the same data so often that reading it would cost far more than the file is large.
    /// </summary>
    public void Charge(long bytes, string what, long offset)
    {
        _work += bytes;
        if (_work > _workBudget)
            throw Corrupt(what, offset, $"the file references its data over and over (more than {_workBudget} bytes of reading for a {_bytes.Length}-byte file)");
    }

    /// <summary>Reads a byte.</summary>
    public byte UInt8(int position, string what) => Slice(position, 1, what)[0];

    /// <summary>Reads a little-endian uint16.</summary>
    public ushort UInt16(int position, string what) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(position, 2, what));

    /// <summary>Reads a little-endian int32.</summary>
    public int Int32(int position, string what) => BinaryPrimitives.ReadInt32LittleEndian(Slice(position, 4, what));

    /// <summary>Reads a little-endian uint32.</summary>
    public uint UInt32(int position, string what) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(position, 4, what));

    /// <summary>Reads a little-endian int64.</summary>
    public long Int64(int position, string what) => BinaryPrimitives.ReadInt64LittleEndian(Slice(position, 8, what));

    /// <summary>Reads a little-endian float32.</summary>
    public float Float32(int position, string what) => BinaryPrimitives.ReadSingleLittleEndian(Slice(position, 4, what));

    /// <summary><paramref name="length"/> bytes at <paramref name="position"/>, checked to lie inside the buffer.</summary>
    public ReadOnlySpan<byte> Slice(long position, long length, string what)
    {
        if (position < 0 || length < 0 || position > _bytes.Length - length)
            throw Corrupt(what, position, $"reading {length} bytes at offset {position} runs past the end of the {_bytes.Length}-byte buffer");
        return _bytes.AsSpan((int)position, (int)length);
    }

    /// <summary>The exception for a structural error at <paramref name="offset"/>.</summary>
    public InvalidModelException Corrupt(string what, long offset, string reason)
        => new($"corrupt flatbuffer: {what} at byte {offset}: {reason}", File);
}

/// <summary>
/// One table of a <see cref="FlatBuffer"/>: field accessors by field id (the declaration order in the schema, a union
/// taking two ids: its type, then its value). A field is read only when the vtable lists it inside the table's
/// declared inline size; absent fields give the schema default.
/// </summary>
internal readonly struct FlatTable
{
    private readonly FlatBuffer _buffer;
    private readonly int _vtable;
    private readonly int _vtableSize;
    private readonly int _inlineSize;

    /// <summary>Creates the view; use <see cref="FlatBuffer.TableAt"/>, which validates the vtable.</summary>
    internal FlatTable(FlatBuffer buffer, int position, int vtable, int vtableSize, int inlineSize, string what)
    {
        _buffer = buffer;
        Position = position;
        _vtable = vtable;
        _vtableSize = vtableSize;
        _inlineSize = inlineSize;
        What = what;
    }

    /// <summary>The table's start in the buffer.</summary>
    public int Position { get; }

    /// <summary>What the table is, for error messages (e.g. <c>tensor 3</c>).</summary>
    public string What { get; }

    /// <summary>The buffer the table lives in.</summary>
    public FlatBuffer Buffer => _buffer;

    /// <summary>True when field <paramref name="id"/> is present.</summary>
    public bool Has(int id) => FieldOffset(id) != 0;

    /// <summary>A byte (ubyte, enum, bool) field.</summary>
    public byte UInt8(int id, byte fallback = 0) => Field(id, 1) is int p ? _buffer.UInt8(p, What) : fallback;

    /// <summary>A signed byte field.</summary>
    public sbyte Int8(int id, sbyte fallback = 0) => Field(id, 1) is int p ? (sbyte)_buffer.UInt8(p, What) : fallback;

    /// <summary>A bool field.</summary>
    public bool Bool(int id, bool fallback = false) => Field(id, 1) is int p ? _buffer.UInt8(p, What) != 0 : fallback;

    /// <summary>An int32 field.</summary>
    public int Int32(int id, int fallback = 0) => Field(id, 4) is int p ? _buffer.Int32(p, What) : fallback;

    /// <summary>A uint32 field.</summary>
    public uint UInt32(int id, uint fallback = 0) => Field(id, 4) is int p ? _buffer.UInt32(p, What) : fallback;

    /// <summary>An int64 field.</summary>
    public long Int64(int id, long fallback = 0) => Field(id, 8) is int p ? _buffer.Int64(p, What) : fallback;

    /// <summary>A uint64 field.</summary>
    public ulong UInt64(int id, ulong fallback = 0) => Field(id, 8) is int p ? (ulong)_buffer.Int64(p, What) : fallback;

    /// <summary>A float32 field.</summary>
    public float Float32(int id, float fallback = 0) => Field(id, 4) is int p ? _buffer.Float32(p, What) : fallback;

    /// <summary>A sub-table field, or null when absent; <paramref name="what"/> names it in errors.</summary>
    public FlatTable? Table(int id, string what)
        => Field(id, 4) is int p ? _buffer.TableAt(_buffer.Follow(p, what), what) : null;

    /// <summary>A vector field of scalars or offsets, or null when absent.</summary>
    public FlatVector? Vector(int id, int elementSize, string what)
        => Field(id, 4) is int p ? _buffer.VectorAt(_buffer.Follow(p, what), elementSize, what) : null;

    /// <summary>A string field, or null when absent.</summary>
    public string? String(int id, string what)
        => Field(id, 4) is int p ? _buffer.StringAt(_buffer.Follow(p, what), what) : null;

    /// <summary>The absolute position of field <paramref name="id"/> of <paramref name="size"/> bytes, or null when absent.</summary>
    private int? Field(int id, int size)
    {
        int offset = FieldOffset(id);
        if (offset == 0) return null;
        if (offset < 4 || offset + size > _inlineSize)
            throw _buffer.Corrupt(What, _vtable, $"field {id} at table offset {offset} ({size} bytes) lies outside the table's {_inlineSize} inline bytes");
        return Position + offset;
    }

    private int FieldOffset(int id)
    {
        int entry = 4 + 2 * id;
        if (id < 0 || entry + 2 > _vtableSize) return 0; // An older writer's shorter vtable: the field is absent.
        return _buffer.UInt16(_vtable + entry, What);
    }
}

/// <summary>A vector of a <see cref="FlatBuffer"/>, its extent already checked to fit the buffer.</summary>
internal readonly struct FlatVector
{
    private readonly FlatBuffer _buffer;
    private readonly int _start;
    private readonly int _elementSize;

    /// <summary>Creates the view; use <see cref="FlatBuffer.VectorAt"/>, which checks the extent.</summary>
    internal FlatVector(FlatBuffer buffer, int start, int count, int elementSize, string what)
    {
        _buffer = buffer;
        _start = start;
        Count = count;
        _elementSize = elementSize;
        What = what;
    }

    /// <summary>The number of elements.</summary>
    public int Count { get; }

    /// <summary>What the vector is, for error messages.</summary>
    public string What { get; }

    /// <summary>The elements' bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _buffer.Slice(_start, (long)Count * _elementSize, What);

    /// <summary>The position of the first element in the buffer.</summary>
    public int Start => _start;

    /// <summary>Element <paramref name="i"/> as a byte.</summary>
    public byte UInt8(int i) => _buffer.UInt8(At(i), What);

    /// <summary>Element <paramref name="i"/> as an int32.</summary>
    public int Int32(int i) => _buffer.Int32(At(i), What);

    /// <summary>Element <paramref name="i"/> as an int64.</summary>
    public long Int64(int i) => _buffer.Int64(At(i), What);

    /// <summary>Element <paramref name="i"/> as a float32.</summary>
    public float Float32(int i) => _buffer.Float32(At(i), What);

    /// <summary>Element <paramref name="i"/> of a vector of tables (each element a uoffset relative to itself).</summary>
    public FlatTable Table(int i, string what) => _buffer.TableAt(_buffer.Follow(At(i), what), what);

    /// <summary>Element <paramref name="i"/> of a vector of strings.</summary>
    public string String(int i, string what) => _buffer.StringAt(_buffer.Follow(At(i), what), what);

    /// <summary>All elements as int32s (a vector of 4-byte elements).</summary>
    public int[] ToInt32Array()
    {
        var values = new int[Count];
        for (int i = 0; i < values.Length; i++) values[i] = Int32(i);
        return values;
    }

    /// <summary>All elements as int64s (a vector of 8-byte elements).</summary>
    public long[] ToInt64Array()
    {
        var values = new long[Count];
        for (int i = 0; i < values.Length; i++) values[i] = Int64(i);
        return values;
    }

    /// <summary>All elements as float32s (a vector of 4-byte elements).</summary>
    public float[] ToFloat32Array()
    {
        var values = new float[Count];
        for (int i = 0; i < values.Length; i++) values[i] = Float32(i);
        return values;
    }

    private int At(int i)
    {
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i));
        return _start + i * _elementSize;
    }
}
