namespace Pipeline.Graph.Tflite;

/// <summary>
/// A TFLite file's Model table as typed records, read through <see cref="FlatBuffer"/>. Parsing checks structure
/// (offsets, vector extents, index ranges) but not meaning (shapes, operator semantics): the importer does that.
/// Counts are capped so a file cannot make the reader do more work than its size justifies several times over.
/// </summary>
internal sealed record TfliteModel(uint Version, string? Description, TfliteOperatorCode[] OperatorCodes, TfliteSubgraph[] Subgraphs,
    TfliteBuffer[] Buffers, FlatBuffer File)
{
    /// <summary>The schema version this reader understands.</summary>
    public const uint SchemaVersion = 3;

    /// <summary>The largest tensor rank accepted.</summary>
    public const int MaxRank = 8;

    /// <summary>Parses <paramref name="file"/>'s root Model table.</summary>
    public static TfliteModel Parse(FlatBuffer file)
    {
        if (file.Identifier != TfliteSchema.Identifier)
            throw new InvalidModelException($"not a TFLite file: the flatbuffer identifier is '{file.Identifier}', expected '{TfliteSchema.Identifier}'", file.File);
        FlatTable model = file.Root("model");
        uint version = model.UInt32(TfliteSchema.Model.Version);
        if (version != SchemaVersion)
            throw new InvalidModelException($"TFLite schema version {version} is not supported (this reader reads version {SchemaVersion})", file.File);

        FlatVector codes = model.Vector(TfliteSchema.Model.OperatorCodes, 4, "model.operator_codes") ?? Empty(file);
        var operatorCodes = new TfliteOperatorCode[codes.Count];
        for (int i = 0; i < operatorCodes.Length; i++) operatorCodes[i] = TfliteOperatorCode.Read(codes.Table(i, $"operator code {i}"));

        FlatVector buffers = model.Vector(TfliteSchema.Model.Buffers, 4, "model.buffers") ?? Empty(file);
        var bufferList = new TfliteBuffer[buffers.Count];
        for (int i = 0; i < bufferList.Length; i++) bufferList[i] = TfliteBuffer.Read(buffers.Table(i, $"buffer {i}"), i);

        FlatVector graphs = model.Vector(TfliteSchema.Model.Subgraphs, 4, "model.subgraphs")
            ?? throw new InvalidModelException("the TFLite model has no subgraphs", file.File);
        if (graphs.Count == 0) throw new InvalidModelException("the TFLite model has no subgraphs", file.File);
        var subgraphs = new TfliteSubgraph[graphs.Count];
        for (int i = 0; i < subgraphs.Length; i++)
            subgraphs[i] = TfliteSubgraph.Read(graphs.Table(i, $"subgraph {i}"), operatorCodes.Length, bufferList.Length);

        return new TfliteModel(version, model.String(TfliteSchema.Model.Description, "model.description"), operatorCodes, subgraphs, bufferList, file);
    }

    private static FlatVector Empty(FlatBuffer file) => new(file, 0, 0, 4, "empty");
}

/// <summary>One OperatorCode: a builtin operator (the larger of deprecated_builtin_code and builtin_code, per the schema's rule) or a custom code.</summary>
internal sealed record TfliteOperatorCode(int BuiltinCode, string? CustomCode, int Version)
{
    /// <summary>The operator's name for messages: the builtin enum name, or the custom code.</summary>
    public string Name => BuiltinCode == (int)BuiltinOperator.CUSTOM
        ? $"CUSTOM '{CustomCode}'"
        : Enum.IsDefined((BuiltinOperator)BuiltinCode) ? ((BuiltinOperator)BuiltinCode).ToString() : $"BUILTIN_{BuiltinCode}";

    /// <summary>Reads one OperatorCode table.</summary>
    public static TfliteOperatorCode Read(FlatTable table)
    {
        // Writers before schema 3a set only the byte field; newer ones set builtin_code and clamp the byte field to 127
        // (PLACEHOLDER_FOR_GREATER_OP_CODES). The larger of the two is the operator either way.
        int deprecated = table.Int8(TfliteSchema.OperatorCode.DeprecatedBuiltinCode);
        int builtin = table.Int32(TfliteSchema.OperatorCode.BuiltinCode);
        int code = Math.Max(deprecated, builtin);
        if (code < 0) throw table.Buffer.Corrupt(table.What, table.Position, $"builtin code {code} is negative");
        return new TfliteOperatorCode(code, table.String(TfliteSchema.OperatorCode.CustomCode, $"{table.What}.custom_code"),
            table.Int32(TfliteSchema.OperatorCode.Version, 1));
    }
}

