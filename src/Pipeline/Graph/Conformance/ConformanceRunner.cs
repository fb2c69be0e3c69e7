using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Pipeline.Graph.Onnx;
using Pipeline.Graph.Onnx.Proto;
using Pipeline.Tensors;

namespace Pipeline.Graph.Conformance;

/// <summary>The outcome of one conformance case (a node-test folder or a whole model with its reference output).</summary>
internal sealed record CaseResult(string Name, bool Passed, double MaxAbsError, double MaxRelError, string Message, TimeSpan Elapsed)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{(Passed ? "pass" : "FAIL")} {Name}: max abs {Format(MaxAbsError)}, max rel {Format(MaxRelError)}{(Passed ? "" : " — " + Message)}");

    private static string Format(double error) => double.IsNaN(error) ? "n/a" : error.ToString("g3", CultureInfo.InvariantCulture);
}

/// <summary>
/// Runs ONNX backend-test cases on the engine: a folder with <c>model.onnx</c> and <c>test_data_set_*/input_N.pb</c> /
/// <c>output_N.pb</c> (serialized TensorProtos), or a whole model with one reference output for the suite's fixed
/// input (element i of the declared input shape is i/n). Shared by the conformance tests and the CLI's check-onnx.
/// </summary>
internal static class ConformanceRunner
{
    /// <summary>Runs every data set of the case folder <paramref name="directory"/>.</summary>
    public static CaseResult RunCase(string directory, Tolerance tolerance, NetworkOptions? options = null)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
        var clock = Stopwatch.StartNew();
        double maxAbs = double.NaN, maxRel = double.NaN;
        try
        {
            string modelPath = Path.Combine(directory, "model.onnx");
            if (!File.Exists(modelPath)) return new CaseResult(name, false, double.NaN, double.NaN, $"no model.onnx in {directory}", clock.Elapsed);
            string[] sets = Directory.GetDirectories(directory, "test_data_set_*").Order(StringComparer.Ordinal).ToArray();
            if (sets.Length == 0) return new CaseResult(name, false, double.NaN, double.NaN, "no test_data_set_* folder", clock.Elapsed);

            using Network network = Network.Load(modelPath, options);
            foreach (string set in sets)
            {
                object?[] inputs = ReadNumbered(set, "input", network.Inputs, out string?[] inputNames);
                object?[] expected = ReadNumbered(set, "output", network.Outputs, out string?[] outputNames);
                if (inputs.Length != network.Inputs.Count)
                    return Fail($"{Path.GetFileName(set)} has {inputs.Length} inputs but the model declares {network.Inputs.Count}");
                if (expected.Length == 0)
                    return Fail($"not compared: {Path.GetFileName(set)} has no output_*.pb reference outputs");
                if (expected.Length > network.Outputs.Count)
                    return Fail($"{Path.GetFileName(set)} has {expected.Length} outputs but the model declares {network.Outputs.Count}");

                var feeds = new Dictionary<string, object?>(StringComparer.Ordinal);
                for (int i = 0; i < inputs.Length; i++) feeds[inputNames[i] ?? network.Inputs[i].Name] = inputs[i];
                string[] wanted = outputNames.Select((n, i) => n ?? network.Outputs[i].Name).ToArray();
                IReadOnlyDictionary<string, object?> actual = network.RunValues(feeds, wanted);

                for (int o = 0; o < wanted.Length; o++)
                {
                    Comparison c = CompareValues(expected[o], actual[wanted[o]], tolerance);
                    maxAbs = Max(maxAbs, c.MaxAbsError);
                    maxRel = Max(maxRel, c.MaxRelError);
                    if (!c.Passed) return Fail($"{Path.GetFileName(set)} output '{wanted[o]}': {c.Mismatch} ({tolerance})");
                }
            }
            return new CaseResult(name, true, maxAbs, maxRel, "pass", clock.Elapsed);
        }
        catch (InvalidModelException e)
        {
            return Fail(e.Message);
        }
        catch (ArgumentException e)
        {
            return Fail(e.Message);
        }

