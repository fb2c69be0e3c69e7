using System.Globalization;
using Pipeline.Graph.Onnx;
using Pipeline.Tensors;

namespace Pipeline.Graph.Tflite;

/// <summary>
/// The state of one TFLite import: the nodes and constants emitted so far, which graph value holds each TFLite
/// tensor, and the helpers the per-operator import functions (<see cref="TfliteOperators"/>) share: layout changes,
/// constants, fused activations and the optional quantization simulation. Operators are created through
/// <see cref="OnnxOperatorTable"/>, so TFLite and ONNX models run on exactly the same operator implementations.
/// </summary>
internal sealed class TfliteGraphBuilder
{
    /// <summary>The ONNX opset whose operator semantics the emitted nodes follow.</summary>
    public const long OnnxOpset = 13;

    /// <summary>NHWC → NCHW.</summary>
    public static readonly long[] ToNchw = [0, 3, 1, 2];

    /// <summary>NCHW → NHWC.</summary>
    public static readonly long[] ToNhwc = [0, 2, 3, 1];

    private readonly TfliteModel _model;
    private readonly TfliteSubgraph _graph;
    private readonly TfliteImportOptions _options;
    private readonly List<GraphNode> _nodes = [];
    private readonly Dictionary<string, Tensor> _constants = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly string[] _names;
    private readonly string?[] _values;
    private readonly string?[] _nhwc;
    private readonly string?[] _finalNames;
    private readonly int[] _constantAlias;
    private readonly bool[] _isGraphOutput;
    private readonly Dictionary<float, string> _scalars = [];

    public TfliteGraphBuilder(TfliteModel model, TfliteImportOptions options)
    {
        _model = model;
        _graph = model.Subgraphs[0];
        _options = options;
        Constants = new TfliteConstants(model);
        int count = _graph.Tensors.Length;
        _names = new string[count];
        _values = new string?[count];
        _nhwc = new string?[count];
        _finalNames = new string?[count];
        _constantAlias = new int[count];
        _isGraphOutput = new bool[count];
        Array.Fill(_constantAlias, -1);
        for (int t = 0; t < count; t++)
        {
            string name = _graph.Tensors[t].Name.Length > 0 ? _graph.Tensors[t].Name : $"tensor_{t}";
            if (!_used.Add(name)) name = Unique($"{name}#{t}");
            _names[t] = name;
        }
        foreach (int t in _graph.Outputs) _isGraphOutput[t] = true;
    }

    /// <summary>The node being imported, for errors and for naming every node it emits.</summary>
    public NodeIdentity Current { get; private set; }

    /// <summary>Decodes constant tensors.</summary>
    public TfliteConstants Constants { get; }

    /// <summary>
    /// Every node emitted, as the ONNX op type, wiring and attributes it was created from, in order: what an ONNX file
    /// of the same graph would hold (the parity tests write one).
    /// </summary>
    public List<OnnxNodeSpec> Emitted { get; } = [];

    /// <summary>The file name for messages.</summary>
    public string? File => _model.File.File;

    /// <summary>Imports the whole first subgraph.</summary>
    public GraphModel Build()
    {
        var inputs = new List<TensorDeclaration>();
        foreach (int t in _graph.Inputs) inputs.Add(DeclareInput(t));

        foreach (TfliteOperator op in _graph.Operators)
        {
            TfliteOperatorCode code = _model.OperatorCodes[op.OpcodeIndex];
            string output = op.Outputs.Length > 0 ? $" '{_names[op.Outputs[0]]}'" : string.Empty;
            Current = new NodeIdentity($"#{op.Index}{output}", code.Name, code.Version, File);
            TfliteOperators.Import(this, op, code);
        }

        var outputs = new List<TensorDeclaration>();
        foreach (int t in _graph.Outputs) outputs.Add(DeclareOutput(t));
        if (outputs.Count == 0) throw new InvalidModelException("the TFLite subgraph declares no outputs", File);

        string format = $"TFLite schema {_model.Version}, {_graph.Operators.Length} operators" +
            (string.IsNullOrEmpty(_model.Description) ? string.Empty : $" ({_model.Description})");
        return new GraphModel(format, File, _nodes, _constants, inputs, outputs);
    }

    /// <summary>The TFLite tensor <paramref name="t"/>.</summary>
    public TfliteTensor Tensor(int t) => _graph.Tensors[t];

    /// <summary>The rank the file declares for tensor <paramref name="t"/>.</summary>
    public int Rank(int t) => _graph.Tensors[t].Shape.Length;

    /// <summary>The shape the file declares for tensor <paramref name="t"/> (NHWC for images).</summary>
    public int[] Shape(int t) => _graph.Tensors[t].Shape;

