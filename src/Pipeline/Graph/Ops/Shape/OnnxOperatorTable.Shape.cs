using Pipeline.Graph.Ops.Shape;
using Pipeline.Tensors;

namespace Pipeline.Graph.Onnx;

// Shape and data movement: Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout, Shape, Concat, Transpose, Gather,
// GatherElements, Expand, Constant, ConstantOfShape, Pad, Cast, CastLike.
internal static partial class OnnxOperatorTable
{
    static partial void RegisterShape(Dictionary<string, OnnxOperatorFactory> table)
    {
        table["Reshape"] = Reshape;
        table["Flatten"] = Flatten;
        table["Squeeze"] = Squeeze;
        table["Unsqueeze"] = Unsqueeze;
        table["Identity"] = Identity;
        table["Dropout"] = Dropout;
        table["Shape"] = Shape;
        table["Concat"] = Concat;
        table["Transpose"] = Transpose;
        table["Gather"] = Gather;
        table["GatherElements"] = GatherElements;
        table["Expand"] = Expand;
        table["Constant"] = Constant;
        table["ConstantOfShape"] = ConstantOfShape;
        table["Pad"] = Pad;
        table["Cast"] = Cast;
        table["CastLike"] = CastLike;
    }

    // Opsets 1-4 carry the shape as an attribute; allowzero arrives in 14.
    private static Operator Reshape(OnnxNode node) => node.Opset < 5
        ? new ReshapeOperator(node.GetInts("shape") ?? throw node.Fail("required attribute 'shape' is missing"), allowZero: false)
        : new ReshapeOperator(null, allowZero: node.Opset >= 14 && node.GetInt("allowzero", 0) != 0);

    private static Operator Flatten(OnnxNode node) => new FlattenOperator(node.GetInt("axis", 1));

    // Axes are an attribute before opset 13 and optional input 1 from 13.
    private static Operator Squeeze(OnnxNode node) => new SqueezeOperator(node.Opset < 13 ? node.GetInts("axes") ?? [] : null);

    private static Operator Unsqueeze(OnnxNode node) => new UnsqueezeOperator(node.Opset < 13
        ? node.GetInts("axes") ?? throw node.Fail("required attribute 'axes' is missing")
        : null);

    private static Operator Identity(OnnxNode node) => new IdentityOperator();

    // Inference semantics at every opset: output = input, mask all ones (bool from opset 10, T before).
    private static Operator Dropout(OnnxNode node)
    {
        bool mask = node.Outputs.Length > 1 && node.Outputs[1].Length > 0;
        return new DropoutOperator(mask, boolMask: node.Opset >= 10, hasTrainingModeInput: node.Opset >= 12 && node.HasInput(2));
    }

    // start/end arrive in opset 15.
    private static Operator Shape(OnnxNode node) => node.Opset < 15
        ? new ShapeOperator(0, null)
        : new ShapeOperator(node.GetInt("start", 0), node.Has("end") ? node.GetInt("end") : null);

    // Opset 1 defaulted the axis to 1; from 4 it is required.
    private static Operator Concat(OnnxNode node) => new ConcatOperator(node.Opset < 4 ? node.GetInt("axis", 1) : node.GetInt("axis"));

    private static Operator Transpose(OnnxNode node) => new TransposeOperator(node.GetInts("perm"));

    private static Operator Gather(OnnxNode node) => new GatherOperator(node.GetInt("axis", 0));

    private static Operator GatherElements(OnnxNode node) => new GatherElementsOperator(node.GetInt("axis", 0));

    private static Operator Expand(OnnxNode node) => new ExpandOperator();

    private static Operator Constant(OnnxNode node)
    {
        if (node.GetTensor("value") is { } tensor) return new ConstantOperator(tensor);
        if (node.Has("value_float")) return new ConstantOperator(Tensor.Create(new[] { node.GetFloat("value_float", 0f) }));
        if (node.GetFloats("value_floats") is { } floats) return new ConstantOperator(Tensor.Create(floats, floats.Length));
        if (node.Has("value_int")) return new ConstantOperator(Tensor.Create(new[] { node.GetInt("value_int") }));
        if (node.GetInts("value_ints") is { } ints) return new ConstantOperator(Tensor.Create(ints, ints.Length));
        if (node.Has("sparse_value")) throw node.Fail("sparse constants are not supported");
        if (node.Has("value_string") || node.Has("value_strings")) throw node.Fail("string constants are not supported");
        throw node.Fail("Constant has none of value, value_float(s), value_int(s)");
    }

    private static Operator ConstantOfShape(OnnxNode node) => new ConstantOfShapeOperator(node.GetTensor("value"));

    // Opset 1 names the pads 'paddings'; 2-10 carry pads/value as attributes; 11+ as inputs (axes from 18).
    private static Operator Pad(OnnxNode node)
    {
        string modeName = node.GetString("mode", "constant");
        PadMode mode = modeName switch
        {
            "constant" => PadMode.Constant,
            "reflect" => PadMode.Reflect,
            "edge" => PadMode.Edge,
            "wrap" when node.Opset >= 19 => PadMode.Wrap,
            _ => throw node.Fail($"unknown pad mode '{modeName}'"),
        };
        if (node.Opset >= 11) return new PadOperator(mode, null, 0f);
        long[] pads = node.GetInts(node.Opset < 2 ? "paddings" : "pads") ?? throw node.Fail("required attribute 'pads' is missing");
        return new PadOperator(mode, pads, node.GetFloat("value", 0f));
    }

    // Opset 1-5 names the target type as a string ("FLOAT"); from 6 it is the TensorProto.DataType number.
    private static Operator Cast(OnnxNode node)
    {
        long to = node.Opset < 6 ? CastTypeNamed(node, node.GetString("to", "")) : node.GetInt("to");
        if (!Enum.IsDefined(typeof(DataType), (int)to) || !DataTypes.IsSupported((DataType)to))
            throw node.Fail($"cannot cast to data type {to}: it is not supported");
        return new CastOperator((DataType)to);
    }

    private static Operator CastLike(OnnxNode node) => new CastOperator(null);

    private static long CastTypeNamed(OnnxNode node, string name) => name.ToUpperInvariant() switch
    {
        "FLOAT" => (long)DataType.Float32,
        "UINT8" => (long)DataType.UInt8,
        "INT8" => (long)DataType.Int8,
        "UINT16" => (long)DataType.UInt16,
        "INT16" => (long)DataType.Int16,
        "INT32" => (long)DataType.Int32,
        "INT64" => (long)DataType.Int64,
        "BOOL" => (long)DataType.Bool,
        "FLOAT16" => (long)DataType.Float16,
        "DOUBLE" => (long)DataType.Float64,
        "UINT32" => (long)DataType.UInt32,
        "UINT64" => (long)DataType.UInt64,
        _ => throw node.Fail($"cannot cast to '{name}': the type is not supported"),
    };
}
