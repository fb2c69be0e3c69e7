using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>
/// The AVX-512F SGEMM microkernel: a tile of up to 14 rows × 32 columns (2 vectors of 16) kept in
/// 28 accumulator registers; each k step loads 2 vectors of B and broadcasts one A value per row.
/// The row count is a type argument so that each partial-M tile gets its own specialized body with no dead rows.
/// </summary>
internal static unsafe class Sgemm14x32Avx512
{
    /// <summary>Rows per tile.</summary>
    public const int MR = 14;

    /// <summary>Columns per tile.</summary>
    public const int NR = 32;

    /// <summary>Runs one tile; <paramref name="rows"/> ≤ MR. See <see cref="SgemmKernel"/> for the contract.</summary>
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, int rows, SgemmStore store, SgemmEpilogue* epilogue)
    {
        switch (rows)
        {
            case 14: Tile<Rows14>(kc, a, b, c, ldc, store, epilogue); break;
            case 13: Tile<Rows13>(kc, a, b, c, ldc, store, epilogue); break;
            case 12: Tile<Rows12>(kc, a, b, c, ldc, store, epilogue); break;
            case 11: Tile<Rows11>(kc, a, b, c, ldc, store, epilogue); break;
            case 10: Tile<Rows10>(kc, a, b, c, ldc, store, epilogue); break;
            case 9: Tile<Rows9>(kc, a, b, c, ldc, store, epilogue); break;
            case 8: Tile<Rows8>(kc, a, b, c, ldc, store, epilogue); break;
            case 7: Tile<Rows7>(kc, a, b, c, ldc, store, epilogue); break;
            case 6: Tile<Rows6>(kc, a, b, c, ldc, store, epilogue); break;
            case 5: Tile<Rows5>(kc, a, b, c, ldc, store, epilogue); break;
            case 4: Tile<Rows4>(kc, a, b, c, ldc, store, epilogue); break;
            case 3: Tile<Rows3>(kc, a, b, c, ldc, store, epilogue); break;
            case 2: Tile<Rows2>(kc, a, b, c, ldc, store, epilogue); break;
            case 1: Tile<Rows1>(kc, a, b, c, ldc, store, epilogue); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TRows>(int kc, float* a, float* b, float* c, nint ldc, SgemmStore store, SgemmEpilogue* epilogue)
        where TRows : struct, IRowCount
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;
        Vector512<float> c120 = default, c121 = default;
        Vector512<float> c130 = default, c131 = default;
        for (int k = 0; k < kc; k++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            Vector512<float> b1 = Vector512.Load(b + 16);
            { Vector512<float> a0 = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01); }
            if (TRows.Count > 1) { Vector512<float> a1 = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11); }
            if (TRows.Count > 2) { Vector512<float> a2 = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21); }
            if (TRows.Count > 3) { Vector512<float> a3 = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31); }
            if (TRows.Count > 4) { Vector512<float> a4 = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40); c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41); }
            if (TRows.Count > 5) { Vector512<float> a5 = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50); c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51); }
            if (TRows.Count > 6) { Vector512<float> a6 = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60); c61 = Avx512F.FusedMultiplyAdd(a6, b1, c61); }
            if (TRows.Count > 7) { Vector512<float> a7 = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70); c71 = Avx512F.FusedMultiplyAdd(a7, b1, c71); }
            if (TRows.Count > 8) { Vector512<float> a8 = Vector512.Create(a[8]); c80 = Avx512F.FusedMultiplyAdd(a8, b0, c80); c81 = Avx512F.FusedMultiplyAdd(a8, b1, c81); }
            if (TRows.Count > 9) { Vector512<float> a9 = Vector512.Create(a[9]); c90 = Avx512F.FusedMultiplyAdd(a9, b0, c90); c91 = Avx512F.FusedMultiplyAdd(a9, b1, c91); }
            if (TRows.Count > 10) { Vector512<float> a10 = Vector512.Create(a[10]); c100 = Avx512F.FusedMultiplyAdd(a10, b0, c100); c101 = Avx512F.FusedMultiplyAdd(a10, b1, c101); }
            if (TRows.Count > 11) { Vector512<float> a11 = Vector512.Create(a[11]); c110 = Avx512F.FusedMultiplyAdd(a11, b0, c110); c111 = Avx512F.FusedMultiplyAdd(a11, b1, c111); }
            if (TRows.Count > 12) { Vector512<float> a12 = Vector512.Create(a[12]); c120 = Avx512F.FusedMultiplyAdd(a12, b0, c120); c121 = Avx512F.FusedMultiplyAdd(a12, b1, c121); }
            if (TRows.Count > 13) { Vector512<float> a13 = Vector512.Create(a[13]); c130 = Avx512F.FusedMultiplyAdd(a13, b0, c130); c131 = Avx512F.FusedMultiplyAdd(a13, b1, c131); }
            a += 14;
            b += 32;
        }

        StoreRow(c + 0 * ldc, c00, c01, 0, store, epilogue);
        if (TRows.Count > 1) StoreRow(c + 1 * ldc, c10, c11, 1, store, epilogue);
        if (TRows.Count > 2) StoreRow(c + 2 * ldc, c20, c21, 2, store, epilogue);
        if (TRows.Count > 3) StoreRow(c + 3 * ldc, c30, c31, 3, store, epilogue);
        if (TRows.Count > 4) StoreRow(c + 4 * ldc, c40, c41, 4, store, epilogue);
        if (TRows.Count > 5) StoreRow(c + 5 * ldc, c50, c51, 5, store, epilogue);
        if (TRows.Count > 6) StoreRow(c + 6 * ldc, c60, c61, 6, store, epilogue);
        if (TRows.Count > 7) StoreRow(c + 7 * ldc, c70, c71, 7, store, epilogue);
        if (TRows.Count > 8) StoreRow(c + 8 * ldc, c80, c81, 8, store, epilogue);
        if (TRows.Count > 9) StoreRow(c + 9 * ldc, c90, c91, 9, store, epilogue);
        if (TRows.Count > 10) StoreRow(c + 10 * ldc, c100, c101, 10, store, epilogue);
        if (TRows.Count > 11) StoreRow(c + 11 * ldc, c110, c111, 11, store, epilogue);
        if (TRows.Count > 12) StoreRow(c + 12 * ldc, c120, c121, 12, store, epilogue);
        if (TRows.Count > 13) StoreRow(c + 13 * ldc, c130, c131, 13, store, epilogue);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRow(float* row, Vector512<float> v0, Vector512<float> v1, int i, SgemmStore store, SgemmEpilogue* epilogue)
    {
        if ((store & SgemmStore.Accumulate) != 0)
        {
            v0 += Vector512.Load(row + 0);
            v1 += Vector512.Load(row + 16);
        }
        if ((store & SgemmStore.Bias) != 0)
        {
            if (epilogue->RowBias != null)
            {
                Vector512<float> rb = Vector512.Create(epilogue->RowBias[i]);
                v0 += rb;
                v1 += rb;
            }
            if (epilogue->ColumnBias != null)
            {
                v0 += Vector512.Load(epilogue->ColumnBias + 0);
                v1 += Vector512.Load(epilogue->ColumnBias + 16);
            }
        }
        if ((store & SgemmStore.Clamp) != 0)
        {
            Vector512<float> lo = Vector512.Create(epilogue->Min);
            Vector512<float> hi = Vector512.Create(epilogue->Max);
            v0 = Avx512F.Min(Avx512F.Max(v0, lo), hi);
            v1 = Avx512F.Min(Avx512F.Max(v1, lo), hi);
        }
        v0.Store(row + 0);
        v1.Store(row + 16);
    }
}
