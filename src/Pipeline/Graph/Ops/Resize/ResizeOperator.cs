using Pipeline.Tensors;

namespace Pipeline.Graph.Ops.Resize;

/// <summary>
/// Resize (and the older Upsample): every output element is a weighted sum of nearby input elements, axis by axis.
/// The output size comes from <c>scales</c> (floor(in · scale)) or <c>sizes</c> (optionally one common scale under
/// <c>keep_aspect_ratio_policy</c>), for all axes or the listed <c>axes</c>. Nearest mode works on any element type;
/// linear and cubic on float32.
/// </summary>
internal sealed class ResizeOperator(ResizeOptions options) : Operator
{
    /// <summary>The attributes.</summary>
    public ResizeOptions Options { get; } = options;

    /// <inheritdoc />
    public override string Name => "Resize";

    /// <summary>The output shape, and per axis the scale and region the coordinate transform uses.</summary>
    private (int[] Output, double[] Scales, double[] RoiStart, double[] RoiEnd) Resolve(int[] input, NodeIdentity node, Func<int, string, Tensor?> value)
    {
        int rank = input.Length;
        int[] axes = Options.Axes is { } listed ? Axes.NormalizeAll(listed, rank, node) : Enumerable.Range(0, rank).ToArray();
        var output = (int[])input.Clone();
        var scales = new double[rank];
        scales.AsSpan().Fill(1);
        var roiStart = new double[rank];
        var roiEnd = new double[rank];
        roiEnd.AsSpan().Fill(1);

        if (Options.Transform == CoordinateTransform.TfCropAndResize && value(Options.RoiInput, "the roi") is { Length: > 0 } roi)
        {
            double[] r = Floats(roi, node, "the roi");
            if (r.Length != 2 * axes.Length) throw node.Fail($"the roi has {r.Length} values, expected {2 * axes.Length}");
            for (int i = 0; i < axes.Length; i++) { roiStart[axes[i]] = r[i]; roiEnd[axes[i]] = r[axes.Length + i]; }
        }

        Tensor? scalesValue = Options.ScalesInput >= 0 ? value(Options.ScalesInput, "the scales")
            : Options.FixedScales is { } fixedScales ? Tensor.Create(fixedScales, fixedScales.Length) : null;
        if (scalesValue is { Length: > 0 })
        {
            double[] s = Floats(scalesValue, node, "the scales");
            if (s.Length != axes.Length) throw node.Fail($"the scales have {s.Length} values for {axes.Length} axes");
            for (int i = 0; i < axes.Length; i++)
            {
                int a = axes[i];
                if (!(s[i] > 0) || double.IsInfinity(s[i])) throw node.Fail($"scale {s[i]} for axis {a} must be positive and finite");
                scales[a] = s[i];
                double length = Math.Floor(input[a] * (roiEnd[a] - roiStart[a]) * s[i]);
                if (length > int.MaxValue) throw node.Fail($"axis {a} would have {length} elements");
                output[a] = (int)Math.Max(0, length);
            }
        }
        else
        {
            Tensor sizesValue = (Options.SizesInput >= 0 ? value(Options.SizesInput, "the sizes") : null)
                ?? throw node.Fail("Resize needs scales or sizes");
            long[] sizes = IntegerValues.ReadVector(sizesValue, node, "the sizes");
            if (sizes.Length != axes.Length) throw node.Fail($"the sizes have {sizes.Length} values for {axes.Length} axes");
            for (int i = 0; i < axes.Length; i++)
            {
                if (sizes[i] < 0 || sizes[i] > int.MaxValue) throw node.Fail($"size {sizes[i]} for axis {axes[i]} is invalid");
                if (input[axes[i]] == 0) throw node.Fail($"cannot resize the empty axis {axes[i]}");
            }
            if (Options.Policy == AspectRatioPolicy.Stretch)
            {
                for (int i = 0; i < axes.Length; i++)
                {
                    output[axes[i]] = (int)sizes[i];
                    scales[axes[i]] = (double)sizes[i] / input[axes[i]];
                }
            }
            else
            {
                double common = Options.Policy == AspectRatioPolicy.NotLarger ? double.PositiveInfinity : 0;
                for (int i = 0; i < axes.Length; i++)
                {
                    double s = (double)sizes[i] / input[axes[i]];
                    common = Options.Policy == AspectRatioPolicy.NotLarger ? Math.Min(common, s) : Math.Max(common, s);
                }
                foreach (int a in axes)
                {
                    scales[a] = common;
                    double length = Math.Floor(common * input[a] + 0.5); // round half up, as the reference does
                    if (length > int.MaxValue) throw node.Fail($"axis {a} would have {length} elements");
                    output[a] = (int)length;
                }
            }
        }
        IntegerValues.CheckElementCount(output, node, "the resized shape");
        return (output, scales, roiStart, roiEnd);
    }

