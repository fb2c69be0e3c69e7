namespace Pipeline.Tensors.Kernels;

/// <summary>The activations a compute kernel (conv, gemm) can apply in its epilogue instead of a separate pass.</summary>
internal enum ActivationKind
{
    /// <summary>Identity.</summary>
    None,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>min(max(x, Min), Max): Relu6 and ONNX Clip with constant bounds.</summary>
    Clip,
    /// <summary>x ≥ 0 ? x : Alpha·x.</summary>
    LeakyRelu,
    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,
    /// <summary>x · relu6(x + 3) / 6.</summary>
    HardSwish,
}

/// <summary>An activation and its parameters, fused into the kernel that produces its input.</summary>
internal readonly record struct FusedActivation(ActivationKind Kind, float Min = float.NegativeInfinity, float Max = float.PositiveInfinity, float Alpha = 0f)
{
    /// <summary>No activation.</summary>
    public static FusedActivation None => default;

    /// <summary>max(x, 0).</summary>
    public static FusedActivation Relu => new(ActivationKind.Relu);

    /// <summary>min(max(x, 0), 6).</summary>
    public static FusedActivation Relu6 => new(ActivationKind.Clip, 0f, 6f);

    /// <summary>True for ReLU and Clip: a clamp, which kernels apply to vectors as they store them.</summary>
    public bool IsClamp => Kind is ActivationKind.Relu or ActivationKind.Clip;

    /// <summary>True when no activation pass is needed after a store: none at all, or a clamp.</summary>
    public bool IsClampOrNone => Kind == ActivationKind.None || IsClamp;

    /// <summary>The clamp's lower bound (0 for ReLU); meaningful when <see cref="IsClamp"/>.</summary>
    public float ClampMin => Kind == ActivationKind.Relu ? 0f : Min;

    /// <summary>The clamp's upper bound (+∞ for ReLU); meaningful when <see cref="IsClamp"/>.</summary>
    public float ClampMax => Kind == ActivationKind.Relu ? float.PositiveInfinity : Max;

    /// <summary>Applies the activation to one value: the reference every vectorized epilogue must match.</summary>
    public float Apply(float x) => Kind switch
    {
        ActivationKind.None => x,
        ActivationKind.Relu => MathF.Max(x, 0f),
        ActivationKind.Clip => MathF.Min(MathF.Max(x, Min), Max),
        ActivationKind.LeakyRelu => x >= 0f ? x : Alpha * x,
        ActivationKind.Sigmoid => 1f / (1f + MathF.Exp(-x)),
        ActivationKind.HardSwish => x * MathF.Min(MathF.Max(x + 3f, 0f), 6f) / 6f,
        _ => throw new InvalidOperationException($"Unknown activation {Kind}."),
    };

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ActivationKind.None => "none",
        ActivationKind.Clip => $"clip({Min},{Max})",
        ActivationKind.LeakyRelu => $"leakyrelu({Alpha})",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}
