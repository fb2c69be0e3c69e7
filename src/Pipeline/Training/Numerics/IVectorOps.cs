namespace Pipeline.Training.Numerics;

/// <summary>
/// The float operations the training kernels need, for one vector width. Kernels are written once, generic over a
/// struct implementing this interface; the JIT specializes and inlines each width (the TensorPrimitives pattern).
/// <see cref="ScalarOps"/> is width 1 and runs the very same kernel code as the scalar fallback.
/// </summary>
/// <typeparam name="TVector">The register type: <see cref="float"/>, Vector128/256/512 of float.</typeparam>
internal unsafe interface IVectorOps<TVector> where TVector : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TVector Zero { get; }

    /// <summary>Loads <see cref="Count"/> floats from <paramref name="source"/> (no alignment needed).</summary>
    static abstract TVector Load(float* source);

    /// <summary>Stores <see cref="Count"/> floats to <paramref name="destination"/>.</summary>
    static abstract void Store(TVector value, float* destination);

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TVector Broadcast(float value);

    /// <summary><c>a · b + c</c>, fused when the hardware has FMA (the scalar path makes the same choice, so lanes and scalars agree bit for bit).</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary>The sum of the lanes, in a fixed order.</summary>
    static abstract float Sum(TVector value);
}
