using Google.Protobuf;
using Pipeline.Graph;
using Pipeline.Graph.Onnx;
using Pipeline.Graph.Onnx.Proto;
using Pipeline.Tensors;

namespace Pipeline.Tests.Graph.Onnx;

/// <summary>Bad models: each raises one <see cref="InvalidModelException"/> naming the node, op type, opset and reason.</summary>
public sealed class ModelErrorTests
{
    private static InvalidModelException LoadFails(byte[] bytes)
        => Assert.Throws<InvalidModelException>(() => NetworkTests.Load(bytes));

    private static InvalidModelException LoadFails(OnnxBuilder builder) => LoadFails(builder.Build());

    private static OnnxBuilder Valid() => new OnnxBuilder()
        .Input("x", DataType.Float32, 1, 4)
        .Initializer("w", [1, 2, 3, 4], 1, 4)
        .Node("TAdd", ["x", "w"], ["y"], "add")
        .Output("y");

    [Fact]
    public void TruncatedFile()
    {
        byte[] bytes = Valid().Build();
        for (int length = 1; length < bytes.Length; length += 7)
        {
            var e = Assert.Throws<InvalidModelException>(() => NetworkTests.Load(bytes[..length]));
            Assert.False(string.IsNullOrEmpty(e.Reason));
        }
        Assert.Contains("truncated or corrupt", LoadFails(bytes[..(bytes.Length / 2)]).Message);
        Assert.Contains("empty", LoadFails([]).Message);
    }

    [Fact]
    public void TensorLargerThanTheFile()
    {
        var t = new TensorProto { Name = "big", DataType = (int)DataType.Float32 };
        t.Dims.AddRange([1024, 1024, 256]);
        t.RawData = ByteString.CopyFrom(new byte[64]);
        var e = LoadFails(Valid().Initializer(t));
        Assert.Contains("initializer 'big'", e.Message);
        Assert.Contains("raw_data holds 64 bytes", e.Message);
        Assert.Equal("test.onnx", e.File);
    }

    [Fact]
    public void AbsurdDimensions()
    {
        var t = new TensorProto { Name = "absurd", DataType = (int)DataType.Float32 };
        t.Dims.AddRange([1L << 33, 1L << 33]);
        Assert.Contains("initializer 'absurd': dimension 0 is 8589934592", LoadFails(Valid().Initializer(t)).Message);

        var input = new OnnxBuilder().SymbolicInput("x", DataType.Float32, 1, 4).Node("TScale", ["x"], ["y"]).Output("y");
        input.Model.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = -3;
        Assert.Contains("graph input 'x': dimension 1 is -3", LoadFails(input).Message);
    }

    [Fact]
    public void AbsurdShapeAtPlanTime()
    {
        // A fill whose keyed shape asks for more elements than any tensor holds fails typed, before allocating.
        var builder = new OnnxBuilder().Input("shape", DataType.Int64, 2).Node("TFill", ["shape"], ["y"], "fill").Output("y");
        using Network network = NetworkTests.Load(builder);
        var e = Assert.Throws<InvalidModelException>(() => network.Run(new Dictionary<string, Tensor>
        {
            ["shape"] = Tensor.Create(new long[] { 1 << 20, 1 << 20 }, 2),
        }));
        Assert.Equal("fill", e.Node);
        Assert.Contains("more than one tensor can hold", e.Message);

        // The same at load, when the shape is a constant: the fold is refused before it allocates.
        var shape = new TensorProto { Name = "s", DataType = (int)DataType.Int64 };
        shape.Dims.Add(2);
        shape.Int64Data.AddRange([1 << 20, 1 << 20]);
        var folded = new OnnxBuilder().Input("x", DataType.Float32, 1).Initializer(shape)
            .Node("TFill", ["s"], ["big"], "fill-const").Node("TScale", ["x"], ["y"]).Output("y");
        Assert.Equal("fill-const", LoadFails(folded).Node);
    }

