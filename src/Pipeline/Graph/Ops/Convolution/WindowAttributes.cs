using Pipeline.Graph.Onnx;
using Pipeline.Tensors.Kernels;

namespace Pipeline.Graph.Ops.Convolution;

/// <summary>
/// The sliding-window attributes Conv, QLinearConv and the pooling operators share (kernel_shape, strides, dilations,
/// pads, auto_pad), read from a node with the spec's defaults and checked against the input's spatial rank later.
/// Absent lists are null and default to ones (strides, dilations) or zeros (pads) once the rank is known.
/// </summary>
internal sealed record WindowAttributes(int[]? KernelShape, int[]? Strides, int[]? Dilations, int[]? Pads, AutoPad AutoPad)
{
    /// <summary>Reads the attributes of <paramref name="node"/>.</summary>
    public static WindowAttributes Read(OnnxNode node)
        => new(Ints(node, "kernel_shape"), Ints(node, "strides"), Ints(node, "dilations"), Ints(node, "pads"), ParseAutoPad(node));

    /// <summary>Strides for <paramref name="rank"/> spatial axes (default ones); fails on a wrong length or a value &lt; 1.</summary>
    public int[] StridesFor(int rank, NodeIdentity node) => Positive(Strides, rank, "strides", node);

    /// <summary>Dilations for <paramref name="rank"/> spatial axes (default ones).</summary>
    public int[] DilationsFor(int rank, NodeIdentity node) => Positive(Dilations, rank, "dilations", node);

    /// <summary>The explicit pads split into begin and end (default zeros); ignored by the geometry when auto_pad is set.</summary>
    public (int[] Begin, int[] End) PadsFor(int rank, NodeIdentity node)
    {
        var begin = new int[rank];
        var end = new int[rank];
        if (Pads is null || AutoPad != AutoPad.NotSet) return (begin, end);
        if (Pads.Length != 2 * rank) throw node.Fail($"pads has {Pads.Length} values, expected {2 * rank} for {rank} spatial axes");
        for (int i = 0; i < rank; i++)
        {
            begin[i] = Pads[i];
            end[i] = Pads[rank + i];
            if (begin[i] < 0 || end[i] < 0) throw node.Fail($"negative pads [{string.Join(",", Pads)}] are not supported");
        }
        return (begin, end);
    }

    /// <summary>A compact description for inspect: <c>k=3x3 s=2x2 p=1,1,1,1</c>.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (KernelShape is not null) parts.Add("k=" + string.Join("x", KernelShape));
        if (Strides is not null) parts.Add("s=" + string.Join("x", Strides));
        if (Dilations is not null && Dilations.Any(d => d != 1)) parts.Add("d=" + string.Join("x", Dilations));
        if (AutoPad != AutoPad.NotSet) parts.Add("auto_pad=" + AutoPad);
        else if (Pads is not null && Pads.Any(p => p != 0)) parts.Add("p=" + string.Join(",", Pads));
        return string.Join(" ", parts);
    }

    private static int[] Positive(int[]? values, int rank, string name, NodeIdentity node)
    {
        if (values is null) return Enumerable.Repeat(1, rank).ToArray();
        if (values.Length != rank) throw node.Fail($"{name} has {values.Length} values, expected {rank} for {rank} spatial axes");
        foreach (int v in values)
            if (v < 1) throw node.Fail($"{name} [{string.Join(",", values)}] must be positive");
        return values;
    }

    private static int[]? Ints(OnnxNode node, string name)
    {
        long[]? values = node.GetInts(name);
        if (values is null) return null;
        var result = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] is < int.MinValue / 2 or > int.MaxValue / 2)
                throw node.Fail($"attribute '{name}' value {values[i]} is out of range");
            result[i] = (int)values[i];
        }
        return result;
    }

    private static AutoPad ParseAutoPad(OnnxNode node) => node.GetString("auto_pad", "NOTSET") switch
    {
        "NOTSET" or "" => AutoPad.NotSet,
        "SAME_UPPER" => AutoPad.SameUpper,
        "SAME_LOWER" => AutoPad.SameLower,
        "VALID" => AutoPad.Valid,
        var other => throw node.Fail($"auto_pad '{other}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"),
    };
}
