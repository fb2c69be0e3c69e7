using Pipeline.Graph.Tflite;

namespace Pipeline.Tests.Graph.Tflite;

/// <summary>
/// Naive TFLite operators on NHWC float arrays, written from TFLite's reference-kernel definitions: the spec the
/// importer's translations are tested against. Slow and obvious on purpose.
/// </summary>
internal static class NhwcReference
{
    /// <summary>TFLite's output size: SAME gives ceil(in / stride), VALID ceil((in − effective + 1) / stride).</summary>
    public static int OutputSize(TflitePadding padding, int input, int filter, int stride, int dilation)
    {
        int effective = (filter - 1) * dilation + 1;
        return padding == TflitePadding.SAME ? (input + stride - 1) / stride : (input - effective + stride) / stride;
    }

    /// <summary>TFLite's leading padding: total = max((out − 1)·stride + effective − in, 0), before = total / 2.</summary>
    public static int PadBefore(TflitePadding padding, int input, int filter, int stride, int dilation)
    {
        if (padding == TflitePadding.VALID) return 0;
        int output = OutputSize(padding, input, filter, stride, dilation);
        int total = (output - 1) * stride + (filter - 1) * dilation + 1 - input;
        return Math.Max(total, 0) / 2;
    }

    /// <summary>CONV_2D (filter [O, kH, kW, I]; groups = C / I) and DEPTHWISE_CONV_2D (filter [1, kH, kW, C·m]).</summary>
    public static float[] Conv(float[] x, int[] xs, float[] w, int[] ws, float[]? bias, int strideH, int strideW, int dilationH, int dilationW,
        TflitePadding padding, bool depthwise, out int[] ys)
    {
        int n = xs[0], h = xs[1], wd = xs[2], c = xs[3];
        int kh = ws[1], kw = ws[2];
        int outC = depthwise ? ws[3] : ws[0];
        int inPerGroup = depthwise ? 1 : ws[3];
        int oh = OutputSize(padding, h, kh, strideH, dilationH), ow = OutputSize(padding, wd, kw, strideW, dilationW);
        int top = PadBefore(padding, h, kh, strideH, dilationH), left = PadBefore(padding, wd, kw, strideW, dilationW);
        int outPerGroup = depthwise ? ws[3] / c : outC / (c / inPerGroup);
        ys = [n, oh, ow, outC];
        var y = new float[n * oh * ow * outC];
        for (int b = 0; b < n; b++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        for (int o = 0; o < outC; o++)
        {
            double sum = bias?[o] ?? 0;
            int group = o / outPerGroup;
            for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++)
            {
                int iy = oy * strideH - top + ky * dilationH, ix = ox * strideW - left + kx * dilationW;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                for (int i = 0; i < inPerGroup; i++)
                {
                    int ic = group * inPerGroup + i;
                    float weight = depthwise ? w[(ky * kw + kx) * outC + o] : w[((o * kh + ky) * kw + kx) * inPerGroup + i];
                    sum += x[((b * h + iy) * wd + ix) * c + ic] * (double)weight;
                }
            }
            y[((b * oh + oy) * ow + ox) * outC + o] = (float)sum;
        }
        return y;
    }

    /// <summary>FULLY_CONNECTED: rows of the flattened input times the [out, in] weights, plus bias.</summary>
    public static float[] FullyConnected(float[] x, float[] w, int units, int depth, float[]? bias)
    {
        int rows = x.Length / depth;
        var y = new float[rows * units];
        for (int r = 0; r < rows; r++)
        for (int u = 0; u < units; u++)
        {
            double sum = bias?[u] ?? 0;
            for (int k = 0; k < depth; k++) sum += x[r * depth + k] * (double)w[u * depth + k];
            y[r * units + u] = (float)sum;
        }
        return y;
    }

    /// <summary>AVERAGE_POOL_2D (averaging the in-bounds cells only) and MAX_POOL_2D.</summary>
    public static float[] Pool(float[] x, int[] xs, int filterH, int filterW, int strideH, int strideW, TflitePadding padding, bool max, out int[] ys)
    {
        int n = xs[0], h = xs[1], wd = xs[2], c = xs[3];
        int oh = OutputSize(padding, h, filterH, strideH, 1), ow = OutputSize(padding, wd, filterW, strideW, 1);
        int top = PadBefore(padding, h, filterH, strideH, 1), left = PadBefore(padding, wd, filterW, strideW, 1);
        ys = [n, oh, ow, c];
        var y = new float[n * oh * ow * c];
        for (int b = 0; b < n; b++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            float best = float.NegativeInfinity;
            int count = 0;
            for (int ky = 0; ky < filterH; ky++)
            for (int kx = 0; kx < filterW; kx++)
            {
                int iy = oy * strideH - top + ky, ix = ox * strideW - left + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                float v = x[((b * h + iy) * wd + ix) * c + ch];
                sum += v;
                best = Math.Max(best, v);
                count++;
            }
            y[((b * oh + oy) * ow + ox) * c + ch] = max ? best : (float)(sum / count);
        }
        return y;
    }

