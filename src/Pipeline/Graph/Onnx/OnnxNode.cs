using Pipeline.Tensors;

namespace Pipeline.Graph.Onnx;

/// <summary>
/// A NodeProto as the per-operator import functions see it: its identity, how many inputs and outputs it has, which
/// optional inputs are present, and its attributes with typed accessors that apply the spec's defaults.
/// The protobuf reader builds it; the import functions in <see cref="OnnxOperatorTable"/> turn it into an <see cref="Operator"/>.
/// </summary>
internal sealed class OnnxNode
{
    private readonly Dictionary<string, object> _attributes;

    /// <summary>
    /// Creates the view. Attribute values are long, float, string, Tensor, long[], float[] or string[]
    /// (ONNX INT, FLOAT, STRING, TENSOR, INTS, FLOATS, STRINGS).
    /// </summary>
    public OnnxNode(NodeIdentity identity, string domain, string[] inputs, string[] outputs, Dictionary<string, object> attributes)
    {
        Identity = identity;
        Domain = domain;
        Inputs = inputs;
        Outputs = outputs;
        _attributes = attributes;
    }

    /// <summary>Name, op type and opset, for errors.</summary>
    public NodeIdentity Identity { get; }

    /// <summary>The opset version of the node's domain that the model imports.</summary>
    public long Opset => Identity.Opset;

    /// <summary>The operator domain: empty (or "ai.onnx") for the default domain.</summary>
    public string Domain { get; }

    /// <summary>Input value names; an empty string is an omitted optional input.</summary>
    public string[] Inputs { get; }

    /// <summary>Output value names; an empty string is an unused optional output.</summary>
    public string[] Outputs { get; }

    /// <summary>True when input <paramref name="i"/> exists and is not omitted.</summary>
    public bool HasInput(int i) => i < Inputs.Length && Inputs[i].Length > 0;

    /// <summary>True when the attribute is present.</summary>
    public bool Has(string name) => _attributes.ContainsKey(name);

    /// <summary>The names of all attributes present, for rejecting unknown ones where that matters.</summary>
    public IEnumerable<string> AttributeNames => _attributes.Keys;

    /// <summary>An INT attribute, or <paramref name="fallback"/> when absent.</summary>
    public long GetInt(string name, long fallback) => _attributes.TryGetValue(name, out object? v) ? As<long>(name, v) : fallback;

    /// <summary>A required INT attribute.</summary>
    public long GetInt(string name) => As<long>(name, Required(name));

    /// <summary>A FLOAT attribute, or <paramref name="fallback"/> when absent.</summary>
    public float GetFloat(string name, float fallback) => _attributes.TryGetValue(name, out object? v) ? As<float>(name, v) : fallback;

    /// <summary>A STRING attribute, or <paramref name="fallback"/> when absent.</summary>
    public string GetString(string name, string fallback) => _attributes.TryGetValue(name, out object? v) ? As<string>(name, v) : fallback;

    /// <summary>An INTS attribute, or null when absent.</summary>
    public long[]? GetInts(string name) => _attributes.TryGetValue(name, out object? v) ? As<long[]>(name, v) : null;

    /// <summary>A FLOATS attribute, or null when absent.</summary>
    public float[]? GetFloats(string name) => _attributes.TryGetValue(name, out object? v) ? As<float[]>(name, v) : null;

    /// <summary>A STRINGS attribute, or null when absent.</summary>
    public string[]? GetStrings(string name) => _attributes.TryGetValue(name, out object? v) ? As<string[]>(name, v) : null;

    /// <summary>A TENSOR attribute, or null when absent.</summary>
    public Tensor? GetTensor(string name) => _attributes.TryGetValue(name, out object? v) ? As<Tensor>(name, v) : null;

    /// <summary>An exception naming this node.</summary>
    public InvalidModelException Fail(string reason) => Identity.Fail(reason);

    private object Required(string name)
        => _attributes.TryGetValue(name, out object? v) ? v : throw Fail($"required attribute '{name}' is missing");

    private T As<T>(string name, object value)
        => value is T typed ? typed : throw Fail($"attribute '{name}' is a {Describe(value)}, expected {Describe(typeof(T))}");

    private static string Describe(object value) => Describe(value.GetType());

    private static string Describe(Type type) => type == typeof(long) ? "INT" : type == typeof(float) ? "FLOAT"
        : type == typeof(string) ? "STRING" : type == typeof(Tensor) ? "TENSOR" : type == typeof(long[]) ? "INTS"
        : type == typeof(float[]) ? "FLOATS" : type == typeof(string[]) ? "STRINGS" : type.Name;
}
