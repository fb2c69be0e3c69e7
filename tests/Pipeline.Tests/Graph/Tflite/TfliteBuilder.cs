using System.Buffers.Binary;
using Pipeline.Graph.Tflite;

namespace Pipeline.Tests.Graph.Tflite;

/// <summary>
/// Builds small TFLite models for tests through <see cref="Fb"/>, with the schema's field ids written out here
/// independently of the reader's constants (so a wrong id in either shows up as a failing test).
/// </summary>
internal sealed class TfliteBuilder
{
    private readonly List<Fb.Table> _tensors = [];
    private readonly List<Fb.Node> _buffers = [Fb.T()];
    private readonly List<Fb.Table> _operators = [];
    private readonly List<(int Code, string? Custom, int Version)> _codes = [];
    private readonly List<(int Buffer, byte[] Data, long Shift)> _external = [];
    private int[] _inputs = [];
    private int[] _outputs = [];

    public uint Version { get; set; } = 3;

    /// <summary>An activation tensor (no data).</summary>
    public int Tensor(string name, int[] shape, TfliteTensorType type = TfliteTensorType.FLOAT32, Fb.Table? quantization = null)
    {
        _tensors.Add(Fb.T((0, Fb.Ints(shape)), (1, (byte)type), (2, 0u), (3, Fb.S(name)), (4, quantization)));
        return _tensors.Count - 1;
    }

    /// <summary>A float32 constant.</summary>
    public int Constant(string name, int[] shape, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return RawConstant(name, shape, TfliteTensorType.FLOAT32, bytes);
    }

