using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pipeline.Imaging.Processing;

/// <summary>
/// Separable two-pass resampling of 8-bit interleaved images (3 or 4 bytes per pixel) along a <see cref="ResizePlan"/>.
/// For each output row, the vertical pass blends the source rows under the row's kernel into one float row (only the
/// columns the horizontal pass reads), and the horizontal pass blends that row's pixels into the output row. Doing the
/// vertical pass first keeps its inner loop on contiguous bytes, where vectors are widest; no intermediate image is
/// stored, only one float row (rented, reused for every row). Floats are rounded to bytes once, at the end.
/// </summary>
/// <remarks>
/// Every <see cref="SimdLevel"/> gives bit-identical output: both passes use fused multiply-adds, the vertical pass
/// sums taps in order per sample, and the horizontal pass keeps four partial sums (taps 4g, 4g+1, 4g+2, 4g+3) that it
/// adds as (s0 + s2) + (s1 + s3) — the order a 512-bit vector's halves fold in.
/// </remarks>
internal static unsafe partial class Resampler
{
    /// <summary>Zeroed floats after the float row: the padded taps and the wide loads of the horizontal pass read them.</summary>
    private const int RowSlack = 32;

    /// <summary>
    /// The most floats a weight table may take (16 MB). Ordinary resizes use a few hundred KB; only degenerate shapes
    /// (a 1 × 100,000,000 image shrunk to 224 rows needs 1.6 GB of vertical weights) exceed it, and those are first
    /// box-reduced along the offending axis.
    /// </summary>
    internal const long WeightBudget = 4 << 20;

