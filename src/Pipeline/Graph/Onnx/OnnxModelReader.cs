using System.Text;
using Google.Protobuf;
using Pipeline.Graph.Onnx.Proto;
using Pipeline.Tensors;

namespace Pipeline.Graph.Onnx;

/// <summary>
/// Reads an ONNX file (a serialized <c>onnx.ModelProto</c>) into a <see cref="GraphModel"/>: operators come from
/// <see cref="OnnxOperatorTable"/>, initializers and Constant nodes become constants, graph inputs that are also
/// initializers are constants (IR &lt; 4 lists every weight as an input). Everything the engine cannot run is rejected
/// here with an <see cref="InvalidModelException"/> naming the node, its op type and opset.
/// </summary>
internal static class OnnxModelReader
{
    /// <summary>The oldest default-domain opset accepted.</summary>
    public const long MinOpset = 7;

    /// <summary>The newest default-domain opset accepted (the newest the conformance suite uses).</summary>
    public const long MaxOpset = 25;

    /// <summary>
    /// Parses and imports <paramref name="bytes"/>. <paramref name="extraOperators"/> resolves op types the table does not
    /// know (tests register tiny operators through it); it returns null for op types it does not know either.
    /// </summary>
    public static GraphModel Read(ReadOnlySpan<byte> bytes, string? file = null, Func<OnnxNode, Operator?>? extraOperators = null)
    {
        ModelProto model = Parse(bytes, file);
        return Import(model, file, extraOperators);
    }

    /// <summary>Parses the protobuf, turning every wire-format error into an <see cref="InvalidModelException"/>.</summary>
    public static ModelProto Parse(ReadOnlySpan<byte> bytes, string? file)
    {
        if (bytes.Length == 0) throw new InvalidModelException("the file is empty", file);
        try
        {
            return ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidModelException($"not a valid ONNX file (truncated or corrupt protobuf: {e.Message})", file, inner: e);
        }
    }

    private static GraphModel Import(ModelProto model, string? file, Func<OnnxNode, Operator?>? extraOperators)
    {
        GraphProto graph = model.Graph ?? throw new InvalidModelException("the file holds no graph (ModelProto.graph is missing); is it an ONNX model?", file);
        if (graph.SparseInitializer.Count > 0)
            throw new InvalidModelException($"sparse initializers are not supported ('{graph.SparseInitializer[0].Values?.Name}')", file);

        long opset = DefaultOpset(model, file);
        var constants = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (TensorProto initializer in graph.Initializer)
        {
            if (string.IsNullOrEmpty(initializer.Name)) throw new InvalidModelException("an initializer has no name", file);
            if (constants.ContainsKey(initializer.Name)) throw new InvalidModelException($"initializer '{initializer.Name}' is defined twice", file);
            constants.Add(initializer.Name, OnnxTensorReader.Read(initializer, $"initializer '{initializer.Name}'", file));
        }

        var nodes = new List<GraphNode>(graph.Node.Count);
        for (int index = 0; index < graph.Node.Count; index++)
        {
            NodeProto proto = graph.Node[index];
            NodeIdentity id = Identify(proto, index, model, opset, file);
            var node = new OnnxNode(id, proto.Domain, [.. proto.Input], [.. proto.Output], ReadAttributes(proto, id, file));
            if (proto.OpType == "Constant" && IsDefaultDomain(proto.Domain))
            {
                if (node.Outputs.Length != 1 || node.Outputs[0].Length == 0) throw id.Fail("a Constant node must have exactly one output");
                if (!constants.TryAdd(node.Outputs[0], ConstantValue(node)))
                    throw id.Fail($"value '{node.Outputs[0]}' is defined twice");
                continue;
            }
            nodes.Add(new GraphNode(id, CreateOperator(node, extraOperators), node.Inputs, node.Outputs));
        }

        var inputs = new List<TensorDeclaration>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (ValueInfoProto input in graph.Input)
        {
            if (string.IsNullOrEmpty(input.Name)) throw new InvalidModelException("a graph input has no name", file);
            if (!seen.Add(input.Name)) throw new InvalidModelException($"graph input '{input.Name}' is declared twice", file);
            if (constants.ContainsKey(input.Name)) continue; // IR < 4: weights are listed as inputs too; they are constants.
            inputs.Add(Declaration(input, "graph input", requireType: true, file));
        }

        var outputs = new List<TensorDeclaration>();
        seen.Clear();
        foreach (ValueInfoProto output in graph.Output)
        {
            if (string.IsNullOrEmpty(output.Name)) throw new InvalidModelException("a graph output has no name", file);
            if (!seen.Add(output.Name)) throw new InvalidModelException($"graph output '{output.Name}' is declared twice", file);
            outputs.Add(Declaration(output, "graph output", requireType: false, file));
        }
        if (outputs.Count == 0) throw new InvalidModelException("the graph declares no outputs", file);

        return new GraphModel($"ONNX IR {model.IrVersion}, opset {opset}", file, nodes, constants, inputs, outputs);
    }