    /// <summary>An int32 constant (shapes, axes, paddings).</summary>
    public int IntConstant(string name, int[] shape, int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), values[i]);
        return RawConstant(name, shape, TfliteTensorType.INT32, bytes);
    }

    /// <summary>A constant with raw data bytes.</summary>
    public int RawConstant(string name, int[] shape, TfliteTensorType type, byte[] data, Fb.Table? quantization = null)
    {
        _buffers.Add(Fb.T((0, Fb.Bytes(data))));
        _tensors.Add(Fb.T((0, Fb.Ints(shape)), (1, (byte)type), (2, (uint)(_buffers.Count - 1)), (3, Fb.S(name)), (4, quantization)));
        return _tensors.Count - 1;
    }

    /// <summary>
    /// A float32 constant stored after the flatbuffer, found through Buffer.offset/size (the schema's layout for models
    /// over 2 GB). <paramref name="offsetShift"/> moves the recorded offset, to make it lie.
    /// </summary>
    public int ExternalConstant(string name, int[] shape, float[] values, long offsetShift = 0)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        _buffers.Add(Fb.T((1, 2UL), (2, (ulong)bytes.Length)));
        _external.Add((_buffers.Count - 1, bytes, offsetShift));
        _tensors.Add(Fb.T((0, Fb.Ints(shape)), (1, (byte)TfliteTensorType.FLOAT32), (2, (uint)(_buffers.Count - 1)), (3, Fb.S(name))));
        return _tensors.Count - 1;
    }

    /// <summary>QuantizationParameters: scale (field 2), zero_point (3), quantized_dimension (6).</summary>
    public static Fb.Table Quantization(float[] scale, long[] zeroPoint, int dimension = 0)
        => Fb.T((2, Fb.Floats(scale)), (3, Fb.Longs(zeroPoint)), (6, dimension));

    /// <summary>An operator; <paramref name="optionsType"/> is the BuiltinOptions union type id.</summary>
    public void Operator(BuiltinOperator op, int[] inputs, int[] outputs, byte optionsType = 0, Fb.Table? options = null, int version = 1)
        => AddOperator((int)op, null, version, inputs, outputs, optionsType, options);

    /// <summary>A custom operator.</summary>
    public void Custom(string code, int[] inputs, int[] outputs)
        => AddOperator((int)BuiltinOperator.CUSTOM, code, 1, inputs, outputs, 0, null);

    public TfliteBuilder Inputs(params int[] tensors)
    {
        _inputs = tensors;
        return this;
    }

    public TfliteBuilder Outputs(params int[] tensors)
    {
        _outputs = tensors;
        return this;
    }

    public byte[] Build()
    {
        if (_external.Count == 0) return BuildFlatbuffer();
        // Offsets are fixed-size fields, so a first pass gives the flatbuffer's length; the data follows it, 16-aligned.
        int length = BuildFlatbuffer().Length;
        var data = new List<byte>();
        foreach ((int buffer, byte[] bytes, long shift) in _external)
        {
            while ((length + data.Count) % 16 != 0) data.Add(0);
            ((Fb.Table)_buffers[buffer]).Set(1, (ulong)(length + data.Count + shift));
            data.AddRange(bytes);
        }
        byte[] flatbuffer = BuildFlatbuffer();
        return [.. flatbuffer, .. data];
    }

    private byte[] BuildFlatbuffer()
    {
        // OperatorCode: deprecated_builtin_code (0, byte, clamped to 127 as newer writers do), custom_code (1),
        // version (2), builtin_code (3).
        var codes = _codes.Select(c => (Fb.Node)Fb.T((0, (sbyte)Math.Min(c.Code, 127)), (1, c.Custom is null ? null : Fb.S(c.Custom)), (2, c.Version), (3, c.Code))).ToArray();
        // SubGraph: tensors (0), inputs (1), outputs (2), operators (3), name (4).
        var subgraph = Fb.T((0, Fb.Vec([.. _tensors])), (1, Fb.Ints(_inputs)), (2, Fb.Ints(_outputs)), (3, Fb.Vec([.. _operators])), (4, Fb.S("main")));
        // Model: version (0), operator_codes (1), subgraphs (2), description (3), buffers (4).
        var model = Fb.T((0, Version), (1, Fb.Vec(codes)), (2, Fb.Vec(subgraph)), (3, Fb.S("test model")), (4, Fb.Vec([.. _buffers])));
        return Fb.Finish(model, "TFL3");
    }

    private void AddOperator(int code, string? custom, int version, int[] inputs, int[] outputs, byte optionsType, Fb.Table? options)
    {
        int index = _codes.IndexOf((code, custom, version));
        if (index < 0)
        {
            _codes.Add((code, custom, version));
            index = _codes.Count - 1;
        }
        // Operator: opcode_index (0), inputs (1), outputs (2), builtin_options_type (3), builtin_options (4).
        _operators.Add(Fb.T((0, (uint)index), (1, Fb.Ints(inputs)), (2, Fb.Ints(outputs)), (3, optionsType == 0 ? null : optionsType), (4, options)));
    }

    // Builtin option tables, field ids from schema.fbs.
    public static Fb.Table Conv2D(TflitePadding padding, int strideW, int strideH, TfliteActivation activation = TfliteActivation.NONE, int dilationW = 1, int dilationH = 1)
        => Fb.T((0, (byte)padding), (1, strideW), (2, strideH), (3, (byte)activation), (4, dilationW), (5, dilationH));

    public static Fb.Table DepthwiseConv2D(TflitePadding padding, int strideW, int strideH, int multiplier, TfliteActivation activation = TfliteActivation.NONE, int dilationW = 1, int dilationH = 1)
        => Fb.T((0, (byte)padding), (1, strideW), (2, strideH), (3, multiplier), (4, (byte)activation), (5, dilationW), (6, dilationH));

    public static Fb.Table Pool2D(TflitePadding padding, int strideW, int strideH, int filterW, int filterH, TfliteActivation activation = TfliteActivation.NONE)
        => Fb.T((0, (byte)padding), (1, strideW), (2, strideH), (3, filterW), (4, filterH), (5, (byte)activation));

    public static Fb.Table FullyConnected(TfliteActivation activation = TfliteActivation.NONE, bool keepNumDims = false)
        => Fb.T((0, (byte)activation), (2, keepNumDims));

    public static Fb.Table Activation(TfliteActivation activation) => Fb.T((0, (byte)activation));

    public static Fb.Table Softmax(float beta) => Fb.T((0, beta));

    public static Fb.Table Concatenation(int axis, TfliteActivation activation = TfliteActivation.NONE) => Fb.T((0, axis), (1, (byte)activation));

    public static Fb.Table Reducer(bool keepDims) => Fb.T((0, keepDims));

    public static Fb.Table Squeeze(params int[] dims) => Fb.T((0, Fb.Ints(dims)));

    public static Fb.Table Reshape(params int[] shape) => Fb.T((0, Fb.Ints(shape)));
}
