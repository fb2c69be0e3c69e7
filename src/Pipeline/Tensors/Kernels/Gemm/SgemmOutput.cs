namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>
/// What happens to C = A·B before it is stored: bias per row and/or per column, an activation, and optionally
/// accumulation onto what C already holds (a residual Add fused into the producing GEMM).
/// </summary>
internal readonly unsafe struct SgemmOutput
{
    /// <summary>No bias, no activation, overwrite C.</summary>
    public SgemmOutput()
    {
    }

    /// <summary>One value per row of C (a conv's output channel), or null. Offset per problem by the driver.</summary>
    public float* RowBias { get; init; }

    /// <summary>One value per column of C (a fully connected layer's output feature), or null.</summary>
    public float* ColumnBias { get; init; }

    /// <summary>The activation applied last.</summary>
    public FusedActivation Activation { get; init; }

    /// <summary>When true, C += A·B (+ bias) instead of C = A·B (+ bias); the activation applies to the sum.</summary>
    public bool AccumulateIntoC { get; init; }
}