        CaseResult Fail(string message) => new(name, false, maxAbs, maxRel, message, clock.Elapsed);
    }

    /// <summary>
    /// Runs a whole model on the suite's fixed input (element i of the declared shape, open dimensions 1, is i/n) and
    /// compares output 0 with <paramref name="referencePath"/>.
    /// </summary>
    public static CaseResult RunModel(string modelPath, string referencePath, Tolerance tolerance, NetworkOptions? options = null)
    {
        string name = Path.GetFileNameWithoutExtension(modelPath);
        var clock = Stopwatch.StartNew();
        try
        {
            using Network network = Network.Load(modelPath, options);
            Tensor input = RampInput(network);
            Tensor expected = ReadTensorFile(referencePath);
            Tensor actual = network.Run(input)[0];
            Comparison c = TensorComparison.Compare(expected, actual, tolerance);
            return new CaseResult(name, c.Passed, c.MaxAbsError, c.MaxRelError, c.Passed ? "pass" : $"output 0: {c.Mismatch} ({tolerance})", clock.Elapsed);
        }
        catch (Exception e) when (e is InvalidModelException or ArgumentException)
        {
            return new CaseResult(name, false, double.NaN, double.NaN, e.Message, clock.Elapsed);
        }
    }

    /// <summary>The suite's fixed input for a single-input float model: element i of n is i/n.</summary>
    public static Tensor RampInput(Network network)
    {
        if (network.Inputs.Count != 1 || network.Inputs[0].Type != DataType.Float32)
            throw new ArgumentException("The fixed-input rule needs exactly one float input.");
        int[] shape = network.DeclaredInputs(1)[0].Shape;
        var data = new float[MemoryBudgetElementCount(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)((double)i / data.Length);
        return Tensor.Create(data, shape);
    }

    private static long MemoryBudgetElementCount(int[] shape) => Compilation.MemoryBudget.ElementCount(shape);

    /// <summary>Reads a serialized TensorProto file (a test input or reference output).</summary>
    /// <exception cref="InvalidModelException">The file is not a valid TensorProto.</exception>
    public static Tensor ReadTensorFile(string path)
    {
        TensorProto proto = ParseTensorFile(path);
        return OnnxTensorReader.Read(proto, $"tensor file '{Path.GetFileName(path)}'", Path.GetFileName(path));
    }

    private static TensorProto ParseTensorFile(string path)
    {
        try
        {
            return TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidModelException($"not a serialized TensorProto ({e.Message})", Path.GetFileName(path), inner: e);
        }
    }

    /// <summary>
    /// Reads <c>{prefix}_0.pb</c>, <c>{prefix}_1.pb</c>, … in numeric order: a TensorProto, or for a sequence or optional
    /// declaration a SequenceProto (→ a list of tensors) or OptionalProto (→ its value, or null when empty). Each value's
    /// name, when it is one of <paramref name="declared"/>, says which value it is; otherwise its position does.
    /// </summary>
    private static object?[] ReadNumbered(string set, string prefix, IReadOnlyList<TensorDeclaration> declared, out string?[] names)
    {
        string[] files = Directory.GetFiles(set, prefix + "_*.pb")
            .OrderBy(f => int.TryParse(Path.GetFileNameWithoutExtension(f)[(prefix.Length + 1)..], out int n) ? n : int.MaxValue)
            .ToArray();
        var values = new object?[files.Length];
        names = new string?[files.Length];
        for (int i = 0; i < files.Length; i++)
        {
            string file = Path.GetFileName(files[i]);
            string? kind = i < declared.Count ? declared[i].NonTensorType : null;
            byte[] bytes = File.ReadAllBytes(files[i]);
            string valueName;
            try
            {
                if (kind is null)
                {
                    TensorProto proto = TensorProto.Parser.ParseFrom(bytes);
                    values[i] = OnnxTensorReader.Read(proto, $"'{file}'", file);
                    valueName = proto.Name;
                }
                else if (kind.StartsWith("sequence", StringComparison.Ordinal))
                {
                    SequenceProto proto = SequenceProto.Parser.ParseFrom(bytes);
                    values[i] = FromSequence(proto, file);
                    valueName = proto.Name;
                }
                else
                {
                    OptionalProto proto = OptionalProto.Parser.ParseFrom(bytes);
                    values[i] = FromOptional(proto, file);
                    valueName = proto.Name;
                }
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new InvalidModelException($"not a serialized {(kind is null ? "TensorProto" : kind)} ({e.Message})", file, inner: e);
            }
            names[i] = declared.Any(d => d.Name == valueName) ? valueName : null;
        }
        return values;
    }

    private static Tensor[] FromSequence(SequenceProto proto, string file)
    {
        if (proto.SequenceValues.Count > 0 || proto.OptionalValues.Count > 0 || proto.SparseTensorValues.Count > 0)
            throw new InvalidModelException("only sequences of tensors are supported", file);
        return proto.TensorValues.Select((t, k) => OnnxTensorReader.Read(t, $"sequence element {k}", file)).ToArray();
    }

    private static object? FromOptional(OptionalProto proto, string file)
        => proto.TensorValue is { } t ? OnnxTensorReader.Read(t, "optional value", file)
            : proto.SequenceValue is { } s ? FromSequence(s, file)
            : proto.OptionalValue is not null || proto.SparseTensorValue is not null
                ? throw new InvalidModelException("only optional tensors and sequences are supported", file)
                : null;

    /// <summary>Compares a tensor, a sequence of tensors (element by element) or an empty optional (null).</summary>
    private static Comparison CompareValues(object? expected, object? actual, Tolerance tolerance)
    {
        switch (expected, actual)
        {
            case (null, null):
                return new Comparison(true, 0, 0, null);
            case (Tensor e, Tensor a):
                return TensorComparison.Compare(e, a, tolerance);
            case (IReadOnlyList<Tensor> e, IReadOnlyList<Tensor> a):
                if (e.Count != a.Count) return new Comparison(false, double.NaN, double.NaN, $"sequence has {a.Count} elements, expected {e.Count}");
                double maxAbs = 0, maxRel = 0;
                for (int k = 0; k < e.Count; k++)
                {
                    Comparison c = TensorComparison.Compare(e[k], a[k], tolerance);
                    if (!c.Passed) return c with { Mismatch = $"sequence element {k}: {c.Mismatch}" };
                    maxAbs = Math.Max(maxAbs, c.MaxAbsError);
                    maxRel = Math.Max(maxRel, c.MaxRelError);
                }
                return new Comparison(true, maxAbs, maxRel, null);
            default:
                return new Comparison(false, double.NaN, double.NaN, $"got {Describe(actual)}, expected {Describe(expected)}");
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "an empty optional",
        Tensor t => $"a tensor {t}",
        IReadOnlyList<Tensor> l => $"a sequence of {l.Count} tensors",
        _ => value.GetType().Name,
    };

    private static double Max(double a, double b) => double.IsNaN(b) ? a : double.IsNaN(a) ? b : Math.Max(a, b);
}
