using Pipeline.Graph;
using Pipeline.Graph.Onnx;
using Pipeline.Tensors;
using Pipeline.Tensors.Kernels;

namespace Pipeline.Tests.Graph;

/// <summary>
/// Tiny operators for engine tests, written naively (the real ones belong to the ops and kernels work). They are
/// registered under names prefixed "T" so they never collide with real ONNX ops, plus Shape-like "TShape".
/// </summary>
internal static class TestOperators
{
    /// <summary>Resolves the test op types for <see cref="OnnxModelReader.Read"/>.</summary>
    public static Operator? Resolve(OnnxNode node) => node.Identity.OpType switch
    {
        "TAdd" => new AddOperator(),
        "TRelu" => new ReluOperator(),
        "TReshape" => new ReshapeOperator("TReshape"),
        "TNamedReshape" => new ReshapeOperator("Reshape"),
        "TScale" => new ScaleOperator(node.GetFloat("factor", 2f)),
        "TConv" => new ChannelConvOperator(FusedActivation.None),
        "TBatchNorm" => new BatchNormOperator(node.GetFloat("epsilon", 1e-5f)),
        "TTwoOutputs" => new TwoOutputsOperator(),
        "TFill" => new FillOperator(),
        "TIdentity" => new IdentityOperator(),
        "TScratch" => new ScratchOperator((int)node.GetInt("overrun", 0)),
        _ => null,
    };

    /// <summary>z = x + y, same shapes (float32).</summary>
    internal sealed class AddOperator : Operator
    {
        public override string Name => "TAdd";
        public override bool CanRunInPlace(int input) => true;
        public override void InferOutputs(ShapeContext c)
        {
            if (!c.InputShape(0).SequenceEqual(c.InputShape(1))) throw c.Fail("shapes differ");
            c.SetOutput(0, DataType.Float32, c.InputShape(0));
            c.Flops = c.Input(0).ElementCount;
        }
        public override Kernel CreateKernel(KernelContext c) => new AddKernel();
        private sealed class AddKernel : Kernel
        {
            public override void Run(in KernelIO io)
            {
                ReadOnlySpan<float> x = io.Input<float>(0), y = io.Input<float>(1);
                Span<float> z = io.Output<float>(0);
                for (int i = 0; i < z.Length; i++) z[i] = x[i] + y[i];
            }
        }
    }

    /// <summary>y = max(x, 0), an activation the compiler may fuse.</summary>
    internal sealed class ReluOperator : Operator, IActivationOperator
    {
        public override string Name => "TRelu";
        public override bool CanRunInPlace(int input) => true;
        public override void InferOutputs(ShapeContext c) => c.SetOutput(0, DataType.Float32, c.InputShape(0));
        public override Kernel CreateKernel(KernelContext c) => new ReluKernel();
        public FusedActivation? TryGetActivation(Func<int, Tensor?> constantInput) => FusedActivation.Relu;
        private sealed class ReluKernel : Kernel
        {
            public override void Run(in KernelIO io)
            {
                ReadOnlySpan<float> x = io.Input<float>(0);
                Span<float> y = io.Output<float>(0);
                for (int i = 0; i < y.Length; i++) y[i] = MathF.Max(x[i], 0f);
            }
        }
    }

    /// <summary>
    /// Reshape to the int64 shape in input 1 (ONNX rules for 0 and -1): aliases its input. Named "Reshape" (as
    /// TNamedReshape), the compiler treats it as ONNX's Reshape.
    /// </summary>
    internal sealed class ReshapeOperator(string name) : Operator
    {
        public override string Name => name;
        public override int AliasedInput => 0;
        public override void InferOutputs(ShapeContext c)
        {
            long[] target = c.RequireValue(1, "the target shape").AsSpan<long>().ToArray();
            int[] input = c.InputShape(0);
            var shape = new int[target.Length];
            int unknown = -1;
            long known = 1;
            for (int i = 0; i < shape.Length; i++)
            {
                if (target[i] == -1) { unknown = i; continue; }
                shape[i] = target[i] == 0 ? input[i] : (int)target[i];
                known *= shape[i];
            }
            if (unknown >= 0) shape[unknown] = (int)(c.Input(0).ElementCount / known);
            if (Tensor.ElementCount(shape) != c.Input(0).ElementCount) throw c.Fail("element count changes");
            c.SetOutput(0, c.InputType(0), shape);
        }
        public override Kernel CreateKernel(KernelContext c) => throw new InvalidOperationException("aliasing ops run no kernel");
    }