    /// <summary>The graph value name of tensor <paramref name="t"/>.</summary>
    public string Name(int t) => _names[t];

    /// <summary>True when <paramref name="t"/> is a constant (has data, or is a dequantized constant).</summary>
    public bool IsConstant(int t) => _constantAlias[t] >= 0 || Constants.HasData(_graph.Tensors[t]);

    /// <summary>The constant <paramref name="t"/> as float32 in the file's layout (NHWC), dequantized.</summary>
    public Tensor ConstantFloat(int t)
    {
        int source = _constantAlias[t] >= 0 ? _constantAlias[t] : t;
        return Constants.Float(_graph.Tensors[source], Current);
    }

    /// <summary>The constant integer tensor <paramref name="t"/> (shapes, axes, paddings).</summary>
    public long[] ConstantIntegers(int t)
    {
        if (!IsConstant(t)) throw Current.Fail($"{Tensor(t)} must be a constant (it sets a shape, axes or paddings)");
        return Constants.Integers(_graph.Tensors[_constantAlias[t] >= 0 ? _constantAlias[t] : t], Current);
    }

    /// <summary>Makes tensor <paramref name="t"/> stand for the constant tensor <paramref name="source"/> (a DEQUANTIZE of a weight).</summary>
    public void AliasConstant(int t, int source) => _constantAlias[t] = _constantAlias[source] >= 0 ? _constantAlias[source] : source;

    /// <summary>
    /// The graph value holding tensor <paramref name="t"/>: NCHW when it is 4-D. A constant is registered on first use
    /// (transposed to NCHW when 4-D).
    /// </summary>
    public string Value(int t)
    {
        if (_values[t] is { } value) return value;
        if (!IsConstant(t))
            throw Current.Fail($"input {Tensor(t)} is not a graph input, a constant or the output of an earlier operator");
        Tensor constant = ConstantFloat(t);
        if (constant.Rank == 4) constant = Transpose(constant, ToNchw);
        // The tensor's own name is reserved for it (every TFLite name is taken up front).
        _constants[_names[t]] = constant;
        return _values[t] = _names[t];
    }

    /// <summary>Tensor <paramref name="t"/> (4-D) in its NHWC layout, transposing once and caching the result.</summary>
    public string ValueNhwc(int t)
    {
        if (_nhwc[t] is { } cached) return cached;
        string source = Value(t);
        string name = Unique($"{_names[t]}/nhwc");
        Emit("Transpose", [source], [name], ("perm", ToNhwc));
        return _nhwc[t] = name;
    }

    /// <summary>Registers a new constant under a fresh name derived from <paramref name="hint"/>.</summary>
    public string AddConstant(string hint, Tensor value)
    {
        string name = Unique(hint);
        _constants[name] = value;
        return name;
    }

    /// <summary>A float32 scalar constant (shared).</summary>
    public string Scalar(float value)
    {
        if (_scalars.TryGetValue(value, out string? name)) return name;
        return _scalars[value] = AddConstant($"tflite/scalar_{value.ToString(CultureInfo.InvariantCulture)}", Pipeline.Tensors.Tensor.Create([value]));
    }

    /// <summary>A fresh value name starting with <paramref name="hint"/>.</summary>
    public string Unique(string hint)
    {
        if (_used.Add(hint)) return hint;
        for (int i = 2; ; i++)
        {
            string name = $"{hint}#{i}";
            if (_used.Add(name)) return name;
        }
    }

    /// <summary>
    /// Where the computation producing tensor <paramref name="t"/> writes, before its fused
    /// <paramref name="activation"/> and quantization simulation; <see cref="Finish"/> completes it.
    /// </summary>
    public string Target(int t, TfliteActivation activation)
        => activation != TfliteActivation.NONE || SimulatesQuantization(t) ? Unique($"{_names[t]}/linear") : FinalName(t);

    /// <summary>
    /// Completes tensor <paramref name="t"/>, computed into <paramref name="produced"/> (from <see cref="Target"/>):
    /// applies the fused activation, then the quantization simulation, ending at the tensor's own name.
    /// </summary>
    public void Finish(int t, string produced, TfliteActivation activation)
    {
        if (_values[t] is not null) throw Current.Fail($"{Tensor(t)} is produced twice");
        bool quantize = SimulatesQuantization(t);
        string current = produced;
        if (activation != TfliteActivation.NONE)
        {
            string next = quantize ? Unique($"{_names[t]}/activated") : FinalName(t);
            EmitActivation(activation, current, next);
            current = next;
        }
        if (quantize)
        {
            TfliteTensor tensor = Tensor(t);
            (string scale, string zero, long axis) = QuantizationConstants(tensor, nchw: tensor.Shape.Length == 4);
            string q = Unique($"{_names[t]}/quantized");
            Emit("QuantizeLinear", [current, scale, zero], [q], ("axis", axis));
            Emit("DequantizeLinear", [q, scale, zero], [FinalName(t)], ("axis", axis));
            current = FinalName(t);
        }
        _values[t] = current;
    }