    private static bool IsDefaultDomain(string domain) => domain.Length == 0 || domain == "ai.onnx";

    private static long DefaultOpset(ModelProto model, string? file)
    {
        long opset = 0;
        foreach (OperatorSetIdProto import in model.OpsetImport)
            if (IsDefaultDomain(import.Domain)) opset = Math.Max(opset, import.Version);
        if (opset == 0 && model.OpsetImport.Count == 0 && model.IrVersion < 3)
            throw new InvalidModelException($"IR version {model.IrVersion} files predate opset imports; re-export the model with opset {MinOpset} or newer", file);
        return opset;
    }

    private static NodeIdentity Identify(NodeProto proto, int index, ModelProto model, long defaultOpset, string? file)
    {
        string name = string.IsNullOrEmpty(proto.Name) ? $"#{index}" : proto.Name;
        string opType = string.IsNullOrEmpty(proto.OpType) ? "?" : proto.OpType;
        if (!IsDefaultDomain(proto.Domain))
        {
            long version = model.OpsetImport.Where(i => i.Domain == proto.Domain).Select(i => i.Version).DefaultIfEmpty(0).Max();
            throw new NodeIdentity(name, opType, version, file).Fail(
                $"operator domain '{proto.Domain}' is not supported (only the default ONNX domain is)");
        }
        var id = new NodeIdentity(name, opType, defaultOpset, file);
        if (defaultOpset == 0) throw id.Fail("the model imports no version of the default ONNX operator set");
        if (defaultOpset < MinOpset || defaultOpset > MaxOpset)
            throw id.Fail($"opset {defaultOpset} is not supported (supported: {MinOpset} to {MaxOpset})");
        if (proto.OpType.Length == 0) throw id.Fail("the node has no op_type");
        return id;
    }

    private static Operator CreateOperator(OnnxNode node, Func<OnnxNode, Operator?>? extraOperators)
    {
        NodeIdentity id = node.Identity;
        OnnxOperatorFactory? factory = OnnxOperatorTable.Find(id.OpType);
        try
        {
            Operator? op = factory is not null ? factory(node) : extraOperators?.Invoke(node);
            return op ?? throw id.Fail($"unsupported op '{id.OpType}': the engine has no implementation of this operator");
        }
        catch (InvalidModelException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw id.Fail($"invalid attributes ({e.GetType().Name}: {e.Message})", e);
        }
    }

    private static Dictionary<string, object> ReadAttributes(NodeProto proto, NodeIdentity id, string? file)
    {
        var attributes = new Dictionary<string, object>(proto.Attribute.Count, StringComparer.Ordinal);
        foreach (AttributeProto a in proto.Attribute)
        {
            if (string.IsNullOrEmpty(a.Name)) throw id.Fail("an attribute has no name");
            if (!string.IsNullOrEmpty(a.RefAttrName)) throw id.Fail($"attribute '{a.Name}' refers to a function attribute, which is only valid inside functions");
            object value = a.Type switch
            {
                AttributeProto.Types.AttributeType.Float => a.F,
                AttributeProto.Types.AttributeType.Int => a.I,
                AttributeProto.Types.AttributeType.String => Utf8(a.S),
                AttributeProto.Types.AttributeType.Tensor => a.T is { } t
                    ? OnnxTensorReader.Read(t, $"attribute '{a.Name}'", file, id)
                    : throw id.Fail($"attribute '{a.Name}' is a TENSOR with no value"),
                AttributeProto.Types.AttributeType.Floats => a.Floats.ToArray(),
                AttributeProto.Types.AttributeType.Ints => a.Ints.ToArray(),
                AttributeProto.Types.AttributeType.Strings => a.Strings.Select(Utf8).ToArray(),
                AttributeProto.Types.AttributeType.Undefined => throw id.Fail($"attribute '{a.Name}' has no type"),
                _ => throw id.Fail($"attribute '{a.Name}' is of type {a.Type.ToString().ToUpperInvariant()}, which is not supported (subgraphs, sparse tensors and type attributes are not)"),
            };
            if (!attributes.TryAdd(a.Name, value)) throw id.Fail($"attribute '{a.Name}' is given twice");
        }
        return attributes;
    }

    private static string Utf8(ByteString bytes) => Encoding.UTF8.GetString(bytes.Span);