/// <summary>
/// A Buffer's bytes: either its data vector, or (files over 2 GB) a range at <c>offset</c>/<c>size</c> from the start
/// of the file, which is supported as long as the range lies inside the bytes that were read.
/// </summary>
internal readonly record struct TfliteBuffer(int Start, int Length)
{
    /// <summary>Reads one Buffer table, resolving an external range against the file.</summary>
    public static TfliteBuffer Read(FlatTable table, int index)
    {
        FlatVector? data = table.Vector(TfliteSchema.Buffer.Data, 1, $"buffer {index}.data");
        ulong offset = table.UInt64(TfliteSchema.Buffer.Offset);
        ulong size = table.UInt64(TfliteSchema.Buffer.Size);
        // The schema: offset is "only valid if > 1" (0 and 1 are writers' placeholders).
        if (offset > 1)
        {
            if (data is { Count: > 0 })
                throw table.Buffer.Corrupt(table.What, table.Position, "the buffer has both inline data and an external offset");
            if (offset > (ulong)table.Buffer.Length || size > (ulong)table.Buffer.Length - offset)
                throw new InvalidModelException(
                    $"buffer {index} lies at bytes {offset}..{offset + size} of the file, beyond its {table.Buffer.Length} bytes (models over 2 GB cannot be loaded)",
                    table.Buffer.File);
            return new TfliteBuffer((int)offset, (int)size);
        }
        return data is { } d ? new TfliteBuffer(d.Start, d.Count) : default;
    }
}

/// <summary>One SubGraph: its tensors, inputs, outputs and operators in execution order.</summary>
internal sealed record TfliteSubgraph(string? Name, TfliteTensor[] Tensors, int[] Inputs, int[] Outputs, TfliteOperator[] Operators)
{
    /// <summary>Reads one SubGraph table; tensor, buffer and operator-code indices are range-checked.</summary>
    public static TfliteSubgraph Read(FlatTable table, int operatorCodeCount, int bufferCount)
    {
        string what = table.What;
        FlatVector? tensorVector = table.Vector(TfliteSchema.SubGraph.Tensors, 4, $"{what}.tensors");
        var tensors = new TfliteTensor[tensorVector?.Count ?? 0];
        for (int i = 0; i < tensors.Length; i++)
            tensors[i] = TfliteTensor.Read(tensorVector!.Value.Table(i, $"tensor {i}"), i, bufferCount);

        int[] inputs = Indices(table, TfliteSchema.SubGraph.Inputs, $"{what}.inputs", tensors.Length, allowOmitted: false);
        int[] outputs = Indices(table, TfliteSchema.SubGraph.Outputs, $"{what}.outputs", tensors.Length, allowOmitted: false);

        FlatVector? operatorVector = table.Vector(TfliteSchema.SubGraph.Operators, 4, $"{what}.operators");
        var operators = new TfliteOperator[operatorVector?.Count ?? 0];
        for (int i = 0; i < operators.Length; i++)
        {
            FlatTable op = operatorVector!.Value.Table(i, $"operator {i}");
            uint opcode = op.UInt32(TfliteSchema.Operator.OpcodeIndex);
            if (opcode >= operatorCodeCount)
                throw table.Buffer.Corrupt(op.What, op.Position, $"opcode_index {opcode} is out of range ({operatorCodeCount} operator codes)");
            operators[i] = new TfliteOperator(
                i,
                (int)opcode,
                Indices(op, TfliteSchema.Operator.Inputs, $"operator {i}.inputs", tensors.Length, allowOmitted: true),
                Indices(op, TfliteSchema.Operator.Outputs, $"operator {i}.outputs", tensors.Length, allowOmitted: false),
                op.UInt8(TfliteSchema.Operator.BuiltinOptionsType),
                op.UInt8(TfliteSchema.Operator.BuiltinOptionsType) == 0 ? null : op.Table(TfliteSchema.Operator.BuiltinOptions, $"operator {i}.builtin_options"),
                op.Has(TfliteSchema.Operator.CustomOptions) || op.UInt64(TfliteSchema.Operator.LargeCustomOptionsSize) > 0);
        }
        return new TfliteSubgraph(table.String(TfliteSchema.SubGraph.Name, $"{what}.name"), tensors, inputs, outputs, operators);
    }

    /// <summary>A vector of tensor indices, each in range (or -1, an omitted optional input, where allowed).</summary>
    private static int[] Indices(FlatTable table, int field, string what, int tensorCount, bool allowOmitted)
    {
        if (table.Vector(field, 4, what) is not { } vector) return [];
        int[] indices = vector.ToInt32Array();
        foreach (int index in indices)
            if (index >= tensorCount || index < (allowOmitted ? -1 : 0))
                throw table.Buffer.Corrupt(what, vector.Start, $"tensor index {index} is out of range ({tensorCount} tensors)");
        return indices;
    }
}

