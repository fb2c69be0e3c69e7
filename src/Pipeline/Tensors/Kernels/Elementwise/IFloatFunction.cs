using System.Runtime.Intrinsics;

namespace Pipeline.Tensors.Kernels.Elementwise;

/// <summary>
/// A float function written once per vector width, in the TensorPrimitives style: the loops in
/// <see cref="FloatLoops"/> pick the widest width the CPU has and finish the tail with narrower ones, then scalars.
/// The scalar <see cref="Invoke(float)"/> is the reference the vector forms must match.
/// </summary>
internal interface IUnaryFloatFunction
{
    /// <summary>f(x) for one value.</summary>
    float Invoke(float x);

    /// <summary>f(x) for 4 lanes.</summary>
    Vector128<float> Invoke(Vector128<float> x);

    /// <summary>f(x) for 8 lanes.</summary>
    Vector256<float> Invoke(Vector256<float> x);

    /// <summary>f(x) for 16 lanes.</summary>
    Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>A two-argument float function, in the same style as <see cref="IUnaryFloatFunction"/>.</summary>
internal interface IBinaryFloatFunction
{
    /// <summary>f(x, y) for one value.</summary>
    float Invoke(float x, float y);

    /// <summary>f(x, y) for 4 lanes.</summary>
    Vector128<float> Invoke(Vector128<float> x, Vector128<float> y);

    /// <summary>f(x, y) for 8 lanes.</summary>
    Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);

    /// <summary>f(x, y) for 16 lanes.</summary>
    Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}
