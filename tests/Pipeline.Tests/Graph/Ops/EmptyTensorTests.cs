using Pipeline.Graph;
using Pipeline.Tensors;
using static Pipeline.Tests.Graph.Ops.OpTestKit;

namespace Pipeline.Tests.Graph.Ops;

/// <summary>Tensors with a zero dimension pass through every operator that allows them, producing empty outputs.</summary>
public sealed class EmptyTensorTests
{
    private static Tensor Empty => Tensor.Zeros(DataType.Float32, 2, 0, 3);

    public static TheoryData<string> Unary() => new()
    {
        "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Elu", "Selu", "Tanh", "Exp", "Softmax", "LogSoftmax",
        "Identity", "Dropout", "Transpose", "Flatten", "Cast", "LRN",
    };

    [Theory]
    [MemberData(nameof(Unary))]
    public void UnaryOperatorsKeepAnEmptyShape(string op)
    {
        var attributes = op switch
        {
            "Cast" => new Dictionary<string, object> { ["to"] = (long)DataType.Float16 },
            "LRN" => new Dictionary<string, object> { ["size"] = 3L },
            _ => null,
        };
        Tensor y = Run1(Import(op, 13, attributes), Empty);
        Assert.Equal(0, y.Length);
    }

    [Fact]
    public void ShapeChangingOperatorsAcceptEmptyInputs()
    {
        Tensor pads = Tensor.Create(new long[] { 0, 1, 0, 0, 1, 0 }, 6);
        Assert.Equal(new[] { 2, 2, 3 }, Run1(Import("Pad", 13, null, inputs: 2), Empty, pads).ShapeArray());
        Assert.Equal(new[] { 2, 3 }, Run1(Import("ReduceSum", 13, new() { ["keepdims"] = 0L }, inputs: 2), Empty, Tensor.Create(new long[] { 1 }, 1)).ShapeArray());
        Assert.Equal(new[] { 2, 0, 6 }, Run1(Import("Concat", 13, new() { ["axis"] = -1L }, inputs: 2), Empty, Empty).ShapeArray());
        Assert.Equal(new[] { 2, 0, 3 }, Run1(Import("Gather", 13, null, inputs: 2), Empty, Tensor.Create(new long[] { 0, 1 }, 2)).ShapeArray());
        Assert.Equal(new[] { 2, 0, 3 }, Run1(Import("Expand", 13, null, inputs: 2), Empty, Tensor.Create(new long[] { 1, 1 }, 2)).ShapeArray());
        Assert.Equal(new[] { 2, 0, 6 }, Run(Import("Resize", 19, null, inputs: 3, present: [true, false, true]), [Empty, null, Tensor.Create(new[] { 1f, 1f, 2f }, 3)])[0]!.ShapeArray());
        Assert.Equal(new[] { 2, 0, 3 }, Run1(Import("QuantizeLinear", 13, null, inputs: 2), Empty, Tensor.Create(new[] { 1f })).ShapeArray());
        Assert.Equal(new[] { 2, 0 }, Run1(Import("Reshape", 14, null, inputs: 2), Empty, Tensor.Create(new long[] { 0, -1 }, 2)).ShapeArray());
        Assert.Equal(new[] { 0, 2 }, Run1(Import("Reshape", 14, new() { ["allowzero"] = 1L }, inputs: 2), Empty, Tensor.Create(new long[] { 0, 2 }, 2)).ShapeArray());
    }
}