    private static double[] Floats(Tensor t, NodeIdentity node, string what)
    {
        if (t.Rank > 1) throw node.Fail($"{what} must be 1-D, got {Axes.Format(t.Shape)}");
        var r = new double[t.Length];
        for (int i = 0; i < r.Length; i++)
            r[i] = t.Type switch
            {
                DataType.Float32 => t.AsSpan<float>()[i],
                DataType.Float64 => t.AsSpan<double>()[i],
                DataType.Float16 => (double)t.AsSpan<Half>()[i],
                _ => throw node.Fail($"{what} must be a float tensor, got {t.Type}"),
            };
        return r;
    }

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        DataType type = context.InputType(0);
        if (Options.Mode != ResizeMode.Nearest && type != DataType.Float32)
            throw context.Fail($"{Options.Mode.ToString().ToLowerInvariant()} Resize supports float32 only, got {type}");
        if (!DataTypes.IsSupported(type)) throw context.Fail($"Resize does not support {type}");
        (int[] output, _, _, _) = Resolve(context.InputShape(0), context.Node,
            (i, what) => context.HasInput(i) ? context.RequireValue(i, what) : null);
        context.SetOutput(0, type, output);
        context.Flops = Tensor.ElementCount(output) * (Options.Mode == ResizeMode.Nearest ? 1 : 4);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] input = context.Input(0).Shape;
        (int[] output, double[] scales, double[] roiStart, double[] roiEnd) = Resolve(input, context.Node,
            (i, what) => context.HasInput(i) ? context.Constant(i) ?? throw context.Node.Fail($"{what} (input {i}) must be known when planning") : null);
        var tables = new ResizeAxisTable?[input.Length];
        for (int a = 0; a < input.Length; a++)
        {
            if (input[a] == 0 || output[a] == 0) continue;
            ResizeAxisTable table = ResizeAxisTable.Create(Options, input[a], output[a], scales[a], roiStart[a], roiEnd[a]);
            if (!table.IsIdentity) tables[a] = table;
        }
        DataType type = context.Input(0).Type;
        if (Options.Mode != ResizeMode.Nearest)
            return new ResizeKernel<float>(input, output, tables, Options.ExtrapolationValue, interpolate: true);
        return ElementSizeDispatch.Dispatch<Factory, Kernel>(type, new Factory(input, output, tables, Options.ExtrapolationValue, type));
    }

    /// <inheritdoc />
    public override string Describe() => $"mode={Options.Mode.ToString().ToLowerInvariant()} transform={Options.Transform}";

    private readonly struct Factory(int[] input, int[] output, ResizeAxisTable?[] tables, float extrapolation, DataType type) : IElementFactory<Kernel>
    {
        public Kernel Create<T>() where T : unmanaged
        {
            // Nearest copies elements; the extrapolation value (tf_crop_and_resize) is stored in the element type.
            ulong bits = Shape.ScalarBits.Encode(type, extrapolation, default);
            return new ResizeKernel<T>(input, output, tables, System.Runtime.CompilerServices.Unsafe.As<ulong, T>(ref bits), interpolate: false);
        }
    }
}