    /// <summary>Emits the ONNX-semantics node <paramref name="opType"/> with attributes, named after the current TFLite operator.</summary>
    public void Emit(string opType, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var attributeMap = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach ((string name, object value) in attributes) attributeMap[name] = value;
        var onnx = new OnnxNode(new NodeIdentity(Current.Name, opType, OnnxOpset, File), string.Empty, inputs, outputs, attributeMap);
        OnnxOperatorFactory factory = OnnxOperatorTable.Find(opType)
            ?? throw Current.Fail($"the engine has no '{opType}' operator, which this operator is translated to");
        Operator op;
        try
        {
            op = factory(onnx);
        }
        catch (InvalidModelException e)
        {
            throw Current.Fail($"as {opType}: {e.Reason}", e);
        }
        _nodes.Add(new GraphNode(Current, op, inputs, outputs));
        Emitted.Add(new OnnxNodeSpec(Current.Name, opType, inputs, outputs, attributes));
    }

    /// <summary>Emits the node computing a TFLite fused activation.</summary>
    public void EmitActivation(TfliteActivation activation, string input, string output)
    {
        switch (activation)
        {
            case TfliteActivation.RELU:
                Emit("Relu", [input], [output]);
                break;
            case TfliteActivation.RELU6:
                Emit("Clip", [input, Scalar(0f), Scalar(6f)], [output]);
                break;
            case TfliteActivation.RELU_N1_TO_1:
                Emit("Clip", [input, Scalar(-1f), Scalar(1f)], [output]);
                break;
            case TfliteActivation.TANH:
                Emit("Tanh", [input], [output]);
                break;
            default:
                throw Current.Fail($"fused activation {activation} is not supported");
        }
    }

