using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Tensors.Kernels.Pooling;

/// <summary>
/// Stride-2 pools with windows at most 3 wide (the 3×3/s2 and 2×2/s2 stem pools of ResNet, SqueezeNet, Inception and
/// VGG) on AVX-512, with no row buffer: each 16 outputs read 32 input columns of every window row (masked loads that
/// give the reduction's identity outside the row), reduce the rows, then take the even lanes, the odd lanes and the even
/// lanes shifted by one (its last lane the next 32 columns' first, which the next 16 outputs reduce anyway).
/// <see cref="PlaneSeparable{TReduction}"/> stored each reduced row and read it back with unaligned loads that waited on
/// those stores. SqueezeNet's first pool (64 planes, 111×111 to 55×55, one thread): 152 µs there, 126 µs here; 8 planes
/// that fit in L2: 17.5 µs and 13 µs. A window's three rows are reduced without a loop, the common case.
/// </summary>
internal static unsafe partial class Pool2dFloat
{
    /// <summary>
    /// True when <see cref="PlaneStride2{TReduction}"/> applies: stride 2 and dilation 1 in width, windows ≤ 3 wide, and
    /// rows short enough for its per-column masks and counts on the stack (about 6 bytes per input column; the bound
    /// is the separable path's, so longer rows, a raw audio signal say, take the tap loop as they did before).
    /// </summary>
    private static bool SlidesAtStride2(PoolGeometry g)
        => g.Strides[^1] == 2 && g.Dilations[^1] == 1 && g.KernelSize[^1] <= 3 && SeparableBufferLength(g.OutputSize[^1], g.KernelSize[^1], 2) <= MaxBufferLength;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PlaneStride2<TReduction>(PoolWindows windows, float* input, float* output, bool countIncludePad)
        where TReduction : struct, ISeparableReduction
    {
        bool average = typeof(TReduction) == typeof(SumReduction);
        (int outH, int outW, int inW, int rowStep, int kW, int start) = RowShape(windows);
        int columns = (outW + 15) / 16;

        // Mask i: lane j reads input column start + 16i + j, when that is in the row.
        Vector512<float>* masks = stackalloc Vector512<float>[2 * columns + 1];
        for (int i = 0; i <= 2 * columns; i++) masks[i] = LaneMasks.InRow(start + 16 * i, inW);
        int countLength = average ? 16 * columns : 0;
        float* counts = stackalloc float[countLength];
        ColumnCounts(windows, countIncludePad, new Span<float>(counts, countLength));
        Vector512<int> evens = Vector512<int>.Indices * 2, odds = evens + Vector512<int>.One;

        for (int oh = 0; oh < outH; oh++)
        {
            float* orow = output + (long)oh * outW;
            float* rows = WindowRows(windows, oh, input, orow, average, out int validH);
            if (rows == null) continue;
            rows += start;
            Vector512<float> rowCount = RowCount(windows, oh, validH, countIncludePad);
            Vector512<float> low = Rows<TReduction>(rows, masks[0], validH, rowStep);
            for (int v = 0; v < columns; v++)
            {
                float* at = rows + 32 * v;
                Vector512<float> high = Rows<TReduction>(at + 16, masks[2 * v + 1], validH, rowStep);
                Vector512<float> next = Rows<TReduction>(at + 32, masks[2 * v + 2], validH, rowStep);
                Vector512<float> even = Avx512F.PermuteVar16x32x2(low, evens, high);
                Vector512<float> acc = TReduction.Combine(TReduction.Identity, even);
                if (kW > 1) acc = TReduction.Combine(acc, Avx512F.PermuteVar16x32x2(low, odds, high));
                if (kW > 2) acc = TReduction.Combine(acc, Avx512F.AlignRight32(next.AsInt32(), even.AsInt32(), 1).AsSingle());
                if (average) acc /= rowCount * Vector512.Load(counts + 16 * v);
                if (16 * v + 16 <= outW) acc.Store(orow + 16 * v);
                else Avx512F.MaskStore(orow + 16 * v, LaneMasks.InRow(16 * v, outW), acc);
                low = next;
            }
        }
    }
}