    /// <summary>y = factor · x; counts its runs per factor so tests (using distinct factors) can see which nodes ran.</summary>
    internal sealed class ScaleOperator(float factor) : Operator
    {
        public static readonly System.Collections.Concurrent.ConcurrentDictionary<float, int> Runs = new();
        public override string Name => "TScale";
        public override void InferOutputs(ShapeContext c) => c.SetOutput(0, DataType.Float32, c.InputShape(0));
        public override Kernel CreateKernel(KernelContext c) => new ScaleKernel(factor);
        private sealed class ScaleKernel(float factor) : Kernel
        {
            public override void Run(in KernelIO io)
            {
                Runs.AddOrUpdate(factor, 1, (_, n) => n + 1);
                ReadOnlySpan<float> x = io.Input<float>(0);
                Span<float> y = io.Output<float>(0);
                for (int i = 0; i < y.Length; i++) y[i] = factor * x[i];
            }
        }
    }

    /// <summary>
    /// A 1×1 convolution with ONNX Conv's inputs (X [N,C,H,W], W [M,C,1,1], optional B [M]) and op name "Conv", so the
    /// compiler's Conv rewrites apply to it; fuses activations.
    /// </summary>
    internal sealed class ChannelConvOperator(FusedActivation activation) : Operator, IFusesActivation
    {
        public override string Name => "Conv";
        public FusedActivation Activation => activation;
        public Operator WithActivation(FusedActivation a) => new ChannelConvOperator(a);
        public override void InferOutputs(ShapeContext c)
        {
            int[] x = c.InputShape(0), w = c.InputShape(1);
            if (x.Length != 4 || w.Length != 4 || w[1] != x[1] || w[2] != 1 || w[3] != 1) throw c.Fail("bad shapes");
            c.SetOutput(0, DataType.Float32, [x[0], w[0], x[2], x[3]]);
        }
        public override Kernel CreateKernel(KernelContext c)
            => new ConvKernel(c.Input(0).Shape, c.Constant(1)!.AsSpan<float>().ToArray(), c.HasInput(2) ? c.Constant(2)!.AsSpan<float>().ToArray() : null, c.Output(0).Shape[1], activation);
        private sealed class ConvKernel(int[] x, float[] w, float[]? b, int m, FusedActivation activation) : Kernel
        {
            public override void Run(in KernelIO io)
            {
                ReadOnlySpan<float> input = io.Input<float>(0);
                Span<float> output = io.Output<float>(0);
                int n = x[0], c = x[1], hw = x[2] * x[3];
                for (int i = 0; i < n; i++)
                    for (int o = 0; o < m; o++)
                        for (int p = 0; p < hw; p++)
                        {
                            float sum = b?[o] ?? 0f;
                            for (int k = 0; k < c; k++) sum += w[o * c + k] * input[(i * c + k) * hw + p];
                            output[(i * m + o) * hw + p] = activation.Apply(sum);
                        }
            }
        }
    }

    /// <summary>Inference batch normalization with ONNX's inputs (X, scale, B, mean, var) and name "BatchNormalization".</summary>
    internal sealed class BatchNormOperator(float epsilon) : Operator, IBatchNormalization
    {
        public override string Name => "BatchNormalization";
        public float Epsilon => epsilon;
        public bool TrainingMode => false;
        public override void InferOutputs(ShapeContext c) => c.SetOutput(0, DataType.Float32, c.InputShape(0));
        public override Kernel CreateKernel(KernelContext c)
            => new BatchNormKernel(c.Input(0).Shape, c.Constant(1)!.AsSpan<float>().ToArray(), c.Constant(2)!.AsSpan<float>().ToArray(),
                c.Constant(3)!.AsSpan<float>().ToArray(), c.Constant(4)!.AsSpan<float>().ToArray(), epsilon);
        private sealed class BatchNormKernel(int[] x, float[] scale, float[] bias, float[] mean, float[] variance, float epsilon) : Kernel
        {
            public override void Run(in KernelIO io)
            {
                ReadOnlySpan<float> input = io.Input<float>(0);
                Span<float> output = io.Output<float>(0);
                int c = x[1], hw = x[2] * x[3];
                for (int i = 0; i < input.Length; i++)
                {
                    int ch = i / hw % c;
                    output[i] = (input[i] - mean[ch]) / MathF.Sqrt(variance[ch] + epsilon) * scale[ch] + bias[ch];
                }
            }
        }
    }

