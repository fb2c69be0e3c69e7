using System.Runtime.Intrinsics;
using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph.Ops.Normalization;

/// <summary>
/// LRN (local response normalization across channels) on float32 [N, C, …]:
/// y = x / (bias + alpha/size · Σ x²)^beta, the sum over channels [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] clipped to [0, C).
/// The power is computed as exp(−beta · log t), vectorized; for beta = 0.75 (AlexNet's and GoogLeNet's value) as
/// 1 / (√t · √√t), which is several times cheaper and as accurate.
/// </summary>
internal sealed class LrnOperator(float alpha, float beta, float bias, int size) : Operator
{
    /// <inheritdoc />
    public override string Name => "LRN";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        int[] x = context.InputShape(0);
        if (context.InputType(0) != DataType.Float32) throw context.Fail($"LRN supports float32 only, got {context.InputType(0)}");
        if (x.Length < 3) throw context.Fail($"LRN needs an input of rank 3 or more, got {Axes.Format(x)}");
        if (size < 1) throw context.Fail($"size must be positive, got {size}");
        context.SetOutput(0, DataType.Float32, x);
        context.Flops = (size + 4L) * Tensor.ElementCount(x);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] x = context.Input(0).Shape;
        return new LrnKernel(x[0], x[1], Axes.Product(x, 2, x.Length), alpha / size, beta, bias, (size - 1) / 2, size / 2);
    }

    /// <inheritdoc />
    public override string Describe() => $"size={size} alpha={alpha} beta={beta} bias={bias}";

    private sealed unsafe class LrnKernel(int batch, int channels, long spatial, float scale, float beta, float bias, int before, int after) : Kernel
    {
        public override void Run(in KernelIO io)
        {
            long planes = (long)batch * channels;
            var body = new Body(this, io.InputPointer<float>(0), io.OutputPointer<float>(0), planes,
                (int)Math.Min(planes, WorkSplit.Count(planes * spatial * (before + after + 1), io.Pool.ThreadCount)));
            io.Pool.For(body.Items, ref body);
        }

        private readonly struct Body(LrnKernel k, float* x, float* y, long planes, int items) : IParallelBody
        {
            public int Items => items;

            public void Invoke(int index)
            {
                (long start, long end) = WorkSplit.Range(index, items, planes, 1);
                for (long p = start; p < end; p++) k.Plane(x, y, p);
            }
        }

        private void Plane(float* x, float* y, long plane)
        {
            long n = plane / channels;
            int c = (int)(plane % channels);
            int c0 = Math.Max(0, c - before), c1 = Math.Min(channels - 1, c + after);
            float* center = x + plane * spatial;
            float* output = y + plane * spatial;
            float* first = x + (n * channels + c0) * spatial;
            int window = c1 - c0 + 1;
            long s = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> vScale = Vector256.Create(scale), vBias = Vector256.Create(bias), vBeta = Vector256.Create(-beta);
                bool threeQuarters = beta == 0.75f;
                for (; s + 8 <= spatial; s += 8)
                {
                    Vector256<float> sum = Vector256<float>.Zero;
                    for (int w = 0; w < window; w++)
                    {
                        Vector256<float> v = Vector256.Load(first + w * spatial + s);
                        sum += v * v;
                    }
                    Vector256<float> t = vBias + vScale * sum;
                    Vector256<float> factor;
                    if (threeQuarters)
                    {
                        Vector256<float> root = Vector256.Sqrt(t);
                        factor = Vector256<float>.One / (root * Vector256.Sqrt(root));
                    }
                    else factor = Vector256.Exp(vBeta * Vector256.Log(t));
                    (Vector256.Load(center + s) * factor).Store(output + s);
                }
            }
            for (; s < spatial; s++)
            {
                float sum = 0;
                for (int w = 0; w < window; w++) { float v = first[w * spatial + s]; sum += v * v; }
                output[s] = center[s] * MathF.Pow(bias + scale * sum, -beta);
            }
        }
    }
}
