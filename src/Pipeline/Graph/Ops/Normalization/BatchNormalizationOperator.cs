using Pipeline.Tensors;
using Pipeline.Tensors.Kernels.Elementwise;
using Pipeline.Tensors.Parallelism;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Pipeline.Graph.Ops.Normalization;

/// <summary>
/// BatchNormalization on float32 [N, C, …] with ONNX's inputs (X, scale, B, input_mean, input_var):
/// y = (x − mean) / √(var + ε) · scale + B per channel. Inference uses the given statistics (the compiler folds such a
/// node into a preceding Conv through <see cref="Epsilon"/>). In training mode (opset 14+) it normalizes with the
/// batch's own mean and population variance and also outputs the running statistics
/// input·momentum + batch·(1 − momentum).
/// </summary>
internal sealed class BatchNormalizationOperator(float epsilon, float momentum, bool trainingMode) : Operator, IBatchNormalization
{
    /// <summary>ε, added to the variance.</summary>
    public float Epsilon { get; } = epsilon;

    /// <summary>The weight of the previous running statistics in training mode.</summary>
    public float Momentum { get; } = momentum;

    /// <summary>True in training mode: statistics come from the batch, and the node is never folded.</summary>
    public bool TrainingMode { get; } = trainingMode;

    /// <inheritdoc />
    public override string Name => "BatchNormalization";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        int[] x = context.InputShape(0);
        if (context.InputType(0) != DataType.Float32) throw context.Fail($"BatchNormalization supports float32 only, got {context.InputType(0)}");
        if (x.Length < 2) throw context.Fail($"the input must be [N, C, ...], got {Axes.Format(x)}");
        int channels = x[1];
        for (int i = 1; i <= 4; i++)
        {
            int[] s = context.InputShape(i);
            if (context.InputType(i) != DataType.Float32) throw context.Fail($"input {i} must be float32, got {context.InputType(i)}");
            if (s.Length != 1 || s[0] != channels) throw context.Fail($"input {i} must have shape [{channels}], got {Axes.Format(s)}");
        }
        context.SetOutput(0, DataType.Float32, x);
        if (TrainingMode)
        {
            if (context.OutputCount > 1) context.SetOutput(1, DataType.Float32, [channels]);
            if (context.OutputCount > 2) context.SetOutput(2, DataType.Float32, [channels]);
        }
        context.Flops = 2 * Tensor.ElementCount(x);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] x = context.Input(0).Shape;
        int channels = x[1];
        long spatial = Axes.Product(x, 2, x.Length);
        if (TrainingMode) return new TrainingKernel(x[0], channels, spatial, Epsilon, Momentum);
        // Inference with constant statistics: fold them once into y = x·a + b.
        float[]? folded = null;
        if (context.Constant(1) is { } scale && context.Constant(2) is { } bias && context.Constant(3) is { } mean && context.Constant(4) is { } variance)
        {
            folded = new float[2 * channels];
            Fold(scale.AsSpan<float>(), bias.AsSpan<float>(), mean.AsSpan<float>(), variance.AsSpan<float>(), Epsilon, folded);
        }
        return new InferenceKernel(x[0], channels, spatial, Epsilon, folded);
    }

    /// <inheritdoc />
    public override bool CanRunInPlace(int input) => input == 0;

    /// <inheritdoc />
    public override string Describe() => TrainingMode ? $"eps={Epsilon} training" : $"eps={Epsilon}";

    /// <summary>a = scale / √(var + ε) into the first half of <paramref name="folded"/>, b = B − mean · a into the second.</summary>
    private static void Fold(ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, float epsilon, Span<float> folded)
    {
        int c = scale.Length;
        for (int i = 0; i < c; i++)
        {
            float a = scale[i] / MathF.Sqrt(variance[i] + epsilon);
            folded[i] = a;
            folded[c + i] = bias[i] - mean[i] * a;
        }
    }

    private sealed unsafe class InferenceKernel(int batch, int channels, long spatial, float epsilon, float[]? folded) : Kernel
    {
        public override long ScratchBytes => folded is null ? 2L * channels * sizeof(float) : 0;

        public override void Run(in KernelIO io)
        {
            float* coefficients;
            fixed (float* constant = folded)
            {
                if (constant is not null) coefficients = constant;
                else
                {
                    coefficients = (float*)io.ScratchPointer;
                    Fold(new ReadOnlySpan<float>(io.InputPointer<float>(1), channels), new ReadOnlySpan<float>(io.InputPointer<float>(2), channels),
                        new ReadOnlySpan<float>(io.InputPointer<float>(3), channels), new ReadOnlySpan<float>(io.InputPointer<float>(4), channels),
                        epsilon, new Span<float>(coefficients, 2 * channels));
                }
                float* x = io.InputPointer<float>(0);
                float* y = io.OutputPointer<float>(0);
                if (spatial == 1)
                {
                    // [N, C]: each row is one sample; a and b apply as vectors.
                    var a = new ReadOnlySpan<float>(coefficients, channels);
                    var b = new ReadOnlySpan<float>(coefficients + channels, channels);
                    for (long n = 0; n < batch; n++)
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(x + n * channels, channels), a, b, new Span<float>(y + n * channels, channels));
                    return;
                }
                long planes = (long)batch * channels;
                var body = new PlaneBody(x, y, coefficients, channels, spatial, planes, (int)Math.Min(planes, WorkSplit.Count(planes * spatial, io.Pool.ThreadCount)));
                io.Pool.For(body.Items, ref body);
            }
        }

        private readonly struct PlaneBody(float* x, float* y, float* coefficients, int channels, long spatial, long planes, int items) : IParallelBody
        {
            public int Items => items;

            public void Invoke(int index)
            {
                (long start, long end) = WorkSplit.Range(index, items, planes, 1);
                for (long p = start; p < end; p++)
                {
                    int c = (int)(p % channels);
                    for (long done = 0; done < spatial;)
                    {
                        int n = (int)Math.Min(int.MaxValue, spatial - done);
                        FloatLoops.Affine(new ReadOnlySpan<float>(x + p * spatial + done, n), coefficients[c], coefficients[channels + c],
                            new Span<float>(y + p * spatial + done, n));
                        done += n;
                    }
                }
            }
        }
    }

    /// <summary>Batch statistics per channel (double sums), then normalization with them and the running-statistics outputs.</summary>
    private sealed unsafe class TrainingKernel(int batch, int channels, long spatial, float epsilon, float momentum) : Kernel
    {
        public override long ScratchBytes => 2L * channels * sizeof(float);

        public override void Run(in KernelIO io)
        {
            float* x = io.InputPointer<float>(0);
            float* y = io.OutputPointer<float>(0);
            float* scale = io.InputPointer<float>(1), bias = io.InputPointer<float>(2);
            float* inputMean = io.InputPointer<float>(3), inputVariance = io.InputPointer<float>(4);
            float* a = (float*)io.ScratchPointer;
            float* b = a + channels;
            long count = batch * spatial;
            for (int c = 0; c < channels; c++)
            {
                double sum = 0;
                for (long n = 0; n < batch; n++)
                {
                    float* plane = x + (n * channels + c) * spatial;
                    for (long s = 0; s < spatial; s++) sum += plane[s];
                }
                double mean = count == 0 ? double.NaN : sum / count;
                double squares = 0;
                for (long n = 0; n < batch; n++)
                {
                    float* plane = x + (n * channels + c) * spatial;
                    for (long s = 0; s < spatial; s++) { double d = plane[s] - mean; squares += d * d; }
                }
                double variance = count == 0 ? double.NaN : squares / count;
                double factor = scale[c] / Math.Sqrt(variance + epsilon);
                a[c] = (float)factor;
                b[c] = (float)(bias[c] - mean * factor);
                if (io.HasOutput(1)) io.OutputPointer<float>(1)[c] = (float)(inputMean[c] * momentum + mean * (1 - momentum));
                if (io.HasOutput(2)) io.OutputPointer<float>(2)[c] = (float)(inputVariance[c] * momentum + variance * (1 - momentum));
            }
            for (long p = 0; p < (long)batch * channels; p++)
            {
                int c = (int)(p % channels);
                for (long s = 0; s < spatial; s++) y[p * spatial + s] = x[p * spatial + s] * a[c] + b[c];
            }
        }
    }
}
