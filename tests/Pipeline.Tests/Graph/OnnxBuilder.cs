using Google.Protobuf;
using Pipeline.Graph.Onnx.Proto;
using Pipeline.Tensors;

namespace Pipeline.Tests.Graph;

/// <summary>Builds small ONNX models in memory for tests, through the same protobuf classes the reader uses.</summary>
internal sealed class OnnxBuilder
{
    private readonly ModelProto _model = new() { IrVersion = 8, Graph = new GraphProto { Name = "test" } };

    public OnnxBuilder(long opset = 13) => _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });

    public ModelProto Model => _model;

    public OnnxBuilder Input(string name, DataType type, params int[] shape)
    {
        _model.Graph.Input.Add(Value(name, type, shape));
        return this;
    }

    /// <summary>An input whose dimensions may be symbolic: a string is a dim_param, an int a dim_value.</summary>
    public OnnxBuilder SymbolicInput(string name, DataType type, params object[] dims)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() };
        foreach (object d in dims)
            tensorType.Shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        _model.Graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } });
        return this;
    }

    public OnnxBuilder Output(string name, DataType type = DataType.Float32)
    {
        _model.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } } });
        return this;
    }

    public OnnxBuilder Initializer(string name, float[] data, params int[] shape)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Float32 };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.FloatData.AddRange(data);
        _model.Graph.Initializer.Add(t);
        return this;
    }

    public OnnxBuilder Initializer(TensorProto tensor)
    {
        _model.Graph.Initializer.Add(tensor);
        return this;
    }

    public OnnxBuilder Node(string opType, string[] inputs, string[] outputs, string? name = null, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name ?? $"{opType}_{_model.Graph.Node.Count}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _model.Graph.Node.Add(node);
        return this;
    }

    public byte[] Build() => _model.ToByteArray();

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static ValueInfoProto Value(string name, DataType type, int[] shape)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() };
        foreach (int d in shape) tensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}
