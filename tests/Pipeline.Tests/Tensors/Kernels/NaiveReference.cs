using Pipeline.Tensors.Kernels;

namespace Pipeline.Tests.Tensors.Kernels;

/// <summary>
/// The naive versions that are the spec: plain loops over every output and every window element, in double
/// precision, written straight from the ONNX operator definitions with no shared code with the kernels.
/// </summary>
internal static class NaiveReference
{
    /// <summary>N-d grouped convolution with explicit (already resolved) pads.</summary>
    public static double[] Conv(float[] x, int[] xShape, float[] w, int[] wShape, float[]? bias, int group,
        int[] strides, int[] dilations, int[] padsBegin, int[] outSize, FusedActivation activation)
    {
        int n = xShape[0], c = xShape[1], m = wShape[0], rank = xShape.Length - 2;
        int cg = c / group, mg = m / group;
        int[] inSize = xShape[2..], kSize = wShape[2..];
        int inPlane = Prod(inSize), outPlane = Prod(outSize), kPlane = Prod(kSize);
        var y = new double[n * m * outPlane];
        var o = new int[rank];
        var t = new int[rank];
        for (int img = 0; img < n; img++)
            for (int oc = 0; oc < m; oc++)
            {
                int g = oc / mg;
                for (int op = 0; op < outPlane; op++)
                {
                    Unravel(op, outSize, o);
                    double sum = bias?[oc] ?? 0;
                    for (int ic = 0; ic < cg; ic++)
                        for (int kp = 0; kp < kPlane; kp++)
                        {
                            Unravel(kp, kSize, t);
                            long offset = 0;
                            bool inside = true;
                            for (int d = 0; d < rank; d++)
                            {
                                int i = o[d] * strides[d] - padsBegin[d] + t[d] * dilations[d];
                                if (i < 0 || i >= inSize[d]) { inside = false; break; }
                                offset = offset * inSize[d] + i;
                            }
                            if (!inside) continue;
                            sum += (double)x[((long)img * c + g * cg + ic) * inPlane + offset] * w[((long)oc * cg + ic) * kPlane + kp];
                        }
                    y[((long)img * m + oc) * outPlane + op] = activation.Apply((float)sum);
                }
            }
        return y;
    }

    public static void Unravel(int index, int[] shape, int[] coords)
    {
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            coords[d] = index % shape[d];
            index /= shape[d];
        }
    }

    public static int Prod(int[] shape)
    {
        int p = 1;
        foreach (int s in shape) p *= s;
        return p;
    }
}

/// <summary>The naive pooling reference (ONNX MaxPool / AveragePool / LpPool definitions).</summary>
internal static class NaivePooling
{
    /// <summary>Pools with explicit resolved pads; returns values and (for max) the row-major flat indices.</summary>
    public static (double[] Values, long[] Indices) Pool(string kind, float[] x, int[] xShape, int[] k, int[] s, int[] d,
        int[] padsBegin, int[] padsEnd, int[] outSize, bool countIncludePad, double p = 2)
    {
        int n = xShape[0], c = xShape[1], rank = xShape.Length - 2;
        int[] inSize = xShape[2..];
        int inPlane = NaiveReference.Prod(inSize), outPlane = NaiveReference.Prod(outSize), kPlane = NaiveReference.Prod(k);
        var values = new double[n * c * outPlane];
        var indices = new long[n * c * outPlane];
        var o = new int[rank];
        var t = new int[rank];
        for (int plane = 0; plane < n * c; plane++)
            for (int op = 0; op < outPlane; op++)
            {
                NaiveReference.Unravel(op, outSize, o);
                double best = double.NegativeInfinity, sum = 0;
                long bestIndex = -1;
                int valid = 0, padded = 0;
                for (int kp = 0; kp < kPlane; kp++)
                {
                    NaiveReference.Unravel(kp, k, t);
                    bool inside = true, inPadded = true;
                    long offset = 0;
                    for (int a = 0; a < rank; a++)
                    {
                        int i = o[a] * s[a] - padsBegin[a] + t[a] * d[a];
                        if (i < -padsBegin[a] || i >= inSize[a] + padsEnd[a]) inPadded = false;
                        if (i < 0 || i >= inSize[a]) inside = false;
                        offset = offset * inSize[a] + i;
                    }
                    if (inPadded) padded++;
                    if (!inside) continue;
                    valid++;
                    double v = x[(long)plane * inPlane + offset];
                    if (v > best) { best = v; bestIndex = (long)plane * inPlane + offset; }
                    sum += kind == "lp" ? Math.Pow(Math.Abs(v), p) : v;
                }
                values[plane * outPlane + op] = kind switch
                {
                    "max" => best,
                    "avg" => sum / (countIncludePad ? padded : valid),
                    _ => Math.Pow(sum, 1 / p),
                };
                indices[plane * outPlane + op] = bestIndex;
            }
        return (values, indices);
    }
}
