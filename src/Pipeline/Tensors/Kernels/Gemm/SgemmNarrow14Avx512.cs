using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>
/// The AVX-512F kernel for the last, narrow column panel of an N that is not a multiple of 32 (a conv's 14×14 plane is
/// 6·32 + 4 columns, 13×13 is 5·32 + 9). The 14×32 tile would spend a full k step on those few columns;
/// this one turns the tile around: one accumulator per column holds that column's 14 rows (a masked vector of A), and
/// each k step broadcasts one B value per column. Each C element is still one fused multiply-add chain over k in order,
/// then the same epilogue as <see cref="Sgemm14x32Avx512"/>, so a column gets the same bits whichever kernel computes
/// it: results do not depend on where N blocks end, which moves with the thread count.
/// </summary>
internal static unsafe class SgemmNarrow14Avx512
{
    /// <summary>The most columns this kernel takes; wider tails cost the full tile about as much.</summary>
    public const int MaxColumns = 20;

    /// <summary>
    /// Computes the first <paramref name="columns"/> columns of a 14×32 tile (the microkernel contract of
    /// <see cref="SgemmKernel"/>, with <paramref name="c"/> a full-width temporary tile): the other columns of the
    /// tile get the epilogue of a zero sum.
    /// </summary>
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, int rows, int columns, SgemmStore store, SgemmEpilogue* epilogue)
    {
        switch (columns)
        {
            case 20: Tile<Columns20>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 19: Tile<Columns19>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 18: Tile<Columns18>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 17: Tile<Columns17>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 16: Tile<Columns16>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 15: Tile<Columns15>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 14: Tile<Columns14>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 13: Tile<Columns13>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 12: Tile<Columns12>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 11: Tile<Columns11>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 10: Tile<Columns10>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 9: Tile<Columns9>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 8: Tile<Columns8>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 7: Tile<Columns7>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 6: Tile<Columns6>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 5: Tile<Columns5>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 4: Tile<Columns4>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 3: Tile<Columns3>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 2: Tile<Columns2>(kc, a, b, c, ldc, rows, store, epilogue); break;
            case 1: Tile<Columns1>(kc, a, b, c, ldc, rows, store, epilogue); break;
            default: throw new ArgumentOutOfRangeException(nameof(columns));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TColumns>(int kc, float* a, float* b, float* c, nint ldc, int rows, SgemmStore store, SgemmEpilogue* epilogue)
        where TColumns : struct, IColumnCount
    {
        const int nr = Sgemm14x32Avx512.NR, mr = Sgemm14x32Avx512.MR;
        // Rows of the packed panel past M are zero, so all 14 lanes are loaded; the mask keeps the load inside the panel.
        // Both buffers are made before the accumulators exist: zeroing them may call a helper, and vector registers live
        // across a call would be spilled on every k step.
        float* sums = stackalloc float[MaxColumns * 16];
        float* row = stackalloc float[nr];
        new Span<float>(row, nr).Clear();
        Vector512<float> rowMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(mr)).AsSingle();
        Vector512<float> s0 = default;
        Vector512<float> s1 = default;
        Vector512<float> s2 = default;
        Vector512<float> s3 = default;
        Vector512<float> s4 = default;
        Vector512<float> s5 = default;
        Vector512<float> s6 = default;
        Vector512<float> s7 = default;
        Vector512<float> s8 = default;
        Vector512<float> s9 = default;
        Vector512<float> s10 = default;
        Vector512<float> s11 = default;
        Vector512<float> s12 = default;
        Vector512<float> s13 = default;
        Vector512<float> s14 = default;
        Vector512<float> s15 = default;
        Vector512<float> s16 = default;
        Vector512<float> s17 = default;
        Vector512<float> s18 = default;
        Vector512<float> s19 = default;
        for (int k = 0; k < kc; k++)
        {
            Vector512<float> column = Avx512F.MaskLoad(a, rowMask, Vector512<float>.Zero);
            s0 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[0]), s0);
            if (TColumns.Count > 1) s1 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[1]), s1);
            if (TColumns.Count > 2) s2 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[2]), s2);
            if (TColumns.Count > 3) s3 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[3]), s3);
            if (TColumns.Count > 4) s4 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[4]), s4);
            if (TColumns.Count > 5) s5 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[5]), s5);
            if (TColumns.Count > 6) s6 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[6]), s6);
            if (TColumns.Count > 7) s7 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[7]), s7);
            if (TColumns.Count > 8) s8 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[8]), s8);
            if (TColumns.Count > 9) s9 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[9]), s9);
            if (TColumns.Count > 10) s10 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[10]), s10);
            if (TColumns.Count > 11) s11 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[11]), s11);
            if (TColumns.Count > 12) s12 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[12]), s12);
            if (TColumns.Count > 13) s13 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[13]), s13);
            if (TColumns.Count > 14) s14 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[14]), s14);
            if (TColumns.Count > 15) s15 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[15]), s15);
            if (TColumns.Count > 16) s16 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[16]), s16);
            if (TColumns.Count > 17) s17 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[17]), s17);
            if (TColumns.Count > 18) s18 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[18]), s18);
            if (TColumns.Count > 19) s19 = Avx512F.FusedMultiplyAdd(column, Vector512.Create(b[19]), s19);
            a += mr;
            b += nr;
        }

        // Turn the column accumulators into tile rows and store them through the full kernel's epilogue.
        s0.Store(sums + 0 * 16);
        if (TColumns.Count > 1) s1.Store(sums + 1 * 16);
        if (TColumns.Count > 2) s2.Store(sums + 2 * 16);
        if (TColumns.Count > 3) s3.Store(sums + 3 * 16);
        if (TColumns.Count > 4) s4.Store(sums + 4 * 16);
        if (TColumns.Count > 5) s5.Store(sums + 5 * 16);
        if (TColumns.Count > 6) s6.Store(sums + 6 * 16);
        if (TColumns.Count > 7) s7.Store(sums + 7 * 16);
        if (TColumns.Count > 8) s8.Store(sums + 8 * 16);
        if (TColumns.Count > 9) s9.Store(sums + 9 * 16);
        if (TColumns.Count > 10) s10.Store(sums + 10 * 16);
        if (TColumns.Count > 11) s11.Store(sums + 11 * 16);
        if (TColumns.Count > 12) s12.Store(sums + 12 * 16);
        if (TColumns.Count > 13) s13.Store(sums + 13 * 16);
        if (TColumns.Count > 14) s14.Store(sums + 14 * 16);
        if (TColumns.Count > 15) s15.Store(sums + 15 * 16);
        if (TColumns.Count > 16) s16.Store(sums + 16 * 16);
        if (TColumns.Count > 17) s17.Store(sums + 17 * 16);
        if (TColumns.Count > 18) s18.Store(sums + 18 * 16);
        if (TColumns.Count > 19) s19.Store(sums + 19 * 16);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < TColumns.Count; j++) row[j] = sums[j * 16 + i];
            Sgemm14x32Avx512.StoreRow(c + i * ldc, Vector512.Load(row), Vector512.Load(row + 16), i, store, epilogue);
        }
    }
}
