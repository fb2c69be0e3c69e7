namespace Pipeline.Graph.Ops.Shape;

/// <summary>
/// Squeeze: removes the named size-1 axes (all size-1 axes when none are named). The axes are an attribute before
/// opset 13 and the optional input 1 from 13.
/// </summary>
internal sealed class SqueezeOperator(long[]? attributeAxes) : ReinterpretOperator
{
    /// <inheritdoc />
    public override string Name => "Squeeze";

    /// <inheritdoc />
    protected override int[] OutputShape(ShapeContext context, int[] input)
    {
        long[]? axes = attributeAxes;
        if (axes is null && context.HasInput(1))
            axes = IntegerValues.ReadVector(context.RequireValue(1, "the axes"), context.Node, "the axes");
        var remove = new bool[input.Length];
        if (axes is null || axes.Length == 0)
        {
            for (int i = 0; i < input.Length; i++) remove[i] = input[i] == 1;
        }
        else
        {
            foreach (int a in Axes.NormalizeAll(axes, input.Length, context.Node))
            {
                if (input[a] != 1) throw context.Fail($"cannot squeeze axis {a} of size {input[a]} in {Axes.Format(input)}");
                remove[a] = true;
            }
        }
        var output = new List<int>(input.Length);
        for (int i = 0; i < input.Length; i++) if (!remove[i]) output.Add(input[i]);
        return output.ToArray();
    }
}
