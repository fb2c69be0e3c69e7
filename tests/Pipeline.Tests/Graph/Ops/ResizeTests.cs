using Pipeline.Tensors;
using static Pipeline.Tests.Graph.Ops.OpTestKit;

namespace Pipeline.Tests.Graph.Ops;

/// <summary>
/// Resize against a naive N-D interpolation written from the ONNX text: per axis, the input coordinate of each output
/// index; its neighbours found by distance (nearest first, smaller on ties) in the edge-padded input; coefficients
/// from the ratio; and the output as the sum over the product of every axis's taps.
/// </summary>
public sealed class ResizeTests
{
    private sealed record Case(string Mode, string Transform, string Nearest, float A, bool Exclude, bool Antialias);

    private static double Original(string transform, int x, int inLength, int outLength, double scale)
    {
        double outWidth = scale * inLength;
        return transform switch
        {
            "align_corners" => outWidth == 1 ? 0 : x * (inLength - 1) / (outWidth - 1),
            "asymmetric" => x / scale,
            "pytorch_half_pixel" => outLength > 1 ? (x + 0.5) / scale - 0.5 : 0,
            "half_pixel_symmetric" => inLength / 2.0 * (1 - outLength / outWidth) + (x + 0.5) / scale - 0.5,
            _ => (x + 0.5) / scale - 0.5,
        };
    }

    /// <summary>Taps (index into the input, clamped; weight) of one output index along one axis.</summary>
    private static (int[] Index, double[] Weight) Taps(Case c, double xo, int inLength, double scale)
    {
        double ratio = xo == Math.Floor(xo) ? 1 : xo - Math.Floor(xo);
        double[] coefficients;
        if (c.Mode == "nearest")
        {
            bool up = ratio == 1 || c.Nearest switch
            {
                "round_prefer_floor" => ratio > 0.5,
                "round_prefer_ceil" => ratio >= 0.5,
                "floor" => false,
                _ => true,
            };
            coefficients = up ? [0, 1] : [1, 0];
        }
        else
        {
            double s = c.Antialias ? Math.Min(scale, 1) : 1;
            int start = c.Mode == "linear" ? (int)Math.Floor(-1 / s) + 1 : (int)Math.Floor(-2 / s) + 1;
            int count = 2 - 2 * start;
            coefficients = new double[count];
            for (int i = 0; i < count; i++)
            {
                double d = Math.Abs((start + i - ratio) * s);
                double a = c.A;
                coefficients[i] = c.Mode == "linear" ? Math.Max(0, 1 - d)
                    : d <= 1 ? (a + 2) * d * d * d - (a + 3) * d * d + 1
                    : d < 2 ? a * d * d * d - 5 * a * d * d + 8 * a * d - 4 * a : 0;
            }
            if (c.Antialias) { double sum = coefficients.Sum(); for (int i = 0; i < count; i++) coefficients[i] /= sum; }
        }
        // The n nearest indices to xo among the edge-padded positions, preferring the smaller on equal distance.
        int n = coefficients.Length, pad = (n + 1) / 2;
        int[] nearest = Enumerable.Range(-pad, inLength + 2 * pad).OrderBy(i => Math.Abs(xo - i)).ThenBy(i => i).Take(n).Order().ToArray();
        if (c.Exclude)
        {
            for (int i = 0; i < n; i++) if (nearest[i] < 0 || nearest[i] >= inLength) coefficients[i] = 0;
            double sum = coefficients.Sum();
            for (int i = 0; i < n; i++) coefficients[i] /= sum;
        }
        return (nearest.Select(i => Math.Clamp(i, 0, inLength - 1)).ToArray(), coefficients);
    }

