namespace Pipeline.Graph.Ops.Shape;

/// <summary>
/// Unsqueeze: inserts size-1 axes at the named positions of the output (any order, negative allowed). The axes are an
/// attribute before opset 13 and input 1 from 13.
/// </summary>
internal sealed class UnsqueezeOperator(long[]? attributeAxes) : ReinterpretOperator
{
    /// <inheritdoc />
    public override string Name => "Unsqueeze";

    /// <inheritdoc />
    protected override int[] OutputShape(ShapeContext context, int[] input)
    {
        long[] axes = attributeAxes ?? IntegerValues.ReadVector(context.RequireValue(1, "the axes"), context.Node, "the axes");
        int rank = input.Length + axes.Length;
        var inserted = new bool[rank];
        foreach (int a in Axes.NormalizeAll(axes, rank, context.Node)) inserted[a] = true;
        var output = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) output[i] = inserted[i] ? 1 : input[j++];
        return output;
    }
}
