using System.Buffers.Binary;
using Pipeline.Graph;
using Pipeline.Graph.Tflite;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Graph.Tflite;

/// <summary>The flatbuffer reader on hand-built buffers: valid ones read back, malicious ones fail with the typed error.</summary>
public sealed class FlatBufferReaderTests
{
    private static FlatTable Root(byte[] bytes) => new FlatBuffer(bytes, "test.bin").Root("root");

    [Fact]
    public void ReadsScalarsStringsVectorsAndNestedTables()
    {
        byte[] bytes = Fb.Finish(Fb.T(
            (0, (byte)7), (1, -5), (2, 3.5f), (3, long.MinValue), (4, Fb.S("héllo")), (5, Fb.Ints(1, -2, 3)),
            (6, Fb.T((0, 42))), (7, Fb.Vec(Fb.T((0, 1)), Fb.T((0, 2)))), (8, Fb.Floats(0.25f)), (9, Fb.Longs(-1, 9))), "TEST");
        var buffer = new FlatBuffer(bytes, null);
        Assert.Equal("TEST", buffer.Identifier);
        FlatTable root = buffer.Root("root");
        Assert.Equal(7, root.UInt8(0));
        Assert.Equal(-5, root.Int32(1));
        Assert.Equal(3.5f, root.Float32(2));
        Assert.Equal(long.MinValue, root.Int64(3));
        Assert.Equal("héllo", root.String(4, "s"));
        Assert.Equal([1, -2, 3], root.Vector(5, 4, "v")!.Value.ToInt32Array());
        Assert.Equal(42, root.Table(6, "t")!.Value.Int32(0));
        FlatVector tables = root.Vector(7, 4, "tables")!.Value;
        Assert.Equal(2, tables.Count);
        Assert.Equal(2, tables.Table(1, "t1").Int32(0));
        Assert.Equal([0.25f], root.Vector(8, 4, "f")!.Value.ToFloat32Array());
        Assert.Equal([-1L, 9L], root.Vector(9, 8, "l")!.Value.ToInt64Array());
    }

    [Fact]
    public void AbsentFieldsGiveDefaultsIncludingIdsBeyondAShortVtable()
    {
        FlatTable root = Root(Fb.Finish(Fb.T((0, 1)), "TEST"));
        Assert.False(root.Has(1));
        Assert.Equal(17, root.Int32(1, 17));
        Assert.Equal(9, root.Int32(40, 9));
        Assert.Null(root.String(2, "s"));
        Assert.Null(root.Vector(3, 4, "v"));
        Assert.Null(root.Table(4, "t"));
    }

