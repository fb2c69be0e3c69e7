using System.Numerics;
using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph.Ops.Activations;

/// <summary>
/// An elementwise function of one input: same shape and type out, in place allowed. A subclass gives the vectorized
/// float32 loop, the scalar definition (which also serves float64 and float16), and optionally an integer form.
/// The kernel splits large tensors over the pool.
/// </summary>
internal abstract class UnaryOperator : Operator
{
    /// <summary>True when the operator accepts <paramref name="type"/>; floats by default.</summary>
    protected virtual bool Supports(DataType type) => NumericDispatch.IsFloat(type);

    /// <summary>y = f(x) over float32 spans (y may be x).</summary>
    public abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>f(x) by the ONNX definition, in double: the float64 and float16 path.</summary>
    public abstract double Apply(double x);

    /// <summary>y = f(x) for an integer type the operator <see cref="Supports"/>.</summary>
    public virtual void ApplyInteger<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>
        => throw new NotSupportedException($"{Name} has no integer form.");

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        DataType type = context.InputType(0);
        if (!Supports(type)) throw context.Fail($"{Name} does not support {type}");
        int[] shape = context.InputShape(0);
        context.SetOutput(0, type, shape);
        context.Flops = Tensor.ElementCount(shape);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        TensorInfo input = context.Input(0);
        return NumericDispatch.Dispatch<Factory, Kernel>(input.Type, new Factory(this, input.ElementCount));
    }

    /// <inheritdoc />
    public override bool CanRunInPlace(int input) => input == 0;

    private readonly struct Factory(UnaryOperator op, long length) : INumericFactory<Kernel>
    {
        public Kernel Create<T>() where T : unmanaged, INumber<T> => new UnaryKernel<T>(op, length);
    }

    private sealed unsafe class UnaryKernel<T>(UnaryOperator op, long length) : Kernel where T : unmanaged, INumber<T>
    {
        public override void Run(in KernelIO io)
        {
            var body = new Body(op, io.InputPointer<T>(0), io.OutputPointer<T>(0), length, WorkSplit.Count(length, io.Pool.ThreadCount));
            io.Pool.For(body.Items, ref body);
        }

        private readonly struct Body(UnaryOperator op, T* x, T* y, long length, int items) : IParallelBody
        {
            public int Items => items;

            public void Invoke(int index)
            {
                (long start, long end) = WorkSplit.Range(index, items, length);
                int n = (int)(end - start);
                if (n <= 0) return;
                if (typeof(T) == typeof(float))
                    op.Apply(new ReadOnlySpan<float>((float*)x + start, n), new Span<float>((float*)y + start, n));
                else if (typeof(T) == typeof(double))
                {
                    double* xs = (double*)x + start, ys = (double*)y + start;
                    for (int i = 0; i < n; i++) ys[i] = op.Apply(xs[i]);
                }
                else if (typeof(T) == typeof(Half))
                {
                    Half* xs = (Half*)x + start, ys = (Half*)y + start;
                    for (int i = 0; i < n; i++) ys[i] = (Half)op.Apply((double)xs[i]);
                }
                else op.ApplyInteger(new ReadOnlySpan<T>(x + start, n), new Span<T>(y + start, n));
            }
        }
    }
}