/// <summary>One Tensor: name, shape (NHWC for images), element type, buffer index and quantization.</summary>
internal sealed record TfliteTensor(int Index, string Name, int[] Shape, int[]? ShapeSignature, TfliteTensorType Type, int Buffer,
    TfliteQuantization? Quantization, bool IsVariable, bool IsSparse)
{
    /// <summary>Reads one Tensor table.</summary>
    public static TfliteTensor Read(FlatTable table, int index, int bufferCount)
    {
        string what = table.What;
        int[] shape = Dims(table, TfliteSchema.Tensor.Shape, $"{what}.shape") ?? [];
        int[]? signature = Dims(table, TfliteSchema.Tensor.ShapeSignature, $"{what}.shape_signature");
        foreach (int d in shape)
            if (d < 0) throw new InvalidModelException($"tensor {index}: shape has negative dimension {d}", table.Buffer.File);
        if (signature is not null && signature.Length != shape.Length)
            throw new InvalidModelException($"tensor {index}: shape_signature has rank {signature.Length} but shape has rank {shape.Length}", table.Buffer.File);

        uint buffer = table.UInt32(TfliteSchema.Tensor.Buffer);
        if (buffer >= bufferCount && !(buffer == 0 && bufferCount == 0))
            throw table.Buffer.Corrupt(what, table.Position, $"buffer index {buffer} is out of range ({bufferCount} buffers)");
        FlatTable? quantization = table.Table(TfliteSchema.Tensor.Quantization, $"{what}.quantization");
        return new TfliteTensor(
            index,
            table.String(TfliteSchema.Tensor.Name, $"{what}.name") ?? string.Empty,
            shape,
            signature,
            (TfliteTensorType)table.UInt8(TfliteSchema.Tensor.Type),
            (int)buffer,
            quantization is { } q ? TfliteQuantization.Read(q) : null,
            table.Bool(TfliteSchema.Tensor.IsVariable),
            table.Has(TfliteSchema.Tensor.Sparsity));
    }

    /// <summary>True when the tensor is quantized (a scale is given).</summary>
    public bool IsQuantized => Quantization is { Scale.Length: > 0 };

    /// <summary>The tensor for messages: <c>tensor 12 'name'</c>.</summary>
    public override string ToString() => $"tensor {Index} '{Name}'";

    private static int[]? Dims(FlatTable table, int field, string what)
    {
        if (table.Vector(field, 4, what) is not { } vector) return null;
        if (vector.Count > TfliteModel.MaxRank)
            throw new InvalidModelException($"{table.What}: rank {vector.Count} is above the supported maximum of {TfliteModel.MaxRank}", table.Buffer.File);
        return vector.ToInt32Array();
    }
}

/// <summary>
/// QuantizationParameters: real = scale · (q − zero_point), per tensor (one scale) or per axis
/// (<see cref="QuantizedDimension"/>, one scale and zero point per index along it).
/// </summary>
internal sealed record TfliteQuantization(float[] Scale, long[] ZeroPoint, int QuantizedDimension, bool HasCustomDetails)
{
    /// <summary>The most scales accepted (one per channel: bounded by the largest dimension a tensor can have).</summary>
    private const int MaxScales = 1 << 24;

    /// <summary>Reads one QuantizationParameters table.</summary>
    public static TfliteQuantization Read(FlatTable table)
    {
        float[] scale = Vector(table, TfliteSchema.Quantization.Scale, 4)?.ToFloat32Array() ?? [];
        long[] zero = Vector(table, TfliteSchema.Quantization.ZeroPoint, 8)?.ToInt64Array() ?? [];
        return new TfliteQuantization(scale, zero, table.Int32(TfliteSchema.Quantization.QuantizedDimension),
            table.UInt8(TfliteSchema.Quantization.DetailsType) != 0);
    }

    private static FlatVector? Vector(FlatTable table, int field, int size)
    {
        FlatVector? vector = table.Vector(field, size, $"{table.What}.{(field == TfliteSchema.Quantization.Scale ? "scale" : "zero_point")}");
        if (vector is { Count: > MaxScales } v)
            throw table.Buffer.Corrupt(table.What, v.Start, $"{v.Count} quantization parameters is more than any tensor dimension");
        return vector;
    }
}

/// <summary>One Operator: its code, tensor indices (-1 for an omitted optional input) and builtin options table.</summary>
internal sealed record TfliteOperator(int Index, int OpcodeIndex, int[] Inputs, int[] Outputs, byte OptionsType, FlatTable? Options, bool HasCustomOptions);
