namespace Pipeline.Imaging.Jpeg;

/// <summary>How a component's rows become full-resolution rows (libjpeg's jdsample.c choices).</summary>
internal enum UpsampleMethod
{
    /// <summary>Same size as the output: used in place.</summary>
    None,

    /// <summary>2:1 horizontal triangle filter (h2v1_fancy_upsample).</summary>
    FancyH2V1,

    /// <summary>2:1 vertical triangle filter (h1v2_fancy_upsample).</summary>
    FancyH1V2,

    /// <summary>2:1 both ways, triangle filter (h2v2_fancy_upsample).</summary>
    FancyH2V2,

    /// <summary>Integral replication ("box filter", int_upsample / h2v1_upsample / h2v2_upsample).</summary>
    Replicate,
}

/// <summary>
/// Row functions of the "fancy" (triangle) upsampling libjpeg uses by default, with its alternating 0.5 rounding
/// biases so the output matches djpeg exactly, plus plain replication. Edges replicate the first and last sample,
/// which is what libjpeg's special-cased first and last columns compute.
/// </summary>
internal static unsafe partial class JpegUpsampler
{
    /// <summary>
    /// h2v1: <paramref name="width"/> input samples (at least 2) → 2 × width outputs:
    /// out[2i] = (3·in[i] + in[i-1] + 1) / 4, out[2i+1] = (3·in[i] + in[i+1] + 2) / 4.
    /// </summary>
    public static void FancyH2V1(byte* input, int width, byte* output)
    {
        FancyH2V1Scalar(input, width, output, 0, 1);
        int done = JpegSimd.Vector256 ? FancyH2V1Vector256(input, width, output) : 1;
        FancyH2V1Scalar(input, width, output, done, width);
    }

    /// <summary>The naive reference, for input columns [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public static void FancyH2V1Scalar(byte* input, int width, byte* output, int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            int here = input[i] * 3;
            int left = input[i > 0 ? i - 1 : 0];
            int right = input[i < width - 1 ? i + 1 : width - 1];
            output[2 * i] = (byte)((here + left + 1) >> 2);
            output[2 * i + 1] = (byte)((here + right + 2) >> 2);
        }
    }

    /// <summary>
    /// h1v2: out = (3·near + far + bias) / 4, where <paramref name="far"/> is the row above (bias 1) for the upper
    /// output row and the row below (bias 2) for the lower one.
    /// </summary>
    public static void FancyH1V2(byte* near, byte* far, int width, bool upper, byte* output)
    {
        int done = JpegSimd.Vector256 ? FancyH1V2Vector256(near, far, width, upper, output) : 0;
        FancyH1V2Scalar(near, far, width, upper, output, done);
    }

    public static void FancyH1V2Scalar(byte* near, byte* far, int width, bool upper, byte* output, int start = 0)
    {
        int bias = upper ? 1 : 2;
        for (int i = start; i < width; i++)
            output[i] = (byte)((near[i] * 3 + far[i] + bias) >> 2);
    }

    /// <summary>
    /// h2v2: column sums c = 3·near + far, then out[2i] = (3·c[i] + c[i-1] + 8) / 16 and
    /// out[2i+1] = (3·c[i] + c[i+1] + 7) / 16, for <paramref name="width"/> input samples (at least 2).
    /// </summary>
    public static void FancyH2V2(byte* near, byte* far, int width, byte* output)
    {
        FancyH2V2Scalar(near, far, width, output, 0, 1);
        int done = JpegSimd.Vector256 ? FancyH2V2Vector256(near, far, width, output) : 1;
        FancyH2V2Scalar(near, far, width, output, done, width);
    }

    /// <summary>The naive reference, for input columns [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public static void FancyH2V2Scalar(byte* near, byte* far, int width, byte* output, int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            int l = i > 0 ? i - 1 : 0, r = i < width - 1 ? i + 1 : width - 1;
            int here = near[i] * 3 + far[i];
            int left = near[l] * 3 + far[l];
            int right = near[r] * 3 + far[r];
            output[2 * i] = (byte)((here * 3 + left + 8) >> 4);
            output[2 * i + 1] = (byte)((here * 3 + right + 7) >> 4);
        }
    }

    /// <summary>Repeats each of the input samples <paramref name="factor"/> times until <paramref name="outputWidth"/> samples exist.</summary>
    public static void Replicate(byte* input, int factor, byte* output, int outputWidth)
    {
        if (factor == 1)
        {
            Buffer.MemoryCopy(input, output, outputWidth, outputWidth);
            return;
        }
        for (int x = 0, i = 0; x < outputWidth; i++)
        {
            byte v = input[i];
            for (int f = 0; f < factor && x < outputWidth; f++) output[x++] = v;
        }
    }
}
