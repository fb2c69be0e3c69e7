using System.Buffers.Binary;
using System.Text;

namespace Pipeline.Tests.Graph.Tflite;

/// <summary>
/// A small FlatBuffers writer for tests: builds tables, vectors and strings as objects, then lays them out front to
/// back (each child after its parent, so every uoffset is positive; each vtable just before its table). It writes
/// what the format allows, not what flatc would emit byte for byte; alignment is 4 bytes for every object.
/// </summary>
internal static class Fb
{
    /// <summary>Anything that can be referenced by offset.</summary>
    public abstract class Node;

    /// <summary>A table: field id → value (byte, sbyte, bool, short, int, uint, long, ulong, float, or a <see cref="Node"/>).</summary>
    public sealed class Table : Node
    {
        public SortedDictionary<int, object> Fields { get; } = [];

        public Table Set(int id, object? value)
        {
            if (value is not null) Fields[id] = value;
            return this;
        }
    }

    /// <summary>A vector of scalars (raw little-endian bytes, with their element size).</summary>
    public sealed class ScalarVector(byte[] bytes, int count) : Node
    {
        public byte[] Bytes { get; } = bytes;

        public int Count { get; } = count;
    }

    /// <summary>A vector of references (tables or strings).</summary>
    public sealed class RefVector(IReadOnlyList<Node> items) : Node
    {
        public IReadOnlyList<Node> Items { get; } = items;
    }

    /// <summary>A string.</summary>
    public sealed class Str(string value) : Node
    {
        public string Value { get; } = value;
    }

    public static Table T(params (int Id, object? Value)[] fields)
    {
        var table = new Table();
        foreach ((int id, object? value) in fields) table.Set(id, value);
        return table;
    }

    public static ScalarVector Ints(params int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), values[i]);
        return new ScalarVector(bytes, values.Length);
    }

    public static ScalarVector Longs(params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
        return new ScalarVector(bytes, values.Length);
    }

    public static ScalarVector Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return new ScalarVector(bytes, values.Length);
    }

    public static ScalarVector Bytes(byte[] values) => new(values, values.Length);

    public static RefVector Vec(params Node[] items) => new(items);

    public static Str S(string value) => new(value);

    /// <summary>Serializes <paramref name="root"/> with a 4-character file identifier.</summary>
    public static byte[] Finish(Table root, string identifier)
    {
        var output = new List<byte>(256);
        output.AddRange(new byte[4]);
        output.AddRange(Encoding.ASCII.GetBytes(identifier));
        int rootPosition = WriteNode(output, root);
        Patch(output, 0, (uint)rootPosition);
        return [.. output];
    }

    private static int WriteNode(List<byte> output, Node node)
    {
        Align(output);
        switch (node)
        {
            case Table table:
                return WriteTable(output, table);
            case ScalarVector vector:
            {
                int position = output.Count;
                AddUInt32(output, (uint)vector.Count);
                output.AddRange(vector.Bytes);
                return position;
            }
            case Str str:
            {
                int position = output.Count;
                byte[] bytes = Encoding.UTF8.GetBytes(str.Value);
                AddUInt32(output, (uint)bytes.Length);
                output.AddRange(bytes);
                output.Add(0);
                return position;
            }
            case RefVector refs:
            {
                int position = output.Count;
                AddUInt32(output, (uint)refs.Items.Count);
                int first = output.Count;
                output.AddRange(new byte[4 * refs.Items.Count]);
                for (int i = 0; i < refs.Items.Count; i++)
                {
                    int child = WriteNode(output, refs.Items[i]);
                    int slot = first + 4 * i;
                    Patch(output, slot, (uint)(child - slot));
                }
                return position;
            }
            default:
                throw new ArgumentException("unknown node");
        }
    }

    private static int WriteTable(List<byte> output, Table table)
    {
        int fieldCount = table.Fields.Count == 0 ? 0 : table.Fields.Keys.Max() + 1;
        // Inline layout: soffset, then each field at its size (references take 4 bytes), 8-byte ones first for tidiness.
        var offsets = new Dictionary<int, int>();
        int inline = 4;
        foreach ((int id, object value) in table.Fields.OrderByDescending(f => Size(f.Value)))
        {
            offsets[id] = inline;
            inline += Size(value);
        }
        int vtableSize = 4 + 2 * fieldCount;
        int vtable = output.Count;
        AddUInt16(output, (ushort)vtableSize);
        AddUInt16(output, (ushort)inline);
        for (int id = 0; id < fieldCount; id++) AddUInt16(output, (ushort)(offsets.TryGetValue(id, out int o) ? o : 0));
        Align(output);
        int position = output.Count;
        var inlineBytes = new byte[inline];
        BinaryPrimitives.WriteInt32LittleEndian(inlineBytes, position - vtable);
        var children = new List<(int Slot, Node Node)>();
        foreach ((int id, object value) in table.Fields)
        {
            Span<byte> at = inlineBytes.AsSpan(offsets[id]);
            switch (value)
            {
                case byte v: at[0] = v; break;
                case sbyte v: at[0] = (byte)v; break;
                case bool v: at[0] = v ? (byte)1 : (byte)0; break;
                case short v: BinaryPrimitives.WriteInt16LittleEndian(at, v); break;
                case int v: BinaryPrimitives.WriteInt32LittleEndian(at, v); break;
                case uint v: BinaryPrimitives.WriteUInt32LittleEndian(at, v); break;
                case long v: BinaryPrimitives.WriteInt64LittleEndian(at, v); break;
                case ulong v: BinaryPrimitives.WriteUInt64LittleEndian(at, v); break;
                case float v: BinaryPrimitives.WriteSingleLittleEndian(at, v); break;
                case Node n: children.Add((position + offsets[id], n)); break;
                default: throw new ArgumentException($"unsupported field type {value.GetType()}");
            }
        }
        output.AddRange(inlineBytes);
        foreach ((int slot, Node child) in children)
        {
            int target = WriteNode(output, child);
            Patch(output, slot, (uint)(target - slot));
        }
        return position;
    }

    private static int Size(object value) => value switch
    {
        byte or sbyte or bool => 1,
        short => 2,
        long or ulong => 8,
        _ => 4,
    };

    private static void Align(List<byte> output)
    {
        while (output.Count % 4 != 0) output.Add(0);
    }

    private static void AddUInt16(List<byte> output, ushort value)
    {
        output.Add((byte)value);
        output.Add((byte)(value >> 8));
    }

    private static void AddUInt32(List<byte> output, uint value)
    {
        for (int i = 0; i < 4; i++) output.Add((byte)(value >> (8 * i)));
    }

    private static void Patch(List<byte> output, int at, uint value)
    {
        for (int i = 0; i < 4; i++) output[at + i] = (byte)(value >> (8 * i));
    }
}
