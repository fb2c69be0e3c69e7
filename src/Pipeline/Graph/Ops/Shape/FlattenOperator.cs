namespace Pipeline.Graph.Ops.Shape;

/// <summary>Flatten: a 2-D view [product of dims before axis, product of the rest]; axis in [−rank, rank], default 1.</summary>
internal sealed class FlattenOperator(long axis) : ReinterpretOperator
{
    /// <inheritdoc />
    public override string Name => "Flatten";

    /// <inheritdoc />
    protected override int[] OutputShape(ShapeContext context, int[] input)
    {
        // Flatten's axis may equal the rank (everything in the first dimension); negative values count from the rank.
        int rank = input.Length;
        if (axis < -rank || axis > rank) throw context.Fail($"axis {axis} is out of range for rank {rank} (valid: [{-rank}, {rank}])");
        int a = (int)(axis < 0 ? axis + rank : axis);
        long outer = Axes.Product(input, 0, a), inner = Axes.Product(input, a, input.Length);
        if (outer > int.MaxValue || inner > int.MaxValue) throw context.Fail($"flattening {Axes.Format(input)} at {a} exceeds the supported dimension size");
        return [(int)outer, (int)inner];
    }

    /// <inheritdoc />
    public override string Describe() => $"axis={axis}";
}
