using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Tensors.Kernels.Pooling;

/// <summary>
/// The fast path of float max and average pooling on 1-d/2-d planes. On AVX-512, at stride 1 or 2 and width dilation 1,
/// each output row is separable: its window's rows are reduced into a padded buffer, then all its columns are one
/// vector pass over it (or with no buffer: rows of at most 32 columns at stride 1 stay in registers, and stride-2
/// windows at most 3 wide slide along the row, Pool2dFloat.Stride2.cs). Otherwise columns whose whole window lies inside the input row are computed 16, 8 or 4 at a
/// time (stride 1 loads; stride 2 loads two vectors and keeps the even lanes), the border columns one by one. Same
/// results as <see cref="PoolingKernel"/>'s reducers (max exactly; the sum is in float here, in another order).
/// </summary>
internal static unsafe partial class Pool2dFloat
{
    /// <summary>True when the fast path handles this pooling.</summary>
    public static bool Supports(PoolGeometry g, Isa isa) => g.Rank <= 2 && isa != Isa.Scalar;

    /// <summary>Pools one plane. <paramref name="average"/> selects mean (else max).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Plane(PoolWindows windows, float* input, float* output, bool average, bool countIncludePad, Isa isa)
    {
        PoolGeometry g = windows.Geometry;
        bool is2d = g.Rank == 2;
        int outH = is2d ? g.OutputSize[0] : 1, outW = g.OutputSize[^1];
        int inW = g.InputSize[^1];
        int dH = is2d ? g.Dilations[0] : 1, dW = g.Dilations[^1];
        int kW = g.KernelSize[^1], sW = g.Strides[^1];
        int wAxis = g.Rank - 1;
        int[] startW = windows.Start[wAxis], firstW = windows.First[wAxis], endW = windows.End[wAxis], paddedW = windows.PaddedCount[wAxis];

        // Max and average at stride 1 or 2 on AVX-512 (Inception's padded module pools, the stem pools of SqueezeNet,
        // ResNet, Inception, ShuffleNet): every output row is separable, see PlaneSeparable.
        if (isa == Isa.Avx512 && sW == 1 && dW == 1 && FitsInRegisters(windows))
        {
            if (average) PlaneInRegisters<SumReduction>(windows, input, output, countIncludePad);
            else PlaneInRegisters<MaxReduction>(windows, input, output, countIncludePad);
            return;
        }
        if (isa == Isa.Avx512 && SlidesAtStride2(g))
        {
            if (average) PlaneStride2<SumReduction>(windows, input, output, countIncludePad);
            else PlaneStride2<MaxReduction>(windows, input, output, countIncludePad);
            return;
        }
        if (isa == Isa.Avx512 && sW <= 2 && dW == 1 && kW <= MaxBufferLength && SeparableBufferLength(outW, kW, sW) <= MaxBufferLength)
        {
            if (average) PlaneSeparable<SumReduction>(windows, input, output, countIncludePad);
            else PlaneSeparable<MaxReduction>(windows, input, output, countIncludePad);
            return;
        }

        // Interior columns: every tap inside the row. They form one contiguous range.
        int lo = 0;
        while (lo < outW && !(firstW[lo] == 0 && endW[lo] == kW)) lo++;
        int hi = lo;
        while (hi < outW && firstW[hi] == 0 && endW[hi] == kW) hi++;

        for (int oh = 0; oh < outH; oh++)
        {
            int startH = is2d ? windows.Start[0][oh] : 0, firstH = is2d ? windows.First[0][oh] : 0;
            int endH = is2d ? windows.End[0][oh] : 1, paddedH = is2d ? windows.PaddedCount[0][oh] : 1;
            float* orow = output + (long)oh * outW;
            float* rowBase = input + (long)startH * inW;
            int rowStep = dH * inW;
            int validH = endH - firstH;

            int ow = 0;
            for (; ow < lo; ow++) orow[ow] = Scalar(ow);
            float divisor = (countIncludePad ? paddedH : validH) * kW;
            if (validH > 0)
            {
                float* rows = rowBase + (long)firstH * rowStep;
                // A remainder narrower than a vector is recomputed as one last vector overlapping the previous one: pooling
                // only writes, so the overlap stores the same values again, and no column is left to the scalar loop.
                if (sW == 1)
                {
                    int width = isa == Isa.Avx512 ? 16 : isa == Isa.Avx2 ? 8 : 4;
                    ow = InteriorStride1(rows, rowStep, validH, orow, ow, hi, startW, kW, dW, average, divisor, isa);
                    if (ow < hi && hi - lo >= width) ow = InteriorStride1(rows, rowStep, validH, orow, hi - width, hi, startW, kW, dW, average, divisor, isa);
                }
                else if (sW == 2 && isa == Isa.Avx512)
                {
                    ow = InteriorStride2(rows, rowStep, validH, orow, ow, hi, startW, kW, dW, average, divisor);
                    if (ow < hi && hi - lo >= 16) ow = InteriorStride2(rows, rowStep, validH, orow, hi - 16, hi, startW, kW, dW, average, divisor);
                    else if (ow < hi) ow = NarrowStride2(rows, rowStep, validH, orow, ow, hi, startW, kW, dW, average, divisor);
                }
            }
            for (; ow < outW; ow++) orow[ow] = Scalar(ow);

            float Scalar(int column)
            {
                float best = float.NegativeInfinity, sum = 0f;
                bool any = false;
                for (int th = firstH; th < endH; th++)
                {
                    float* row = rowBase + (long)th * rowStep;
                    for (int tw = firstW[column]; tw < endW[column]; tw++)
                    {
                        float v = row[startW[column] + tw * dW];
                        sum += v;
                        if (!any || v > best) best = v;
                        any = true;
                    }
                }
                if (!average) return best;
                int count = countIncludePad ? paddedH * paddedW[column] : validH * (endW[column] - firstW[column]);
                return count == 0 ? 0f : sum / count;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int InteriorStride1(float* rows, int rowStep, int validH, float* orow, int ow, int hi, int[] startW, int kW, int dW,
        bool average, float divisor, Isa isa)
    {
        if (isa == Isa.Avx512)
            for (; ow + 16 <= hi; ow += 16)
            {
                Vector512<float> acc = average ? Vector512<float>.Zero : Vector512.Create(float.NegativeInfinity);
                for (int th = 0; th < validH; th++)
                {
                    float* src = rows + (long)th * rowStep + startW[ow];
                    for (int tw = 0; tw < kW; tw++)
                    {
                        Vector512<float> v = Vector512.Load(src + tw * dW);
                        acc = average ? acc + v : Avx512F.Max(acc, v);
                    }
                }
                (average ? acc / divisor : acc).Store(orow + ow);
            }
        if (isa >= Isa.Avx2)
            for (; ow + 8 <= hi; ow += 8)
            {
                Vector256<float> acc = average ? Vector256<float>.Zero : Vector256.Create(float.NegativeInfinity);
                for (int th = 0; th < validH; th++)
                {
                    float* src = rows + (long)th * rowStep + startW[ow];
                    for (int tw = 0; tw < kW; tw++)
                    {
                        Vector256<float> v = Vector256.Load(src + tw * dW);
                        acc = average ? acc + v : Vector256.MaxNative(acc, v);
                    }
                }
                (average ? acc / divisor : acc).Store(orow + ow);
            }
        for (; ow + 4 <= hi; ow += 4)
        {
            Vector128<float> acc = average ? Vector128<float>.Zero : Vector128.Create(float.NegativeInfinity);
            for (int th = 0; th < validH; th++)
            {
                float* src = rows + (long)th * rowStep + startW[ow];
                for (int tw = 0; tw < kW; tw++)
                {
                    Vector128<float> v = Vector128.Load(src + tw * dW);
                    acc = average ? acc + v : Vector128.MaxNative(acc, v);
                }
            }
            (average ? acc / divisor : acc).Store(orow + ow);
        }
        return ow;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int InteriorStride2(float* rows, int rowStep, int validH, float* orow, int ow, int hi, int[] startW, int kW, int dW,
        bool average, float divisor)
    {
        Vector512<int> evens = Vector512<int>.Indices * 2;
        // 16 outputs read 31 inputs per tap: a full load and a 15-lane masked load (never past the row), then the evens.
        // (Masking the tail chunk too measured slower than finishing it in scalar code on Zen 5.)
        Vector512<float> highMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(15)).AsSingle();
        for (; ow + 16 <= hi; ow += 16)
        {
            Vector512<float> acc = average ? Vector512<float>.Zero : Vector512.Create(float.NegativeInfinity);
            for (int th = 0; th < validH; th++)
            {
                float* src = rows + (long)th * rowStep + startW[ow];
                for (int tw = 0; tw < kW; tw++)
                {
                    float* tap = src + tw * dW;
                    Vector512<float> v = Avx512F.PermuteVar16x32x2(Vector512.Load(tap), evens, Avx512F.MaskLoad(tap + 16, highMask, Vector512<float>.Zero));
                    acc = average ? acc + v : Avx512F.Max(acc, v);
                }
            }
            (average ? acc / divisor : acc).Store(orow + ow);
        }
        return ow;
    }

    /// <summary>The largest row buffer (floats) <see cref="PlaneSeparable"/> takes on the stack; wider rows use the tap loop.</summary>
    private const int MaxBufferLength = 4096;

    /// <summary>
    /// Buffer floats for a row of <paramref name="outW"/> outputs: 16 outputs at a time read, at each of the
    /// <paramref name="kW"/> taps, one vector (stride 1) or two (stride 2) from column stride·16·group + tap on, so the
    /// last of g groups reads up to column 16g + kW − 2 (stride 1) or 32g + kW − 2 (stride 2).
    /// </summary>
    private static int SeparableBufferLength(int outW, int kW, int stride)
    {
        int groups = (outW + 15) / 16;
        return stride == 1 ? 16 * groups + kW : 32 * groups + kW;
    }

    /// <summary>A reduction a separable row pass can use: associative, with an identity that padding reads as.</summary>
    private interface ISeparableReduction
    {
        static abstract Vector512<float> Identity { get; }

        static abstract Vector512<float> Combine(Vector512<float> a, Vector512<float> b);
    }

    private readonly struct MaxReduction : ISeparableReduction
    {
        public static Vector512<float> Identity => Vector512.Create(float.NegativeInfinity);

        public static Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => Avx512F.Max(a, b);
    }

    private readonly struct SumReduction : ISeparableReduction
    {
        public static Vector512<float> Identity => Vector512<float>.Zero;

        public static Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => a + b;
    }

    /// <summary>
    /// One plane of a max or sum-then-divide pool at stride 1 or 2 and dilation 1 in width: output column o of a row
    /// takes input columns [start + stride·o, start + stride·o + kW) of each of its window's valid rows, where start may be
    /// negative (left padding). Per output row, the valid rows are first reduced column by column into a buffer whose
    /// column j holds input column start + j; the buffer is filled with the reduction's identity once, so columns
    /// outside the row (padding, ceil mode, vector slack) keep it and the window pass needs no masks. An average divides
    /// each output by its window's taps along the column times those along the row (padding counted or not).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PlaneSeparable<TReduction>(PoolWindows windows, float* input, float* output, bool countIncludePad)
        where TReduction : struct, ISeparableReduction
    {
        bool average = typeof(TReduction) == typeof(SumReduction);
        (int outH, int outW, int inW, int rowStep, int kW, int start) = RowShape(windows);
        int stride = windows.Geometry.Strides[^1];

        int bufferLength = SeparableBufferLength(outW, kW, stride);
        float* buffer = stackalloc float[bufferLength];
        new Span<float>(buffer, bufferLength).Fill(average ? 0f : float.NegativeInfinity);
        int countLength = average ? 16 * ((outW + 15) / 16) : 0;
        float* columnCounts = stackalloc float[countLength];
        ColumnCounts(windows, countIncludePad, new Span<float>(columnCounts, countLength));

        // Columns past the buffer are in no window.
        int offset = -start, columns = Math.Min(offset + inW, bufferLength) - offset;
        float* reduced = buffer + offset;
        int wholeColumns = columns & ~15, wholeOutputs = outW & ~15;
        Vector512<float> columnTail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(columns - wholeColumns)).AsSingle();
        Vector512<float> outputTail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(outW - wholeOutputs)).AsSingle();
        Vector512<int> evens = Vector512<int>.Indices * 2;

        for (int oh = 0; oh < outH; oh++)
        {
            float* orow = output + (long)oh * outW;
            float* rows = WindowRows(windows, oh, input, orow, average, out int validH);
            if (rows == null) continue;
            for (int c = 0; c < wholeColumns; c += 16)
            {
                Vector512<float> acc = Vector512.Load(rows + c);
                for (int th = 1; th < validH; th++) acc = TReduction.Combine(acc, Vector512.Load(rows + (long)th * rowStep + c));
                acc.Store(reduced + c);
            }
            if (wholeColumns < columns)
            {
                Vector512<float> acc = Avx512F.MaskLoad(rows + wholeColumns, columnTail, TReduction.Identity);
                for (int th = 1; th < validH; th++)
                    acc = TReduction.Combine(acc, Avx512F.MaskLoad(rows + (long)th * rowStep + wholeColumns, columnTail, TReduction.Identity));
                Avx512F.MaskStore(reduced + wholeColumns, columnTail, acc);
            }

            Vector512<float> rowCount = RowCount(windows, oh, validH, countIncludePad);
            for (int ow = 0; ow < wholeOutputs; ow += 16) Window(ow, rowCount).Store(orow + ow);
            if (wholeOutputs < outW) Avx512F.MaskStore(orow + wholeOutputs, outputTail, Window(wholeOutputs, rowCount));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector512<float> Window(int ow, Vector512<float> rowCount)
        {
            float* first = buffer + stride * ow;
            Vector512<float> acc = TReduction.Identity;
            if (stride == 1)
                for (int tw = 0; tw < kW; tw++) acc = TReduction.Combine(acc, Vector512.Load(first + tw));
            else
                for (int tw = 0; tw < kW; tw++)
                    acc = TReduction.Combine(acc, Avx512F.PermuteVar16x32x2(Vector512.Load(first + tw), evens, Vector512.Load(first + tw + 16)));
            return average ? acc / (rowCount * Vector512.Load(columnCounts + ow)) : acc;
        }
    }

    /// <summary>
    /// The first input row of output row <paramref name="oh"/>'s windows (its <paramref name="validH"/> valid rows follow
    /// at the height dilation's step), or null after filling the output row when the windows lie wholly in the top or
    /// bottom padding, which dilation in height allows: −∞ for max, 0 for average.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* WindowRows(PoolWindows windows, int oh, float* input, float* orow, bool average, out int validH)
    {
        PoolGeometry g = windows.Geometry;
        int inW = g.InputSize[^1];
        if (g.Rank != 2)
        {
            validH = 1;
            return input;
        }
        int firstH = windows.First[0][oh];
        validH = windows.End[0][oh] - firstH;
        if (validH == 0)
        {
            new Span<float>(orow, g.OutputSize[^1]).Fill(average ? 0f : float.NegativeInfinity);
            return null;
        }
        return input + (long)windows.Start[0][oh] * inW + (long)firstH * g.Dilations[0] * inW;
    }

    /// <summary>
    /// What the row passes need of the geometry: output rows and columns, the input row's length, the floats between a
    /// window's rows (height dilation included), the window's width, and the input column where the first window
    /// starts (negative in a left padding).
    /// </summary>
    private static (int OutH, int OutW, int InW, int RowStep, int KW, int Start) RowShape(PoolWindows windows)
    {
        PoolGeometry g = windows.Geometry;
        bool is2d = g.Rank == 2;
        int inW = g.InputSize[^1];
        return (is2d ? g.OutputSize[0] : 1, g.OutputSize[^1], inW, (is2d ? g.Dilations[0] : 1) * inW, g.KernelSize[^1], windows.Start[g.Rank - 1][0]);
    }

    /// <summary>
    /// Each output column's window taps along the row, one factor of an average's divisor (padding counted or not);
    /// 1 past the row's last output, where vectors overhang it.
    /// </summary>
    private static void ColumnCounts(PoolWindows windows, bool countIncludePad, Span<float> counts)
    {
        int wAxis = windows.Geometry.Rank - 1, outW = windows.Geometry.OutputSize[^1];
        int[] first = windows.First[wAxis], end = windows.End[wAxis], padded = windows.PaddedCount[wAxis];
        for (int ow = 0; ow < counts.Length; ow++) counts[ow] = ow >= outW ? 1 : countIncludePad ? padded[ow] : end[ow] - first[ow];
    }

    /// <summary>Output row <paramref name="oh"/>'s window taps along the column, the other factor of an average's divisor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> RowCount(PoolWindows windows, int oh, int validH, bool countIncludePad)
        => Vector512.Create((float)(windows.Geometry.Rank == 2 && countIncludePad ? windows.PaddedCount[0][oh] : validH));

    /// <summary>16 columns from <paramref name="first"/> on (masked lanes read as the identity), reduced over a window's <paramref name="validH"/> rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Rows<TReduction>(float* first, Vector512<float> mask, int validH, int rowStep)
        where TReduction : struct, ISeparableReduction
    {
        Vector512<float> acc = Avx512F.MaskLoad(first, mask, TReduction.Identity);
        if (validH == 3)
            return TReduction.Combine(TReduction.Combine(acc, Avx512F.MaskLoad(first + rowStep, mask, TReduction.Identity)),
                Avx512F.MaskLoad(first + 2 * rowStep, mask, TReduction.Identity));
        for (int th = 1; th < validH; th++) acc = TReduction.Combine(acc, Avx512F.MaskLoad(first + (long)th * rowStep, mask, TReduction.Identity));
        return acc;
    }

    /// <summary>
    /// True when, at stride 1, every input column a row's windows read lies in 32 lanes from the first window's start
    /// and the outputs fit 32 lanes: <see cref="PlaneInRegisters"/> applies (the 7×7 to 28×28 module pools of Inception).
    /// </summary>
    private static bool FitsInRegisters(PoolWindows windows)
    {
        PoolGeometry g = windows.Geometry;
        int outW = g.OutputSize[^1], kW = g.KernelSize[^1], inW = g.InputSize[^1];
        int start = windows.Start[g.Rank - 1][0];
        return outW <= 32 && kW <= 17 && Math.Min(inW - start, outW + kW - 1) <= 32;
    }

    /// <summary>
    /// <see cref="PlaneSeparable"/> for rows of at most 32 columns at stride 1, with the reduced row held in two vector
    /// registers instead of a buffer: lane j holds input column start + j, or the identity outside the row (masked loads
    /// from start on, which do not fault on the lanes they skip). Each window tap is then one two-source permute. On a
    /// small map the buffer's round trip cost more than the pooling itself: the window pass's unaligned loads waited on
    /// the masked store just before them, about 200 ns per 13×13 plane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PlaneInRegisters<TReduction>(PoolWindows windows, float* input, float* output, bool countIncludePad)
        where TReduction : struct, ISeparableReduction
    {
        bool average = typeof(TReduction) == typeof(SumReduction);
        (int outH, int outW, int inW, int rowStep, int kW, int start) = RowShape(windows);

        // Lane j of the low and high vectors reads input column start + j or start + 16 + j, when that is in the row.
        Vector512<float> lowMask = LaneMasks.InRow(start, inW), highMask = LaneMasks.InRow(start + 16, inW);
        bool twoGroups = outW > 16;
        Vector512<float> lowOutputs = LaneMasks.InRow(0, outW), highOutputs = LaneMasks.InRow(16, outW);
        Vector512<float> lowCounts = default, highCounts = default;
        if (average)
        {
            Span<float> counts = stackalloc float[32];
            ColumnCounts(windows, countIncludePad, counts);
            lowCounts = Vector512.Create((ReadOnlySpan<float>)counts[..16]);
            highCounts = Vector512.Create((ReadOnlySpan<float>)counts[16..]);
        }

        for (int oh = 0; oh < outH; oh++)
        {
            float* orow = output + (long)oh * outW;
            float* rows = WindowRows(windows, oh, input, orow, average, out int validH);
            if (rows == null) continue;
            rows += start;
            Vector512<float> low = Rows<TReduction>(rows, lowMask, validH, rowStep), high = Rows<TReduction>(rows + 16, highMask, validH, rowStep);

            Vector512<float> lowOut = TReduction.Identity, highOut = TReduction.Identity;
            for (int tw = 0; tw < kW; tw++)
            {
                Vector512<int> taps = Vector512<int>.Indices + Vector512.Create(tw);
                lowOut = TReduction.Combine(lowOut, Avx512F.PermuteVar16x32x2(low, taps, high));
                if (twoGroups) highOut = TReduction.Combine(highOut, Avx512F.PermuteVar16x32x2(high, taps, TReduction.Identity));
            }
            if (average)
            {
                Vector512<float> rowCount = RowCount(windows, oh, validH, countIncludePad);
                lowOut /= rowCount * lowCounts;
                highOut /= rowCount * highCounts;
            }
            Avx512F.MaskStore(orow, lowOutputs, lowOut);
            if (twoGroups) Avx512F.MaskStore(orow + 16, highOutputs, highOut);
        }
    }

    /// <summary>
    /// Fewer than 16 interior columns at stride 2 (a 13×13 map pooled from 27×27): one masked vector, reading only the
    /// 2·count − 1 inputs the windows cover, so a small plane does not fall back to the scalar loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int NarrowStride2(float* rows, int rowStep, int validH, float* orow, int ow, int hi, int[] startW, int kW, int dW,
        bool average, float divisor)
    {
        int count = hi - ow, span = 2 * count - 1;
        Vector512<int> evens = Vector512<int>.Indices * 2;
        Vector512<float> lowMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(span)).AsSingle();
        Vector512<float> highMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(span - 16)).AsSingle();
        Vector512<float> acc = average ? Vector512<float>.Zero : Vector512.Create(float.NegativeInfinity);
        for (int th = 0; th < validH; th++)
        {
            float* src = rows + (long)th * rowStep + startW[ow];
            for (int tw = 0; tw < kW; tw++)
            {
                float* tap = src + tw * dW;
                Vector512<float> v = Avx512F.PermuteVar16x32x2(Avx512F.MaskLoad(tap, lowMask, Vector512<float>.Zero), evens,
                    Avx512F.MaskLoad(tap + 16, highMask, Vector512<float>.Zero));
                acc = average ? acc + v : Avx512F.Max(acc, v);
            }
        }
        Vector512<float> outMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
        Avx512F.MaskStore(orow + ow, outMask, average ? acc / divisor : acc);
        return hi;
    }
}