    /// <summary>
    /// Resamples <paramref name="source"/> into <paramref name="destination"/> (<c>plan.X.OutSize × plan.Y.OutSize</c>
    /// pixels of the same layout), filling the plan's padding with <paramref name="padColor"/> (alpha 255).
    /// </summary>
    public static void Resample(ReadOnlySpan<byte> source, int sourceWidth, int sourceHeight, int bytesPerPixel,
        Span<byte> destination, in ResizePlan plan, ResamplingFilter filter, RgbColor padColor, SimdLevel level = SimdLevel.Vector512)
    {
        if (bytesPerPixel is not (3 or 4)) throw new ArgumentOutOfRangeException(nameof(bytesPerPixel), bytesPerPixel, "Only 3 or 4 bytes per pixel.");
        if (source.Length != (long)sourceWidth * sourceHeight * bytesPerPixel)
            throw new ArgumentException($"The source must hold {sourceWidth}x{sourceHeight}x{bytesPerPixel} bytes.", nameof(source));
        AxisMapping x = plan.X, y = plan.Y;
        int outStride = x.OutSize * bytesPerPixel;
        if (destination.Length != (long)outStride * y.OutSize)
            throw new ArgumentException($"The destination must hold {x.OutSize}x{y.OutSize}x{bytesPerPixel} bytes.", nameof(destination));
        level = SimdSupport.Clamp(level);

        int reduceX = ReductionFactor(x, filter, expanded: true), reduceY = ReductionFactor(y, filter, expanded: false);
        if (reduceX > 1 || reduceY > 1)
        {
            // PIL's reducing_gap: average whole k×k blocks first, then resample the smaller image at scale / k.
            int reducedWidth = (sourceWidth + reduceX - 1) / reduceX, reducedHeight = (sourceHeight + reduceY - 1) / reduceY;
            int reducedBytes = reducedWidth * reducedHeight * bytesPerPixel;
            byte[] reduced = ArrayPool<byte>.Shared.Rent(reducedBytes);
            try
            {
                BoxReduce(source, sourceWidth, sourceHeight, bytesPerPixel, reduceX, reduceY, reduced.AsSpan(0, reducedBytes));
                var smaller = new ResizePlan(
                    x with { SourceStart = x.SourceStart / reduceX, Scale = x.Scale / reduceX },
                    y with { SourceStart = y.SourceStart / reduceY, Scale = y.Scale / reduceY });
                Resample(reduced.AsSpan(0, reducedBytes), reducedWidth, reducedHeight, bytesPerPixel, destination, smaller, filter, padColor, level);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(reduced);
            }
            return;
        }

        AxisWeights columns = AxisWeights.Create(sourceWidth, x, filter, expanded: true);
        AxisWeights rows = AxisWeights.Create(sourceHeight, y, filter, expanded: false);
        int rowFloats = (columns.SourceHigh - columns.SourceLow) * bytesPerPixel;
        float[] rowBuffer = ArrayPool<float>.Shared.Rent(rowFloats + RowSlack);
        try
        {
            Array.Clear(rowBuffer, rowFloats, RowSlack);
            Span<byte> pad = [padColor.R, padColor.G, padColor.B, 255];
            fixed (byte* src = source)
            fixed (byte* dst = destination)
            fixed (float* row = rowBuffer)
            fixed (float* rowWeights = rows.Weights)
            {
                int sourceStride = sourceWidth * bytesPerPixel;
                for (int oy = 0; oy < y.OutSize; oy++)
                {
                    byte* outRow = dst + (nint)oy * outStride;
                    int j = oy - y.ContentStart;
                    if (j < 0 || j >= y.ContentCount)
                    {
                        Fill(outRow, x.OutSize, bytesPerPixel, pad);
                        continue;
                    }
                    if (j > 0 && oy > y.ContentStart && SameTaps(rows, j - 1, j))
                    {
                        // Same source rows, same weights (upscaling a thin image): the output row is the previous one.
                        new ReadOnlySpan<byte>(outRow - outStride, outStride).CopyTo(new Span<byte>(outRow, outStride));
                        continue;
                    }
                    byte* firstRow = src + (nint)rows.Start[j] * sourceStride + columns.SourceLow * bytesPerPixel;
                    Vertical(firstRow, sourceStride, rowWeights + j * rows.Stride, rows.Taps[j], row, rowFloats, level);
                    Fill(outRow, x.ContentStart, bytesPerPixel, pad);
                    Horizontal(row, bytesPerPixel, columns, outRow + x.ContentStart * bytesPerPixel, level);
                    int after = x.ContentStart + x.ContentCount;
                    Fill(outRow + after * bytesPerPixel, x.OutSize - after, bytesPerPixel, pad);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rowBuffer);
        }
    }

    /// <summary>Whether content rows <paramref name="a"/> and <paramref name="b"/> blend the same source rows with the same weights.</summary>
    private static bool SameTaps(AxisWeights rows, int a, int b)
        => rows.Start[a] == rows.Start[b] && rows.Taps[a] == rows.Taps[b]
           && rows.Weights.AsSpan(a * rows.Stride, rows.Taps[a]).SequenceEqual(rows.Weights.AsSpan(b * rows.Stride, rows.Taps[b]));

    /// <summary>The smallest power-of-two box factor that keeps <paramref name="mapping"/>'s weight table within <see cref="WeightBudget"/>.</summary>
    internal static int ReductionFactor(in AxisMapping mapping, ResamplingFilter filter, bool expanded)
    {
        int factor = 1;
        while (factor < 1 << 24 && mapping.Scale / factor > 2
               && AxisWeights.TableFloats(mapping with { Scale = mapping.Scale / factor }, filter, expanded) > WeightBudget)
        {
            factor *= 2;
        }
        return factor;
    }

    /// <summary>
    /// Averages each <paramref name="kx"/> × <paramref name="ky"/> block (the blocks at the right and bottom edges may be
    /// smaller) into one pixel, rounding half up. Only degenerate shapes come here, so it is plain scalar code.
    /// </summary>
    private static void BoxReduce(ReadOnlySpan<byte> source, int width, int height, int bytesPerPixel, int kx, int ky, Span<byte> destination)
    {
        int reducedWidth = (width + kx - 1) / kx, reducedHeight = (height + ky - 1) / ky;
        long[] sums = ArrayPool<long>.Shared.Rent(reducedWidth * bytesPerPixel);
        try
        {
            for (int oy = 0; oy < reducedHeight; oy++)
            {
                Span<long> row = sums.AsSpan(0, reducedWidth * bytesPerPixel);
                row.Clear();
                int y0 = oy * ky, y1 = Math.Min(height, y0 + ky);
                for (int sy = y0; sy < y1; sy++)
                {
                    ReadOnlySpan<byte> line = source.Slice(sy * width * bytesPerPixel, width * bytesPerPixel);
                    for (int sx = 0; sx < width; sx++)
                    {
                        int o = sx / kx * bytesPerPixel;
                        for (int c = 0; c < bytesPerPixel; c++) row[o + c] += line[sx * bytesPerPixel + c];
                    }
                }
                for (int ox = 0; ox < reducedWidth; ox++)
                {
                    long count = (long)(Math.Min(width, (ox + 1) * kx) - ox * kx) * (y1 - y0);
                    for (int c = 0; c < bytesPerPixel; c++)
                        destination[(oy * reducedWidth + ox) * bytesPerPixel + c] = (byte)((row[ox * bytesPerPixel + c] + count / 2) / count);
                }
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(sums);
        }
    }

    /// <summary>
    /// output[i] = Σₖ weights[k] · rows[k·stride + i] for i in [0, length): the vertical pass over
    /// <paramref name="taps"/> source rows, summed in tap order with fused multiply-adds.
    /// </summary>
    private static void Vertical(byte* rows, nint stride, float* weights, int taps, float* output, int length, SimdLevel level)
    {
        int i = 0;
        if (level == SimdLevel.Vector512) VerticalVector512(rows, stride, weights, taps, output, length, ref i);
        else if (level == SimdLevel.Vector256) VerticalVector256(rows, stride, weights, taps, output, length, ref i);
        else if (level == SimdLevel.Vector128) VerticalVector128(rows, stride, weights, taps, output, length, ref i);
        for (; i < length; i++)
        {
            float sum = 0;
            byte* p = rows + i;
            for (int k = 0; k < taps; k++, p += stride) sum = MathF.FusedMultiplyAdd(*p, weights[k], sum);
            output[i] = sum;
        }
    }

    /// <summary>The horizontal pass: blends the float row into <see cref="AxisWeights.Count"/> output pixels.</summary>
    private static void Horizontal(float* row, int bytesPerPixel, AxisWeights columns, byte* output, SimdLevel level)
    {
        fixed (float* weights = columns.Weights)
        fixed (int* start = columns.Start)
        fixed (int* taps = columns.Taps)
        {
            var pass = new HorizontalPass(row, bytesPerPixel, weights, columns.Stride, start, taps, columns.SourceLow, output);
            switch (level)
            {
                case SimdLevel.Vector512: HorizontalVector512(pass, columns.Count); break;
                case SimdLevel.Vector256: HorizontalVector256(pass, columns.Count); break;
                case SimdLevel.Vector128: HorizontalVector128(pass, columns.Count); break;
                default: HorizontalScalar(pass, columns.Count); break;
            }
        }
    }

    /// <summary>The arguments every width of the horizontal pass shares.</summary>
    private readonly struct HorizontalPass(float* row, int bytesPerPixel, float* weights, int stride, int* start, int* taps, int low, byte* output)
    {
        public readonly int BytesPerPixel = bytesPerPixel;

        /// <summary>The first float of content pixel <paramref name="i"/>'s window in the float row.</summary>
        public float* Source(int i) => row + (start[i] - low) * BytesPerPixel;

        /// <summary>Content pixel <paramref name="i"/>'s expanded weights (4 floats per tap).</summary>
        public float* Weights(int i) => weights + (nint)i * stride;

        /// <summary>Content pixel <paramref name="i"/>'s number of 4-tap groups.</summary>
        public int Groups(int i) => (taps[i] + 3) >> 2;

        /// <summary>Where content pixel <paramref name="i"/> is written.</summary>
        public byte* Output(int i) => output + i * BytesPerPixel;
    }

    private static void HorizontalScalar(in HorizontalPass pass, int count)
    {
        int bpp = pass.BytesPerPixel;
        for (int i = 0; i < count; i++)
        {
            float* w = pass.Weights(i);
            int groups = pass.Groups(i);
            byte* o = pass.Output(i);
            for (int c = 0; c < bpp; c++)
            {
                float* s = pass.Source(i) + c;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int g = 0; g < groups; g++, s += 4 * bpp)
                {
                    float* wg = w + 16 * g;
                    s0 = MathF.FusedMultiplyAdd(s[0], wg[0], s0);
                    s1 = MathF.FusedMultiplyAdd(s[bpp], wg[4], s1);
                    s2 = MathF.FusedMultiplyAdd(s[2 * bpp], wg[8], s2);
                    s3 = MathF.FusedMultiplyAdd(s[3 * bpp], wg[12], s3);
                }
                o[c] = ToByte((s0 + s2) + (s1 + s3));
            }
        }
    }

    /// <summary>Rounds a blended sample to 8 bits: clamp to [0, 255], add one half, truncate (every path does exactly this).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte ToByte(float value) => (byte)(int)(Math.Clamp(value, 0f, 255f) + 0.5f);

    /// <summary>Writes a pixel's 3 or 4 blended channels, rounded as <see cref="ToByte"/> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePixel(Vector128<float> sum, byte* output, int bytesPerPixel)
    {
        Vector128<int> rounded = Vector128.ConvertToInt32(Vector128.Min(Vector128.Max(sum, Vector128<float>.Zero), Vector128.Create(255f)) + Vector128.Create(0.5f));
        output[0] = (byte)rounded.GetElement(0);
        output[1] = (byte)rounded.GetElement(1);
        output[2] = (byte)rounded.GetElement(2);
        if (bytesPerPixel == 4) output[3] = (byte)rounded.GetElement(3);
    }

    private static void Fill(byte* output, int pixels, int bytesPerPixel, ReadOnlySpan<byte> color)
    {
        for (int p = 0; p < pixels; p++, output += bytesPerPixel)
        {
            for (int c = 0; c < bytesPerPixel; c++) output[c] = color[c];
        }
    }
}
