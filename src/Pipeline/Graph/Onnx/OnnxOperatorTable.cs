namespace Pipeline.Graph.Onnx;

/// <summary>Turns one ONNX node into an <see cref="Operator"/>, reading its attributes with the spec's defaults for its opset.</summary>
internal delegate Operator OnnxOperatorFactory(OnnxNode node);

/// <summary>
/// The ONNX operators the engine runs: op type → import function. Each function is named like the ONNX op and picks
/// the semantics of the node's opset (e.g. Softmax before and after 13). The table is assembled from one partial file
/// per operator family, so each family registers its own ops next to their implementation.
/// </summary>
internal static partial class OnnxOperatorTable
{
    private static readonly Dictionary<string, OnnxOperatorFactory> Table = Build();

    /// <summary>The import function for <paramref name="opType"/> in the default domain, or null when unsupported.</summary>
    public static OnnxOperatorFactory? Find(string opType) => Table.GetValueOrDefault(opType);

    /// <summary>Every supported op type, for inspect and error hints.</summary>
    public static IEnumerable<string> SupportedOps => Table.Keys;

    private static Dictionary<string, OnnxOperatorFactory> Build()
    {
        var table = new Dictionary<string, OnnxOperatorFactory>(StringComparer.Ordinal);
        RegisterElementwise(table);
        RegisterShape(table);
        RegisterReduction(table);
        RegisterActivation(table);
        RegisterNormalization(table);
        RegisterQuantization(table);
        RegisterResize(table);
        RegisterConvolution(table);
        RegisterPooling(table);
        RegisterMatrix(table);
        return table;
    }

    // One partial implementation per family, in Graph/Ops/<Family>/...; an unimplemented one is simply absent.
    static partial void RegisterElementwise(Dictionary<string, OnnxOperatorFactory> table);
    static partial void RegisterShape(Dictionary<string, OnnxOperatorFactory> table);
    static partial void RegisterReduction(Dictionary<string, OnnxOperatorFactory> table);
    static partial void RegisterActivation(Dictionary<string, OnnxOperatorFactory> table);
    static partial void RegisterNormalization(Dictionary<string, OnnxOperatorFactory> table);
    static partial void RegisterQuantization(Dictionary<string, OnnxOperatorFactory> table);
    static partial void RegisterResize(Dictionary<string, OnnxOperatorFactory> table);
    static partial void RegisterConvolution(Dictionary<string, OnnxOperatorFactory> table);
    static partial void RegisterPooling(Dictionary<string, OnnxOperatorFactory> table);
    static partial void RegisterMatrix(Dictionary<string, OnnxOperatorFactory> table);
}