    /// <summary>A reduction mean over <paramref name="axes"/> of a row-major tensor (result keeps the other axes in order).</summary>
    public static float[] Mean(float[] x, int[] xs, int[] axes, out int[] kept)
    {
        int rank = xs.Length;
        kept = xs.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray();
        var sums = new double[kept.Aggregate(1, (a, b) => a * b)];
        var index = new int[rank];
        for (int i = 0; i < x.Length; i++)
        {
            int o = 0;
            for (int d = 0; d < rank; d++) o = o * kept[d] + (axes.Contains(d) ? 0 : index[d]);
            sums[o] += x[i];
            for (int d = rank - 1; d >= 0 && ++index[d] == xs[d]; d--) index[d] = 0;
        }
        int reduced = axes.Aggregate(1, (a, d) => a * xs[d]);
        return sums.Select(s => (float)(s / reduced)).ToArray();
    }

    /// <summary>Concatenation of NHWC tensors along <paramref name="axis"/>.</summary>
    public static float[] Concat(float[][] parts, int[][] shapes, int axis)
    {
        int outer = shapes[0][..axis].Aggregate(1, (a, b) => a * b);
        var y = new List<float>();
        for (int o = 0; o < outer; o++)
            for (int p = 0; p < parts.Length; p++)
            {
                int block = shapes[p][axis..].Aggregate(1, (a, b) => a * b);
                y.AddRange(parts[p].AsSpan(o * block, block).ToArray());
            }
        return [.. y];
    }

    /// <summary>Zero padding of a 4-D NHWC tensor: paddings [[before, after] × 4].</summary>
    public static float[] Pad(float[] x, int[] xs, int[] paddings, out int[] ys)
    {
        ys = Enumerable.Range(0, 4).Select(d => xs[d] + paddings[2 * d] + paddings[2 * d + 1]).ToArray();
        var y = new float[ys.Aggregate(1, (a, b) => a * b)];
        for (int b = 0; b < xs[0]; b++)
        for (int i = 0; i < xs[1]; i++)
        for (int j = 0; j < xs[2]; j++)
        for (int c = 0; c < xs[3]; c++)
            y[(((b + paddings[0]) * ys[1] + i + paddings[2]) * ys[2] + j + paddings[4]) * ys[3] + c + paddings[6]]
                = x[((b * xs[1] + i) * xs[2] + j) * xs[3] + c];
        return y;
    }

    /// <summary>SOFTMAX over the last axis with beta.</summary>
    public static float[] Softmax(float[] x, int last, float beta)
    {
        var y = new float[x.Length];
        for (int r = 0; r < x.Length / last; r++)
        {
            double maxValue = double.NegativeInfinity, sum = 0;
            for (int i = 0; i < last; i++) maxValue = Math.Max(maxValue, x[r * last + i]);
            for (int i = 0; i < last; i++) sum += Math.Exp(beta * (x[r * last + i] - maxValue));
            for (int i = 0; i < last; i++) y[r * last + i] = (float)(Math.Exp(beta * (x[r * last + i] - maxValue)) / sum);
        }
        return y;
    }

    /// <summary>A fused activation applied elementwise.</summary>
    public static float Activate(TfliteActivation activation, float v) => activation switch
    {
        TfliteActivation.RELU => Math.Max(v, 0),
        TfliteActivation.RELU6 => Math.Clamp(v, 0, 6),
        TfliteActivation.RELU_N1_TO_1 => Math.Clamp(v, -1, 1),
        TfliteActivation.TANH => MathF.Tanh(v),
        _ => v,
    };

    /// <summary>HARD_SWISH: x · relu6(x + 3) / 6.</summary>
    public static float HardSwish(float v) => v * Math.Clamp(v + 3, 0, 6) / 6;

    /// <summary>LOGISTIC: 1 / (1 + e^−x).</summary>
    public static float Logistic(float v) => (float)(1 / (1 + Math.Exp(-v)));

    /// <summary>NHWC → NCHW for comparing an NCHW tap.</summary>
    public static float[] ToNchw(float[] x, int[] xs)
    {
        var y = new float[x.Length];
        for (int b = 0; b < xs[0]; b++)
        for (int i = 0; i < xs[1]; i++)
        for (int j = 0; j < xs[2]; j++)
        for (int c = 0; c < xs[3]; c++)
            y[((b * xs[3] + c) * xs[1] + i) * xs[2] + j] = x[((b * xs[1] + i) * xs[2] + j) * xs[3] + c];
        return y;
    }
}
