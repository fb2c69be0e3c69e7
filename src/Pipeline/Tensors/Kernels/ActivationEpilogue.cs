using System.Numerics.Tensors;

namespace Pipeline.Tensors.Kernels;

/// <summary>
/// Applies a <see cref="FusedActivation"/> in place to a run of values that a compute kernel has just stored (still in
/// L1). Clamp-like activations are cheaper inside the microkernels; this covers every kind.
/// </summary>
internal static class ActivationEpilogue
{
    /// <summary>Applies <paramref name="activation"/> to every element of <paramref name="values"/>.</summary>
    public static void Apply(FusedActivation activation, Span<float> values)
    {
        switch (activation.Kind)
        {
            case ActivationKind.None:
                return;
            case ActivationKind.Relu:
                TensorPrimitives.Max(values, 0f, values);
                return;
            case ActivationKind.Clip:
                TensorPrimitives.Clamp(values, activation.Min, activation.Max, values);
                return;
            case ActivationKind.Sigmoid:
                TensorPrimitives.Sigmoid(values, values);
                return;
            default:
                foreach (ref float v in values) v = activation.Apply(v);
                return;
        }
    }
}