    [Fact]
    public void RootOffsetOutOfRangeIsRejected()
    {
        byte[] bytes = Fb.Finish(Fb.T((0, 1)), "TEST");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)bytes.Length + 100);
        var e = Assert.Throws<InvalidModelException>(() => Root(bytes));
        Assert.Contains("outside", e.Message);
        Assert.Equal("test.bin", e.File);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(7)]
    public void TooShortBuffersAreRejected(int length)
        => Assert.Throws<InvalidModelException>(() => Root(new byte[length]));

    [Fact]
    public void VtableOffsetPointingOutsideIsRejected()
    {
        byte[] bytes = Fb.Finish(Fb.T((0, 1)), "TEST");
        int table = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(table), int.MinValue);
        Assert.Contains("vtable", Assert.Throws<InvalidModelException>(() => Root(bytes)).Message);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(table), table + 1);
        Assert.Throws<InvalidModelException>(() => Root(bytes));
    }

    [Theory]
    [InlineData(0)]      // smaller than its own header
    [InlineData(3)]      // odd
    [InlineData(65534)]  // runs past the buffer
    public void VtableSizeLiesAreRejected(int size)
    {
        byte[] bytes = Fb.Finish(Fb.T((0, 1)), "TEST");
        int vtable = VtablePosition(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(vtable), (ushort)size);
        Assert.Throws<InvalidModelException>(() => Root(bytes));
    }

    [Fact]
    public void FieldOffsetBeyondTheTableIsRejected()
    {
        byte[] bytes = Fb.Finish(Fb.T((0, 1)), "TEST");
        int vtable = VtablePosition(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(vtable + 4), 200); // field 0 at table offset 200
        FlatTable root = Root(bytes);
        Assert.Contains("outside the table", Assert.Throws<InvalidModelException>(() => root.Int32(0)).Message);
    }

    [Fact]
    public void InlineSizeRunningPastTheBufferIsRejected()
    {
        byte[] bytes = Fb.Finish(Fb.T((0, 1)), "TEST");
        int vtable = VtablePosition(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(vtable + 2), 60000);
        Assert.Throws<InvalidModelException>(() => Root(bytes));
    }

    [Theory]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x40000000u)]
    [InlineData(1000u)]
    public void HugeVectorLengthsAreRejectedBeforeAllocating(uint count)
    {
        byte[] bytes = Fb.Finish(Fb.T((0, Fb.Ints(1, 2, 3))), "TEST");
        FlatTable root = Root(bytes);
        int vector = VectorPosition(bytes, root, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(vector), count);
        var e = Assert.Throws<InvalidModelException>(() => Root(bytes).Vector(0, 4, "v"));
        Assert.Contains("elements", e.Message);
    }

    [Fact]
    public void OffsetsOfZeroAndPastTheEndAreRejected()
    {
        byte[] bytes = Fb.Finish(Fb.T((0, Fb.S("abc"))), "TEST");
        FlatTable root = Root(bytes);
        int slot = FieldPosition(bytes, root, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(slot), 0);
        Assert.Throws<InvalidModelException>(() => Root(bytes).String(0, "s"));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(slot), 0x7FFFFFF0);
        Assert.Throws<InvalidModelException>(() => Root(bytes).String(0, "s"));
    }

    [Fact]
    public void InvalidUtf8IsRejected()
    {
        byte[] bytes = Fb.Finish(Fb.T((0, Fb.S("abc"))), "TEST");
        int slot = FieldPosition(bytes, Root(bytes), 0);
        int text = slot + (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(slot)) + 4;
        bytes[text] = 0xFF;
        Assert.Contains("UTF-8", Assert.Throws<InvalidModelException>(() => Root(bytes).String(0, "s")).Message);
    }

    [Fact]
    public void ReferencingOneVectorOverAndOverExhaustsTheWorkBudget()
    {
        // 20,000 string offsets, all pointing at one 4 KB string: 80 MB of reading from an 84 KB file. The reader
        // must stop at its budget instead of doing it.
        const int count = 20_000;
        byte[] amplified = SharedStringVector(count, 4096);
        FlatTable amplifiedRoot = Root(amplified);
        FlatVector names = amplifiedRoot.Vector(0, 4, "names")!.Value;
        Assert.Equal(count, names.Count);
        var e = Assert.Throws<InvalidModelException>(() =>
        {
            for (int i = 0; i < names.Count; i++) names.String(i, "name");
        });
        Assert.Contains("over and over", e.Message);
    }

    /// <summary>A root table with a vector of <paramref name="count"/> string offsets that all point at one string.</summary>
    private static byte[] SharedStringVector(int count, int length)
    {
        // Layout: header (8) | vtable (6 + pad 2) | table (8) | vector (4 + 4·count) | string (4 + length + 1)
        int vtable = 8, table = 16, vector = 24, text = vector + 4 + 4 * count;
        var bytes = new byte[text + 4 + length + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)table);
        "TEST"u8.CopyTo(bytes.AsSpan(4));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(vtable), 6);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(vtable + 2), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(vtable + 4), 4);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(table), table - vtable);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(table + 4), (uint)(vector - (table + 4)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(vector), (uint)count);
        for (int i = 0; i < count; i++)
        {
            int slot = vector + 4 + 4 * i;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(slot), (uint)(text - slot));
        }
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(text), (uint)length);
        bytes.AsSpan(text + 4, length).Fill((byte)'y');
        return bytes;
    }

    private static int VtablePosition(byte[] bytes)
    {
        int table = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        return table - BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(table));
    }

    private static int FieldPosition(byte[] bytes, FlatTable table, int id)
    {
        int vtable = table.Position - BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(table.Position));
        return table.Position + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(vtable + 4 + 2 * id));
    }

    private static int VectorPosition(byte[] bytes, FlatTable table, int id)
    {
        int slot = FieldPosition(bytes, table, id);
        return slot + (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(slot));
    }
}