    /// <summary>The value of a Constant node (any opset: value, value_float(s), value_int(s)).</summary>
    private static Tensor ConstantValue(OnnxNode node)
    {
        string[] kinds = ["value", "value_float", "value_floats", "value_int", "value_ints", "value_string", "value_strings", "sparse_value"];
        string[] present = kinds.Where(node.Has).ToArray();
        if (present.Length != 1)
            throw node.Fail(present.Length == 0 ? "a Constant node needs one of the value attributes" : $"a Constant node has several values ({string.Join(", ", present)})");
        return present[0] switch
        {
            "value" => node.GetTensor("value")!,
            "value_float" => Tensor.Create([node.GetFloat("value_float", 0f)]),
            "value_floats" => Tensor.Create(node.GetFloats("value_floats")!, node.GetFloats("value_floats")!.Length),
            "value_int" => Tensor.Create([node.GetInt("value_int")]),
            "value_ints" => Tensor.Create(node.GetInts("value_ints")!, node.GetInts("value_ints")!.Length),
            _ => throw node.Fail($"Constant '{present[0]}' is not supported (string and sparse tensors are not)"),
        };
    }

    /// <summary>A type in ONNX's notation, e.g. <c>optional(sequence(tensor(Float32)))</c>.</summary>
    private static string DescribeType(TypeProto? type, int depth = 0) => depth > 8 || type is null ? "?" : type.ValueCase switch
    {
        TypeProto.ValueOneofCase.TensorType => $"tensor({(DataType)type.TensorType.ElemType})",
        TypeProto.ValueOneofCase.SequenceType => $"sequence({DescribeType(type.SequenceType.ElemType, depth + 1)})",
        TypeProto.ValueOneofCase.OptionalType => $"optional({DescribeType(type.OptionalType.ElemType, depth + 1)})",
        TypeProto.ValueOneofCase.MapType => "map",
        TypeProto.ValueOneofCase.SparseTensorType => "sparse tensor",
        _ => "value of no known type",
    };

    private static TensorDeclaration Declaration(ValueInfoProto info, string what, bool requireType, string? file)
    {
        InvalidModelException Fail(string reason) => new($"{what} '{info.Name}': {reason}", file);
        TypeProto? type = info.Type;
        if (type is null || type.ValueCase == TypeProto.ValueOneofCase.None)
        {
            if (requireType) throw Fail("has no type");
            return new TensorDeclaration(info.Name, DataType.Undefined, null, null);
        }
        if (type.ValueCase is TypeProto.ValueOneofCase.SequenceType or TypeProto.ValueOneofCase.OptionalType)
        {
            // Sequences and optionals only pass through Identity nodes; the network checks that when it loads.
            TypeProto inner = type;
            for (int depth = 0; inner.ValueCase != TypeProto.ValueOneofCase.TensorType; depth++)
            {
                TypeProto? next = inner.ValueCase switch
                {
                    TypeProto.ValueOneofCase.SequenceType => inner.SequenceType.ElemType,
                    TypeProto.ValueOneofCase.OptionalType => inner.OptionalType.ElemType,
                    _ => null,
                };
                if (next is null || depth > 8) throw Fail($"has an unsupported type {DescribeType(type)}");
                inner = next;
            }
            DataType element = inner.TensorType.ElemType == 0 ? DataType.Undefined : OnnxTensorReader.ToDataType(inner.TensorType.ElemType, Fail);
            return new TensorDeclaration(info.Name, element, null, null) { NonTensorType = DescribeType(type) };
        }
        if (type.ValueCase != TypeProto.ValueOneofCase.TensorType)
            throw Fail($"is a {DescribeType(type)}; only tensors (and sequences or optionals passed through Identity) are supported");

        TypeProto.Types.Tensor tensor = type.TensorType;
        DataType elementType = !tensor.HasElemType || tensor.ElemType == 0
            ? (requireType ? throw Fail("has no element type") : DataType.Undefined)
            : OnnxTensorReader.ToDataType(tensor.ElemType, Fail);
        if (tensor.Shape is null) return new TensorDeclaration(info.Name, elementType, null, null);
        if (tensor.Shape.Dim.Count > OnnxTensorReader.MaxRank) throw Fail($"rank {tensor.Shape.Dim.Count} is above the supported maximum");

        var shape = new int[tensor.Shape.Dim.Count];
        var names = new string?[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            TensorShapeProto.Types.Dimension d = tensor.Shape.Dim[i];
            shape[i] = -1;
            if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
            {
                if (d.DimValue < 0 || d.DimValue > int.MaxValue) throw Fail($"dimension {i} is {d.DimValue}");
                shape[i] = (int)d.DimValue;
            }
            else if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam && d.DimParam.Length > 0)
            {
                names[i] = d.DimParam;
            }
        }
        return new TensorDeclaration(info.Name, elementType, shape, names);
    }
}
