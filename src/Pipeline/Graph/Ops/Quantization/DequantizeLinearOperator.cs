using Pipeline.Tensors;
using Pipeline.Tensors.Numerics;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph.Ops.Quantization;

/// <summary>
/// DequantizeLinear: y = (x − zero_point) · scale, per tensor, per axis or per block (see
/// <see cref="QuantizationLayout"/>). x is an 8/16/32-bit or unpacked 4/2-bit integer, or float4e2m1 (decoded, no
/// zero point). The output has the scale's type (or <c>output_dtype</c>, opset 23+).
/// </summary>
internal sealed class DequantizeLinearOperator(long axis, long blockSize, DataType? outputType) : Operator
{
    /// <inheritdoc />
    public override string Name => "DequantizeLinear";

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        DataType x = context.InputType(0);
        if (!QuantizationMath.IsQuantizedInteger(x) && x is not (DataType.Int32 or DataType.Float4E2M1))
            throw context.Fail($"cannot dequantize {x}");
        if (context.HasInput(2) && context.InputType(2) != x)
            throw context.Fail($"the zero point's type {context.InputType(2)} differs from x's {x}");
        DataType scale = context.InputType(1);
        if (scale is not (DataType.Float32 or DataType.Float16 or DataType.BFloat16))
            throw context.Fail($"the scale must be a float type, got {scale}");
        DataType y = outputType ?? scale;
        if (y is not (DataType.Float32 or DataType.Float16 or DataType.BFloat16)) throw context.Fail($"cannot dequantize to {y}");
        QuantizationLayout.Create(context.InputShape(0), context.InputShape(1), context.HasInput(2) ? context.InputShape(2) : null, axis, blockSize, context.Node);
        context.SetOutput(0, y, context.InputShape(0));
        context.Flops = 2 * Tensor.ElementCount(context.InputShape(0));
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        QuantizationLayout layout = QuantizationLayout.Create(context.Input(0).Shape, context.Input(1).Shape,
            context.HasInput(2) ? context.Input(2).Shape : null, axis, blockSize, context.Node);
        return new DequantizeKernel(layout, context.Input(0).Type, context.Input(1).Type, context.Output(0).Type, Tensor.ElementCount(context.Input(1).Shape));
    }

    /// <inheritdoc />
    public override string Describe() => blockSize > 0 ? $"axis={axis} block={blockSize}" : $"axis={axis}";

    private sealed unsafe class DequantizeKernel(QuantizationLayout layout, DataType xType, DataType scaleType, DataType yType, long scaleCount) : Kernel
    {
        private long Count => layout.Outer * layout.AxisLength * layout.Inner;

        public override long ScratchBytes => (scaleType == DataType.Float32 ? 0 : scaleCount * 4 + 64) + (yType == DataType.Float32 ? 0 : Count * 4);

        public override void Run(in KernelIO io)
        {
            float* scale = io.InputPointer<float>(1);
            byte* scratch = (byte*)io.ScratchPointer;
            if (scaleType != DataType.Float32)
            {
                ElementConversion.Convert(scaleType, io.InputPointer<byte>(1), DataType.Float32, scratch, scaleCount);
                scale = (float*)scratch;
                scratch += (scaleCount * 4 + 63) & ~63L;
            }
            float* y = yType == DataType.Float32 ? io.OutputPointer<float>(0) : (float*)scratch;
            var body = new Body(this, io.InputPointer<byte>(0), scale, io.HasInput(2) ? io.InputPointer<byte>(2) : null, y,
                WorkSplit.Count(Count, io.Pool.ThreadCount));
            io.Pool.For(body.Items, ref body);
            if (yType != DataType.Float32) ElementConversion.Convert(DataType.Float32, y, yType, io.OutputPointer<byte>(0), Count);
        }

        private readonly struct Body(DequantizeKernel k, byte* x, float* scale, byte* zeroPoint, float* y, int items) : IParallelBody, IQuantizationSegment
        {
            public int Items => items;

            public void Invoke(int index)
            {
                Body self = this;
                k.Layout.ForEachSegment(index, items, ref self);
            }

            public void Run(long offset, long count, long scaleIndex) => k.Segment(x, scale, zeroPoint, y, offset, count, scaleIndex);
        }

        /// <summary>Dequantizes <paramref name="count"/> elements from <paramref name="offset"/> that share scale <paramref name="s"/>.</summary>
        private void Segment(byte* x, float* scale, byte* zeroPoint, float* y, long offset, long count, long s)
        {
            if (xType == DataType.Float4E2M1)
            {
                for (long i = offset; i < offset + count; i++) y[i] = Float4E2M1.Decode(x[i]) * scale[s];
                return;
            }
            int z = zeroPoint is null ? 0 : QuantizationMath.Read(xType, zeroPoint, s);
            if (xType == DataType.UInt8 && count <= int.MaxValue)
            {
                QuantizationLoops.Dequantize(new ReadOnlySpan<byte>(x + offset, (int)count), scale[s], z, new Span<float>(y + offset, (int)count));
                return;
            }
            if (xType == DataType.Int8 && count <= int.MaxValue)
            {
                QuantizationLoops.Dequantize(new ReadOnlySpan<sbyte>((sbyte*)x + offset, (int)count), scale[s], z, new Span<float>(y + offset, (int)count));
                return;
            }
            for (long i = offset; i < offset + count; i++) y[i] = QuantizationMath.Dequantize(QuantizationMath.Read(xType, x, i), scale[s], z);
        }

        private QuantizationLayout Layout => layout;

    }
}