    private static double[] Naive(Case c, float[] x, int[] inShape, int[] outShape, double[] scales)
    {
        int rank = inShape.Length;
        var y = new double[Tensor.ElementCount(outShape)];
        for (long e = 0; e < y.Length; e++)
        {
            int[] o = Coordinates(e, outShape);
            var taps = new (int[] Index, double[] Weight)[rank];
            for (int d = 0; d < rank; d++)
                taps[d] = inShape[d] == outShape[d] && scales[d] == 1 ? ([o[d]], [1.0])
                    : Taps(c, Original(c.Transform, o[d], inShape[d], outShape[d], scales[d]), inShape[d], scales[d]);
            double sum = 0;
            var pick = new int[rank];
            while (true)
            {
                double w = 1;
                var source = new int[rank];
                for (int d = 0; d < rank; d++) { w *= taps[d].Weight[pick[d]]; source[d] = taps[d].Index[pick[d]]; }
                sum += w * x[Flat(source, inShape)];
                int k = rank - 1;
                while (k >= 0 && ++pick[k] == taps[k].Index.Length) pick[k--] = 0;
                if (k < 0) break;
            }
            y[e] = sum;
        }
        return y;
    }

    public static TheoryData<string, string, string, float, bool, bool> Cases()
    {
        var data = new TheoryData<string, string, string, float, bool, bool>();
        foreach (string transform in new[] { "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric" })
        {
            foreach (string nearest in new[] { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" })
                data.Add("nearest", transform, nearest, -0.75f, false, false);
            data.Add("linear", transform, "", -0.75f, false, false);
            data.Add("linear", transform, "", -0.75f, false, true);
            data.Add("cubic", transform, "", -0.75f, false, false);
            data.Add("cubic", transform, "", -0.5f, true, false);
            data.Add("cubic", transform, "", -0.75f, false, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ResizeMatchesTheNaiveInterpolation(string mode, string transform, string nearest, float a, bool exclude, bool antialias)
    {
        var c = new Case(mode, transform, nearest, a, exclude, antialias);
        var random = new Random(mode.Length * 31 + transform.Length);
        for (int trial = 0; trial < 12; trial++)
        {
            int[] shape = [random.Next(1, 3), random.Next(1, 3), random.Next(1, 9), random.Next(1, 9)];
            var attributes = new Dictionary<string, object>
            {
                ["mode"] = mode, ["coordinate_transformation_mode"] = transform, ["cubic_coeff_a"] = a,
                ["exclude_outside"] = exclude ? 1L : 0L, ["antialias"] = antialias ? 1L : 0L,
            };
            if (nearest.Length > 0) attributes["nearest_mode"] = nearest;
            Tensor x = RandomFloat(random, shape);
            bool bySizes = trial % 2 == 1;
            var scales = new double[4] { 1, 1, 1, 1 };
            int[] outShape = (int[])shape.Clone();
            Tensor y;
            if (bySizes)
            {
                outShape[2] = random.Next(1, 13);
                outShape[3] = random.Next(1, 13);
                for (int d = 2; d < 4; d++) scales[d] = (double)outShape[d] / shape[d];
                y = Run(Import("Resize", 19, attributes, inputs: 4, present: [true, false, false, true]),
                    [x, null, null, Tensor.Create(outShape.Select(v => (long)v).ToArray(), 4)])[0]!;
            }
            else
            {
                float[] s = [1, 1, random.Next(1, 13) / 4f, random.Next(1, 13) / 4f];
                for (int d = 0; d < 4; d++) { scales[d] = s[d]; outShape[d] = (int)Math.Floor(shape[d] * (double)s[d]); }
                if (outShape.Contains(0)) continue;
                y = Run(Import("Resize", 19, attributes, inputs: 3, present: [true, false, true]), [x, null, Tensor.Create(s, 4)])[0]!;
            }
            double[] expected = Naive(c, x.AsSpan<float>().ToArray(), shape, outShape, scales);
            AssertClose(DataType.Float32, outShape, expected, y, rtol: 1e-5, atol: 2e-5, context: $"{Axes(shape)} → {Axes(outShape)}");
        }
    }

    [Fact]
    public void AxesAndKeepAspectRatioPolicies()
    {
        var random = new Random(5);
        Tensor x = RandomFloat(random, [1, 1, 2, 4]);
        Tensor sizes = Tensor.Create(new long[] { 1, 3 }, 2);
        var notLarger = new Dictionary<string, object> { ["axes"] = new long[] { 2, 3 }, ["keep_aspect_ratio_policy"] = "not_larger" };
        var notSmaller = new Dictionary<string, object> { ["axes"] = new long[] { 2, 3 }, ["keep_aspect_ratio_policy"] = "not_smaller" };
        Tensor?[] inputs = [x, null, null, sizes];
        bool[] present = [true, false, false, true];
        Assert.Equal(new[] { 1, 1, 1, 2 }, Run(Import("Resize", 19, notLarger, inputs: 4, present: present), inputs)[0]!.ShapeArray());
        Assert.Equal(new[] { 1, 1, 2, 3 }, Run(Import("Resize", 19, notSmaller, inputs: 4, present: present), inputs)[0]!.ShapeArray());

        // axes in any order map the scales to their axes
        Tensor scales = Tensor.Create(new[] { 3f, 2f }, 2);
        Tensor y = Run(Import("Resize", 19, new() { ["axes"] = new long[] { 3, 2 } }, inputs: 3, present: [true, false, true]), [x, null, scales])[0]!;
        Assert.Equal(new[] { 1, 1, 4, 12 }, y.ShapeArray());
    }

    [Fact]
    public void NearestWorksOnIntegersAndOpset10UsesAsymmetricFloor()
    {
        Tensor x = Tensor.Create(new byte[] { 1, 2, 3, 4 }, 1, 1, 2, 2);
        Tensor y = Run1(Import("Resize", 10, null, inputs: 2), x, Tensor.Create(new[] { 1f, 1f, 2f, 3f }, 4));
        Assert.Equal(new byte[] { 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4 }, y.AsSpan<byte>().ToArray());
        Tensor u = Run1(Import("Upsample", 9, new() { ["mode"] = "nearest" }, inputs: 2), x, Tensor.Create(new[] { 1f, 1f, 2f, 3f }, 4));
        Assert.Equal(y.AsSpan<byte>().ToArray(), u.AsSpan<byte>().ToArray());
    }

    [Fact]
    public void TfCropAndResizeExtrapolatesOutsideTheRegion()
    {
        Tensor x = Tensor.Create(Enumerable.Range(0, 16).Select(i => (float)i).ToArray(), 1, 1, 4, 4);
        Tensor roi = Tensor.Create(new[] { 0f, 0f, 0.4f, 0.6f, 1f, 1f, 1.2f, 1.7f }, 8);
        var attributes = new Dictionary<string, object> { ["mode"] = "linear", ["coordinate_transformation_mode"] = "tf_crop_and_resize", ["extrapolation_value"] = 10f };
        Tensor y = Run(Import("Resize", 13, attributes, inputs: 4, present: [true, true, false, true]), [x, roi, null, Tensor.Create(new long[] { 1, 1, 3, 3 }, 4)])[0]!;
        float[] v = y.AsSpan<float>().ToArray();
        // Row 0 maps to y = 1.2, column 0 to x = 1.8: bilinear inside; the last column (x = 5.1) lies outside.
        Assert.Equal(1.2f * 4 + 1.8f, v[0], 4);
        Assert.Equal(10f, v[2]);
    }

    [Fact]
    public void ResizeNeedsScalesOrSizesAndRejectsBadValues()
    {
        Tensor x = Tensor.Zeros(DataType.Float32, 1, 1, 2, 2);
        AssertInvalid(() => Run(Import("Resize", 13, null, inputs: 3, present: [true, false, true]), [x, null, Tensor.Zeros(DataType.Float32, 0)]), "scales or sizes");
        AssertInvalid(() => Run(Import("Resize", 13, null, inputs: 3, present: [true, false, true]), [x, null, Tensor.Create(new[] { 1f, 1f, -2f, 2f }, 4)]), "positive");
        AssertInvalid(() => Run(Import("Resize", 13, null, inputs: 3, present: [true, false, true]), [x, null, Tensor.Create(new[] { 2f, 2f }, 2)]), "2 values");
        AssertInvalid(() => Run1(Import("Resize", 13, new() { ["mode"] = "linear" }, inputs: 3, present: [true, false, true]),
            Tensor.Zeros(DataType.UInt8, 1, 1, 2, 2), null, Tensor.Create(new[] { 1f, 1f, 2f, 2f }, 4)), "float32");
    }
}
