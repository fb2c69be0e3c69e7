using System.Runtime.Intrinsics;

namespace Pipeline.Tensors.Kernels.Elementwise;

/// <summary>x · a + b with scalar a and b (a folded batch normalization, a dequantization).</summary>
internal readonly struct AffineFunction(float a, float b) : IUnaryFloatFunction
{
    public float Invoke(float x) => x * a + b;
    public Vector128<float> Invoke(Vector128<float> x) => x * a + Vector128.Create(b);
    public Vector256<float> Invoke(Vector256<float> x) => x * a + Vector256.Create(b);
    public Vector512<float> Invoke(Vector512<float> x) => x * a + Vector512.Create(b);
}
