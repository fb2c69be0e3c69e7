using System.Globalization;
using Google.Protobuf;
using Pipeline.Graph;
using Pipeline.Graph.Onnx.Proto;
using Pipeline.Graph.Tflite;
using Pipeline.Imaging;
using Pipeline.Tensors;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Graph.Tflite;

/// <summary>
/// Parity between the two importers: a TFLite model's translated graph, with its dequantized weights, is written as an
/// ONNX file (ModelProto through the generated protobuf classes), loaded by the ONNX reader, and both networks run on
/// the same input. The final output and intermediate taps must agree within 1e-4.
/// </summary>
public sealed class ImporterParityTests(ITestOutputHelper output)
{
    /// <summary>Writes the imported graph as an ONNX model (opset 13): the declared inputs and outputs, every constant as an initializer.</summary>
    internal static byte[] ToOnnx(GraphModel graph, IReadOnlyList<OnnxNodeSpec> nodes)
    {
        var model = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "tflite-export" } };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = TfliteGraphBuilder.OnnxOpset });
        foreach (TensorDeclaration input in graph.Inputs) model.Graph.Input.Add(Value(input));
        foreach (TensorDeclaration o in graph.Outputs) model.Graph.Output.Add(Value(o));
        foreach ((string name, Tensor value) in graph.Constants) model.Graph.Initializer.Add(Initializer(name, value));
        foreach (OnnxNodeSpec spec in nodes)
        {
            var node = new NodeProto { Name = spec.Name, OpType = spec.OpType };
            node.Input.AddRange(spec.Inputs);
            node.Output.AddRange(spec.Outputs);
            foreach ((string name, object value) in spec.Attributes)
            {
                var a = new AttributeProto { Name = name };
                switch (value)
                {
                    case long i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
                    case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
                    case long[] ints: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ints); break;
                    default: throw new InvalidOperationException($"attribute {name} of type {value.GetType()}");
                }
                node.Attribute.Add(a);
            }
            model.Graph.Node.Add(node);
        }
        return model.ToByteArray();
    }

    private static ValueInfoProto Value(TensorDeclaration declaration)
    {
        var type = new TypeProto.Types.Tensor { ElemType = (int)declaration.Type, Shape = new TensorShapeProto() };
        foreach (int d in declaration.Shape!)
            type.Shape.Dim.Add(d >= 0 ? new TensorShapeProto.Types.Dimension { DimValue = d } : new TensorShapeProto.Types.Dimension { DimParam = "N" });
        return new ValueInfoProto { Name = declaration.Name, Type = new TypeProto { TensorType = type } };
    }

    private static TensorProto Initializer(string name, Tensor value)
    {
        var proto = new TensorProto { Name = name, DataType = (int)value.Type, RawData = ByteString.CopyFrom(value.AsBytes()) };
        foreach (int d in value.Shape) proto.Dims.Add(d);
        return proto;
    }

    private static float MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(a.ShapeArray(), b.ShapeArray());
        ReadOnlySpan<float> x = a.AsSpan<float>(), y = b.AsSpan<float>();
        float max = 0;
        for (int i = 0; i < x.Length; i++) max = Math.Max(max, Math.Abs(x[i] - y[i]));
        return max;
    }

    private void AssertParity(byte[] tflite, Tensor input, string[] taps)
    {
        (GraphModel graph, IReadOnlyList<OnnxNodeSpec> nodes) = TfliteModelReader.ReadWithNodes(tflite, "model.tflite");
        byte[] onnx = ToOnnx(graph, nodes);
        using Network fromTflite = Network.Load(tflite, new NetworkOptions { Threads = 2 });
        using Network fromOnnx = Network.Load(onnx, new NetworkOptions { Threads = 2 });
        Assert.StartsWith("ONNX", fromOnnx.Format);
        Assert.StartsWith("TFLite", fromTflite.Format);

        string[] names = [.. fromTflite.Outputs.Select(o => o.Name), .. taps];
        IReadOnlyList<Tensor> a = fromTflite.Run(input, names), b = fromOnnx.Run(input, names);
        for (int i = 0; i < names.Length; i++)
        {
            float diff = MaxAbsDiff(a[i], b[i]);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{names[i]} [{string.Join(",", a[i].ShapeArray())}]: max |diff| {diff:E2}"));
            Assert.True(diff <= 1e-4f, $"{names[i]}: max abs diff {diff}");
        }
    }

    [Fact]
    public void MobileNetV2ThroughBothImporters()
    {
        byte[] tflite = File.ReadAllBytes(SharedData.Require("models/mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite"));
        Image cat = ImageDecoder.Decode(SharedData.Require("models/images/cat.bmp"));
        Tensor input = MobileNetV2QuantTests.Preprocessing().ToTensor(cat);
        using Network network = Network.Load(tflite);
        // A few feature maps along the network (4-D, NCHW) and the pre-softmax logits.
        string[] taps = network.DescribeValues()
            .Where(v => v.Name.StartsWith("MobilenetV2/", StringComparison.Ordinal) && v.Shape.Count == 4 && !v.IsConstant
                && !v.Name.Contains("/linear", StringComparison.Ordinal))
            .Select(v => v.Name).Where((_, i) => i % 12 == 3).Take(5).ToArray();
        Assert.NotEmpty(taps);
        AssertParity(tflite, input, taps);
    }

    [Fact]
    public void SmallFloatModelsThroughBothImporters()
    {
        foreach (byte[] model in TfliteReaderFuzzTests.SeedModels())
        {
            using Network network = Network.Load(model);
            TensorDeclaration declared = network.Inputs[0];
            int[] shape = declared.Shape!.ToArray();
            long count = Tensor.ElementCount(shape);
            var random = new Random(3);
            Tensor input = declared.Type == DataType.UInt8
                ? Tensor.Create(Enumerable.Range(0, (int)count).Select(_ => (byte)random.Next(256)).ToArray(), shape)
                : Tensor.Create(Enumerable.Range(0, (int)count).Select(_ => (float)random.NextDouble()).ToArray(), shape);
            string[] taps = network.DescribeValues().Where(v => !v.IsConstant && v.OpType is not null).Select(v => v.Name).Take(6).ToArray();
            AssertParity(model, input, taps);
        }
    }
}