    /// <summary>Two outputs: x + 1 and x · 10 (to test unused optional outputs and multi-output nodes).</summary>
    internal sealed class TwoOutputsOperator : Operator
    {
        public override string Name => "TTwoOutputs";
        public override void InferOutputs(ShapeContext c)
        {
            c.SetOutput(0, DataType.Float32, c.InputShape(0));
            if (c.OutputCount > 1) c.SetOutput(1, DataType.Float32, c.InputShape(0));
        }
        public override Kernel CreateKernel(KernelContext c) => new TwoKernel();
        private sealed class TwoKernel : Kernel
        {
            public override void Run(in KernelIO io)
            {
                ReadOnlySpan<float> x = io.Input<float>(0);
                Span<float> a = io.Output<float>(0);
                for (int i = 0; i < a.Length; i++) a[i] = x[i] + 1;
                if (!io.HasOutput(1)) return;
                Span<float> b = io.Output<float>(1);
                for (int i = 0; i < b.Length; i++) b[i] = x[i] * 10;
            }
        }
    }

    /// <summary>A float tensor of the int64 shape in input 0, filled with ones (like ConstantOfShape).</summary>
    internal sealed class FillOperator : Operator
    {
        public override string Name => "TFill";
        public override void InferOutputs(ShapeContext c)
        {
            Tensor value = c.RequireValue(0, "the shape");
            long[] shape = value.Type == DataType.Float32 ? value.AsSpan<float>().ToArray().Select(v => (long)v).ToArray() : value.AsSpan<long>().ToArray();
            if (shape.Any(d => d is < 0 or > int.MaxValue)) throw c.Fail("bad dimension");
            c.SetOutput(0, DataType.Float32, shape.Select(d => (int)d).ToArray());
        }
        public override Kernel CreateKernel(KernelContext c) => new FillKernel();
        private sealed class FillKernel : Kernel
        {
            public override void Run(in KernelIO io) => io.Output<float>(0).Fill(1f);
        }
    }

    /// <summary>
    /// y = x by way of scratch as large as x, then <paramref name="overrun"/> floats of 1 written past the scratch's end
    /// (before its start when negative): the misbehaving kernel the scratch guards must catch.
    /// </summary>
    internal sealed class ScratchOperator(int overrun) : Operator
    {
        public override string Name => "TScratch";
        public override void InferOutputs(ShapeContext c) => c.SetOutput(0, DataType.Float32, c.InputShape(0));
        public override Kernel CreateKernel(KernelContext c) => new ScratchKernel(c.Input(0).ElementCount, overrun);
        private sealed unsafe class ScratchKernel(long count, int overrun) : Kernel
        {
            public override long ScratchBytes => count * sizeof(float);
            public override void Run(in KernelIO io)
            {
                float* scratch = (float*)io.ScratchPointer;
                io.Input<float>(0).CopyTo(new Span<float>(scratch, (int)count));
                new ReadOnlySpan<float>(scratch, (int)count).CopyTo(io.Output<float>(0));
                if (overrun > 0) new Span<float>(scratch + count, overrun).Fill(1f);
                else if (overrun < 0) new Span<float>(scratch + overrun, -overrun).Fill(1f);
            }
        }
    }

    /// <summary>Identity (named like the ONNX op, so sequences may pass through it): aliases its input.</summary>
    internal sealed class IdentityOperator : Operator
    {
        public override string Name => "Identity";
        public override int AliasedInput => 0;
        public override void InferOutputs(ShapeContext c) => c.SetOutput(0, c.InputType(0), c.InputShape(0));
        public override Kernel CreateKernel(KernelContext c) => throw new InvalidOperationException("aliasing ops run no kernel");
    }
}
