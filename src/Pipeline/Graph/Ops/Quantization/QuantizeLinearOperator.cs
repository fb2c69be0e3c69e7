using Pipeline.Tensors;
using Pipeline.Tensors.Numerics;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph.Ops.Quantization;

/// <summary>
/// QuantizeLinear: y = saturate(round_half_to_even(x / scale) + zero_point), per tensor, per axis or per block (see
/// <see cref="QuantizationLayout"/>). The output type is the zero point's, else <c>output_dtype</c>, else uint8:
/// 8/16-bit integers, the unpacked 4/2-bit integers, or float4e2m1 (x / scale rounded to the nearest code).
/// x may be float32, float16, bfloat16 or int32.
/// </summary>
internal sealed class QuantizeLinearOperator(long axis, long blockSize, DataType? outputType) : Operator
{
    /// <inheritdoc />
    public override string Name => "QuantizeLinear";

    private DataType OutputType(ShapeContext context)
    {
        DataType type = context.HasInput(2) ? context.InputType(2) : outputType ?? DataType.UInt8;
        if (context.HasInput(2) && outputType is { } declared && declared != type)
            throw context.Fail($"output_dtype {declared} differs from the zero point's type {type}");
        if (!QuantizationMath.IsQuantizedInteger(type) && type != DataType.Float4E2M1)
            throw context.Fail($"cannot quantize to {type}");
        return type;
    }

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        DataType x = context.InputType(0);
        if (x is not (DataType.Float32 or DataType.Float16 or DataType.BFloat16 or DataType.Int32))
            throw context.Fail($"cannot quantize {x}: x must be float32, float16, bfloat16 or int32");
        if (context.InputType(1) is not (DataType.Float32 or DataType.Float16 or DataType.BFloat16))
            throw context.Fail($"the scale must be a float type, got {context.InputType(1)}");
        DataType y = OutputType(context);
        QuantizationLayout.Create(context.InputShape(0), context.InputShape(1), context.HasInput(2) ? context.InputShape(2) : null, axis, blockSize, context.Node);
        context.SetOutput(0, y, context.InputShape(0));
        context.Flops = 2 * Tensor.ElementCount(context.InputShape(0));
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        QuantizationLayout layout = QuantizationLayout.Create(context.Input(0).Shape, context.Input(1).Shape,
            context.HasInput(2) ? context.Input(2).Shape : null, axis, blockSize, context.Node);
        return new QuantizeKernel(layout, context.Input(0).Type, context.Input(1).Type,
            context.HasInput(2) ? context.Input(2).Type : null, context.Output(0).Type, Tensor.ElementCount(context.Input(1).Shape));
    }

    /// <inheritdoc />
    public override string Describe() => blockSize > 0 ? $"axis={axis} block={blockSize}" : $"axis={axis}";

    private sealed unsafe class QuantizeKernel(QuantizationLayout layout, DataType xType, DataType scaleType, DataType? zeroType, DataType yType, long scaleCount) : Kernel
    {
        // x and scale converted to float32 when they are not already (float16, bfloat16, int32).
        public override long ScratchBytes => (xType == DataType.Float32 ? 0 : layout.Outer * layout.AxisLength * layout.Inner * 4)
            + (scaleType == DataType.Float32 ? 0 : scaleCount * 4) + (scaleType == DataType.Float32 ? 0 : 64);

        public override void Run(in KernelIO io)
        {
            long count = layout.Outer * layout.AxisLength * layout.Inner;
            float* x = io.InputPointer<float>(0);
            float* scale = io.InputPointer<float>(1);
            byte* scratch = (byte*)io.ScratchPointer;
            if (xType != DataType.Float32)
            {
                ElementConversion.Convert(xType, io.InputPointer<byte>(0), DataType.Float32, scratch, count);
                x = (float*)scratch;
                scratch += count * 4;
            }
            if (scaleType != DataType.Float32)
            {
                ElementConversion.Convert(scaleType, io.InputPointer<byte>(1), DataType.Float32, scratch, scaleCount);
                scale = (float*)scratch;
            }
            byte* zeroPoint = io.HasInput(2) ? io.InputPointer<byte>(2) : null;
            var body = new Body(this, x, scale, zeroPoint, io.OutputPointer<byte>(0), WorkSplit.Count(count, io.Pool.ThreadCount));
            io.Pool.For(body.Items, ref body);
        }

        private readonly struct Body(QuantizeKernel k, float* x, float* scale, byte* zeroPoint, byte* y, int items) : IParallelBody, IQuantizationSegment
        {
            public int Items => items;

            public void Invoke(int index)
            {
                Body self = this;
                k.Layout.ForEachSegment(index, items, ref self);
            }

            public void Run(long offset, long count, long scaleIndex) => k.Segment(x, scale, zeroPoint, y, offset, count, scaleIndex);
        }

        /// <summary>Quantizes <paramref name="count"/> elements from <paramref name="offset"/> that share scale <paramref name="s"/>.</summary>
        private void Segment(float* x, float* scale, byte* zeroPoint, byte* y, long offset, long count, long s)
        {
            if (yType == DataType.Float4E2M1)
            {
                float zero = zeroPoint is null ? 0f : Float4E2M1.Decode(zeroPoint[s]);
                for (long i = offset; i < offset + count; i++) y[i] = Float4E2M1.Encode((double)(x[i] / scale[s]) + zero);
                return;
            }
            int z = zeroPoint is null ? 0 : QuantizationMath.Read(zeroType ?? yType, zeroPoint, s);
            if (yType == DataType.UInt8 && count <= int.MaxValue)
            {
                QuantizationLoops.Quantize(new ReadOnlySpan<float>(x + offset, (int)count), scale[s], z, new Span<byte>(y + offset, (int)count));
                return;
            }
            if (yType == DataType.Int8 && count <= int.MaxValue)
            {
                QuantizationLoops.Quantize(new ReadOnlySpan<float>(x + offset, (int)count), scale[s], z, new Span<sbyte>((sbyte*)y + offset, (int)count));
                return;
            }
            (int min, int max) = QuantizationMath.Range(yType);
            for (long i = offset; i < offset + count; i++) QuantizationMath.Write(yType, y, i, QuantizationMath.Quantize(x[i], scale[s], z, min, max));
        }

        private QuantizationLayout Layout => layout;

    }
}
