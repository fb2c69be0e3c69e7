namespace Pipeline.Graph.Ops.Shape;

/// <summary>Identity: the input, unchanged (tensors only; sequences and optionals are not supported).</summary>
internal sealed class IdentityOperator : ReinterpretOperator
{
    /// <inheritdoc />
    public override string Name => "Identity";

    /// <inheritdoc />
    protected override int[] OutputShape(ShapeContext context, int[] input) => input;
}
