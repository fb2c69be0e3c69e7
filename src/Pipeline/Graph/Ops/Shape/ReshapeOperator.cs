namespace Pipeline.Graph.Ops.Shape;

/// <summary>
/// Reshape: the target shape comes from input 1 (opset 5+) or the <c>shape</c> attribute (opset 1–4). A 0 copies the
/// input's dimension at that position (unless <c>allowzero</c> = 1, opset 14+, where 0 means an empty dimension), and
/// one −1 takes whatever count is left.
/// </summary>
internal sealed class ReshapeOperator(long[]? attributeShape, bool allowZero) : ReinterpretOperator
{
    /// <inheritdoc />
    public override string Name => "Reshape";

    /// <inheritdoc />
    protected override int[] OutputShape(ShapeContext context, int[] input)
    {
        long[] requested = attributeShape ?? IntegerValues.ReadVector(context.RequireValue(1, "the target shape"), context.Node, "the target shape");
        return Resolve(requested, input, allowZero, context.Node);
    }

    /// <summary>Applies ONNX's 0 and −1 rules to <paramref name="requested"/>; fails naming the node when it cannot fit.</summary>
    public static int[] Resolve(long[] requested, int[] input, bool allowZero, NodeIdentity node)
    {
        string Describe() => $"[{string.Join(",", requested)}]";
        var shape = new int[requested.Length];
        int unknown = -1;
        long known = 1;
        bool hasZero = false;
        for (int i = 0; i < requested.Length; i++)
        {
            long v = requested[i];
            if (v == -1)
            {
                if (unknown >= 0) throw node.Fail($"the target shape {Describe()} has more than one -1");
                unknown = i;
                continue;
            }
            if (v < -1 || v > int.MaxValue) throw node.Fail($"the target shape {Describe()} has invalid dimension {v}");
            if (v == 0 && !allowZero)
            {
                if (i >= input.Length) throw node.Fail($"the target shape {Describe()} copies dimension {i} (0) but the input {Axes.Format(input)} has rank {input.Length}");
                v = input[i];
            }
            hasZero |= v == 0;
            shape[i] = (int)v;
            known *= v;
        }
        long total = Tensors.Tensor.ElementCount(input);
        if (unknown >= 0)
        {
            if (known == 0)
            {
                if (allowZero && hasZero) throw node.Fail($"the target shape {Describe()} has both -1 and 0 with allowzero=1");
                throw node.Fail($"the target shape {Describe()} leaves the -1 dimension undetermined for input {Axes.Format(input)}");
            }
            if (total % known != 0) throw node.Fail($"cannot reshape input {Axes.Format(input)} ({total} elements) to {Describe()}");
            shape[unknown] = (int)(total / known);
        }
        else if (known != total) throw node.Fail($"cannot reshape input {Axes.Format(input)} ({total} elements) to {Describe()}");
        return shape;
    }
}