/// <summary>The typed TFLite records on models the tests build, and on the shared MobileNetV2.</summary>
public sealed class TfliteModelParsingTests
{
    [Fact]
    public void ReadsTensorsOperatorsCodesAndQuantization()
    {
        var m = new TfliteBuilder();
        int x = m.Tensor("x", [1, 4, 4, 3], TfliteTensorType.UINT8, TfliteBuilder.Quantization([0.5f], [128]));
        int w = m.RawConstant("w", [2, 1, 1, 3], TfliteTensorType.INT8, new byte[6], TfliteBuilder.Quantization([0.1f, 0.2f], [0, 0], 0));
        int y = m.Tensor("y", [1, 4, 4, 2]);
        m.Operator(BuiltinOperator.CONV_2D, [x, w, -1], [y], 1, TfliteBuilder.Conv2D(TflitePadding.VALID, 1, 2, TfliteActivation.RELU6), version: 3);
        m.Custom("my-op", [y], [y]);
        m.Inputs(x).Outputs(y);
        TfliteModel model = TfliteModel.Parse(new FlatBuffer(m.Build(), null));

        Assert.Equal("test model", model.Description);
        Assert.Equal(2, model.OperatorCodes.Length);
        Assert.Equal("CONV_2D", model.OperatorCodes[0].Name);
        Assert.Equal(3, model.OperatorCodes[0].Version);
        Assert.Equal("CUSTOM 'my-op'", model.OperatorCodes[1].Name);
        TfliteSubgraph g = Assert.Single(model.Subgraphs);
        Assert.Equal([x], g.Inputs);
        Assert.Equal([y], g.Outputs);
        Assert.Equal("w", g.Tensors[w].Name);
        Assert.Equal([2, 1, 1, 3], g.Tensors[w].Shape);
        Assert.Equal(TfliteTensorType.INT8, g.Tensors[w].Type);
        Assert.Equal([0.1f, 0.2f], g.Tensors[w].Quantization!.Scale);
        Assert.Equal(0, g.Tensors[w].Quantization!.QuantizedDimension);
        Assert.Equal([128L], g.Tensors[x].Quantization!.ZeroPoint);
        Assert.Equal(6, model.Buffers[g.Tensors[w].Buffer].Length);
        TfliteOperator conv = g.Operators[0];
        Assert.Equal([x, w, -1], conv.Inputs);
        var options = Conv2DOptions.Read(conv.Options);
        Assert.Equal(new Conv2DOptions(TflitePadding.VALID, 1, 2, TfliteActivation.RELU6, 1, 1), options);
    }

    [Fact]
    public void BuiltinCodeIsTheLargerOfTheTwoFields()
    {
        var m = new TfliteBuilder();
        int x = m.Tensor("x", [1, 4]);
        int y = m.Tensor("y", [1, 4]);
        m.Operator((BuiltinOperator)150, [x], [y]); // GELU: deprecated byte field clamped to 127, the real code in builtin_code
        m.Inputs(x).Outputs(y);
        TfliteModel model = TfliteModel.Parse(new FlatBuffer(m.Build(), null));
        Assert.Equal("GELU", model.OperatorCodes[0].Name);
    }

    [Fact]
    public void OutOfRangeIndicesAreRejected()
    {
        var m = new TfliteBuilder();
        int x = m.Tensor("x", [1, 4]);
        m.Operator(BuiltinOperator.RELU, [x, 7], [x]);
        m.Inputs(x).Outputs(x);
        var e = Assert.Throws<InvalidModelException>(() => TfliteModel.Parse(new FlatBuffer(m.Build(), null)));
        Assert.Contains("tensor index 7", e.Message);
    }

    [Fact]
    public void WrongIdentifierAndSchemaVersionAreRejected()
    {
        var m = new TfliteBuilder();
        m.Tensor("x", [1]);
        byte[] bytes = m.Build();
        bytes[7] = (byte)'4';
        Assert.Contains("identifier", Assert.Throws<InvalidModelException>(() => TfliteModel.Parse(new FlatBuffer(bytes, null))).Message);
        m.Version = 2;
        Assert.Contains("version 2", Assert.Throws<InvalidModelException>(() => TfliteModel.Parse(new FlatBuffer(m.Build(), null))).Message);
    }

    [Fact]
    public void TheSharedMobileNetParses()
    {
        string path = SharedData.Require("models/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite");
        TfliteModel model = TfliteModel.Parse(new FlatBuffer(File.ReadAllBytes(path), Path.GetFileName(path)));
        TfliteSubgraph g = model.Subgraphs[0];
        var histogram = g.Operators.GroupBy(o => model.OperatorCodes[o.OpcodeIndex].Name).ToDictionary(x => x.Key, x => x.Count());
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join(", ", histogram.Select(kv => $"{kv.Key}×{kv.Value}")));
        TfliteTensor input = g.Tensors[g.Inputs[0]];
        Assert.Equal([1, 224, 224, 3], input.Shape);
        Assert.Equal(TfliteTensorType.UINT8, input.Type);
        Assert.Equal(1001, g.Tensors[g.Outputs[0]].Shape[^1]);
        Assert.True(histogram.ContainsKey("DEPTHWISE_CONV_2D"));
    }
}