    /// <summary>A copy of <paramref name="value"/> with its axes permuted (output axis i = input axis perm[i]).</summary>
    public static Tensor Transpose(Tensor value, ReadOnlySpan<long> perm)
    {
        int rank = value.Rank;
        int[] inShape = value.ShapeArray();
        var outShape = new int[rank];
        for (int i = 0; i < rank; i++) outShape[i] = inShape[perm[i]];
        var inStrides = new long[rank];
        long stride = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            inStrides[i] = stride;
            stride *= inShape[i];
        }
        ReadOnlySpan<float> source = value.AsSpan<float>();
        var result = new float[source.Length];
        if (rank == 4)
        {
            // The weights of every convolution pass here: four plain loops, the source offset built up per axis.
            long s0 = inStrides[perm[0]], s1 = inStrides[perm[1]], s2 = inStrides[perm[2]], s3 = inStrides[perm[3]];
            int o4 = 0;
            for (int a = 0; a < outShape[0]; a++)
            for (int b = 0; b < outShape[1]; b++)
            for (int c = 0; c < outShape[2]; c++)
            {
                long offset = a * s0 + b * s1 + c * s2;
                for (int d = 0; d < outShape[3]; d++, offset += s3) result[o4++] = source[(int)offset];
            }
            return Pipeline.Tensors.Tensor.Create(result, outShape);
        }
        var index = new int[rank];
        for (long o = 0; o < result.Length; o++)
        {
            long offset = 0;
            for (int i = 0; i < rank; i++) offset += index[i] * inStrides[perm[i]];
            result[o] = source[(int)offset];
            for (int i = rank - 1; i >= 0; i--)
            {
                if (++index[i] < outShape[i]) break;
                index[i] = 0;
            }
        }
        return Pipeline.Tensors.Tensor.Create(result, outShape);
    }

    private bool SimulatesQuantization(int t)
    {
        TfliteTensor tensor = Tensor(t);
        return _options.SimulateQuantization && tensor.IsQuantized && tensor.Type is TfliteTensorType.UINT8 or TfliteTensorType.INT8;
    }

    /// <summary>The name tensor <paramref name="t"/> finally takes: its own, except a 4-D graph output, transposed back to NHWC at the end.</summary>
    private string FinalName(int t)
    {
        if (!_isGraphOutput[t] || Rank(t) != 4) return _names[t];
        return _finalNames[t] ??= Unique($"{_names[t]}/nchw");
    }

    /// <summary>
    /// Scale and zero-point constants for a quantized activation: per tensor, or per channel along the file's
    /// quantized_dimension, mapped to the NCHW axis when <paramref name="nchw"/>.
    /// </summary>
    private (string Scale, string Zero, long Axis) QuantizationConstants(TfliteTensor tensor, bool nchw)
    {
        TfliteQuantization q = tensor.Quantization!;
        int n = q.Scale.Length;
        long axis = q.QuantizedDimension;
        if (n > 1 && (axis < 0 || axis >= tensor.Shape.Length || tensor.Shape[axis] != n))
            throw Current.Fail($"{tensor} has {n} scales but quantized_dimension {axis} of shape [{string.Join(",", tensor.Shape)}] does not have that length");
        if (q.ZeroPoint.Length > 1 && q.ZeroPoint.Length != n)
            throw Current.Fail($"{tensor} has {q.ZeroPoint.Length} zero points for {n} scales");
        if (n > 1 && nchw) axis = Array.IndexOf(ToNchw, axis);
        int[] shape = n == 1 ? [] : [n];
        var zeros = new long[n];
        for (int i = 0; i < n; i++) zeros[i] = q.ZeroPoint.Length == 0 ? 0 : q.ZeroPoint[q.ZeroPoint.Length > 1 ? i : 0];
        Tensor zero = tensor.Type == TfliteTensorType.UINT8
            ? Pipeline.Tensors.Tensor.Create(zeros.Select(z => (byte)Math.Clamp(z, 0, 255)).ToArray(), shape)
            : Pipeline.Tensors.Tensor.Create(zeros.Select(z => (sbyte)Math.Clamp(z, -128, 127)).ToArray(), shape);
        return (AddConstant($"{_names[tensor.Index]}/scale", Pipeline.Tensors.Tensor.Create((float[])q.Scale.Clone(), shape)),
            AddConstant($"{_names[tensor.Index]}/zero_point", zero), axis);
    }

    private TensorDeclaration DeclareInput(int t)
    {
        TfliteTensor tensor = Tensor(t);
        Current = new NodeIdentity($"input '{_names[t]}'", "INPUT", 0, File);
        if (Constants.HasData(tensor)) throw new InvalidModelException($"graph input {tensor} has constant data", File);
        DataType type = TfliteModelReader.ToDataType(tensor.Type)
            ?? throw new InvalidModelException($"graph input {tensor} has type {tensor.Type}, which is not supported", File);
        if (_values[t] is not null) throw new InvalidModelException($"graph input {tensor} is listed twice", File);

        string value = _names[t];
        if (type != DataType.Float32)
        {
            if (!tensor.IsQuantized || type is not (DataType.UInt8 or DataType.Int8))
                throw new InvalidModelException($"graph input {tensor} is {tensor.Type} without quantization parameters; only float32 and quantized uint8/int8 inputs are supported", File);
            // This runs before the transpose to NCHW, so a per-channel axis is still the file's.
            (string scale, string zero, long axis) = QuantizationConstants(tensor, nchw: false);
            string dequantized = Unique($"{_names[t]}/dequantized");
            Emit("DequantizeLinear", [value, scale, zero], [dequantized], ("axis", axis));
            value = dequantized;
        }
        if (tensor.Shape.Length == 4)
        {
            string nchw = Unique($"{_names[t]}/nchw");
            Emit("Transpose", [value], [nchw], ("perm", ToNchw));
            value = nchw;
        }
        _values[t] = value;
        int[] shape = tensor.ShapeSignature ?? tensor.Shape;
        return new TensorDeclaration(_names[t], type, (int[])shape.Clone(), null);
    }

    private TensorDeclaration DeclareOutput(int t)
    {
        TfliteTensor tensor = Tensor(t);
        Current = new NodeIdentity($"output '{_names[t]}'", "OUTPUT", 0, File);
        if (_values[t] is not { } value)
        {
            if (!IsConstant(t)) throw new InvalidModelException($"graph output {tensor} is not produced by any operator", File);
            // A constant output keeps the file's layout: it is the declared value itself.
            _constants[_names[t]] = ConstantFloat(t);
            return new TensorDeclaration(_names[t], DataType.Float32, (int[])tensor.Shape.Clone(), null);
        }
        bool isInput = Array.IndexOf(_graph.Inputs, t) >= 0;
        if (!isInput && tensor.Shape.Length == 4 && value != _names[t])
            Emit("Transpose", [value], [_names[t]], ("perm", ToNhwc));
        else if (!isInput && value != _names[t])
            Emit("Identity", [value], [_names[t]]);
        int[] shape = tensor.ShapeSignature ?? tensor.Shape;
        DataType type = isInput ? TfliteModelReader.ToDataType(tensor.Type)!.Value : DataType.Float32;
        return new TensorDeclaration(_names[t], type, (int[])shape.Clone(), null);
    }
}

/// <summary>One emitted node in ONNX terms: attribute values are long, float or long[].</summary>
internal sealed record OnnxNodeSpec(string Name, string OpType, string[] Inputs, string[] Outputs, (string Name, object Value)[] Attributes);
