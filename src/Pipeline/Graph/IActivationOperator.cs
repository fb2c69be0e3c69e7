using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;

namespace Pipeline.Graph;

/// <summary>
/// An elementwise activation operator (Relu, Clip, LeakyRelu, Sigmoid, HardSwish) that the compiler may fold into
/// the epilogue of the <see cref="IFusesActivation"/> node producing its input.
/// </summary>
internal interface IActivationOperator
{
    /// <summary>
    /// The activation this node computes, given its constant inputs (Clip's bounds are inputs from opset 11);
    /// null when it cannot be expressed as a <see cref="FusedActivation"/> (e.g. Clip with a run-time bound).
    /// </summary>
    FusedActivation? TryGetActivation(Func<int, Tensor?> constantInput);
}

/// <summary>A compute operator (Conv, Gemm, MatMul) that can apply an activation in its epilogue.</summary>
internal interface IFusesActivation
{
    /// <summary>The activation currently fused (None when none).</summary>
    FusedActivation Activation { get; }

    /// <summary>A copy of this operator that also applies <paramref name="activation"/>; only called when <see cref="Activation"/> is None.</summary>
    Operator WithActivation(FusedActivation activation);
}