    [Fact]
    public void Cycle()
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, 2)
            .Node("TAdd", ["x", "c"], ["a"], "first")
            .Node("TScale", ["a"], ["b"], "second")
            .Node("TScale", ["b"], ["c"], "third")
            .Node("TScale", ["a"], ["y"], "out")
            .Output("y");
        var e = LoadFails(builder);
        Assert.Contains("cycle", e.Reason);
        Assert.Contains("first -> second -> third -> first", e.Reason);
        Assert.Equal("first", e.Node);
        Assert.NotNull(e.OpType);
        Assert.Equal(13, e.Opset);

        var self = new OnnxBuilder().Input("x", DataType.Float32, 1).Node("TAdd", ["x", "s"], ["s"], "self").Output("s");
        Assert.Equal("self", LoadFails(self).Node);
    }

    [Fact]
    public void MissingInput()
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1, 2)
            .Node("TAdd", ["x", "ghost"], ["y"], "adder").Output("y");
        var e = LoadFails(builder);
        Assert.Equal("adder", e.Node);
        Assert.Equal("TAdd", e.OpType);
        Assert.Equal(13, e.Opset);
        Assert.Contains("input 'ghost' is not produced", e.Message);

        var output = new OnnxBuilder().Input("x", DataType.Float32, 1).Node("TScale", ["x"], ["y"]).Output("nowhere");
        Assert.Contains("graph output 'nowhere'", LoadFails(output).Message);
    }

    [Fact]
    public void UnknownOp()
    {
        var e = LoadFails(new OnnxBuilder(opset: 17).Input("x", DataType.Float32, 1).Node("FrobnicateV2", ["x"], ["y"], "frob").Output("y"));
        Assert.Equal("frob", e.Node);
        Assert.Equal("FrobnicateV2", e.OpType);
        Assert.Equal(17, e.Opset);
        Assert.Contains("unsupported op 'FrobnicateV2'", e.Message);
        Assert.Contains("node 'frob' (FrobnicateV2, opset 17)", e.Message);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(26)]
    [InlineData(1000)]
    public void UnsupportedOpset(long opset)
    {
        var e = LoadFails(new OnnxBuilder(opset).Input("x", DataType.Float32, 1).Node("TScale", ["x"], ["y"], "s").Output("y"));
        Assert.Equal("s", e.Node);
        Assert.Equal("TScale", e.OpType);
        Assert.Equal(opset, e.Opset);
        Assert.Contains($"opset {opset} is not supported (supported: 7 to 25)", e.Message);
    }

    [Fact]
    public void UnsupportedDomain()
    {
        var builder = new OnnxBuilder().Input("x", DataType.Float32, 1).Node("TreeEnsembleClassifier", ["x"], ["y"], "trees").Output("y");
        builder.Model.Graph.Node[0].Domain = "ai.onnx.ml";
        builder.Model.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx.ml", Version = 3 });
        var e = LoadFails(builder);
        Assert.Equal("trees", e.Node);
        Assert.Equal(3, e.Opset);
        Assert.Contains("domain 'ai.onnx.ml' is not supported", e.Message);
    }

    [Fact]
    public void NonTensorInputsAndDuplicateValues()
    {
        var sequence = new OnnxBuilder().Input("x", DataType.Float32, 1).Node("TScale", ["x"], ["y"]).Output("y");
        sequence.Model.Graph.Input[0].Type = new TypeProto { SequenceType = new TypeProto.Types.Sequence() };
        Assert.Contains("graph input 'x': has an unsupported type sequence(?)", LoadFails(sequence).Message);

        // A sequence input may only pass through Identity nodes.
        var consumed = new OnnxBuilder().Input("x", DataType.Float32, 1).Node("TScale", ["x"], ["y"], "scale").Output("y");
        consumed.Model.Graph.Input[0].Type = new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } } };
        var e = LoadFails(consumed);
        Assert.Equal("scale", e.Node);
        Assert.Contains("input 'x' is a sequence(tensor(Float32)); only Identity can take a sequence or optional value", e.Message);

        var twice = new OnnxBuilder().Input("x", DataType.Float32, 1)
            .Node("TScale", ["x"], ["y"], "one").Node("TScale", ["x"], ["y"], "two").Output("y");
        Assert.Equal("two", LoadFails(twice).Node);

        Assert.Contains("no graph", LoadFails(new ModelProto { IrVersion = 8 }.ToByteArray()).Message);
    }
}
