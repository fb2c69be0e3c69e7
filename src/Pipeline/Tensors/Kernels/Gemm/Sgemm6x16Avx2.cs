using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>
/// The AVX2 + FMA3 SGEMM microkernel: a tile of up to 6 rows × 16 columns (2 vectors of 8) kept in
/// 12 accumulator registers; each k step loads 2 vectors of B and broadcasts one A value per row.
/// The row count is a type argument so that each partial-M tile gets its own specialized body with no dead rows.
/// </summary>
internal static unsafe class Sgemm6x16Avx2
{
    /// <summary>Rows per tile.</summary>
    public const int MR = 6;

    /// <summary>Columns per tile.</summary>
    public const int NR = 16;

    /// <summary>Runs one tile; <paramref name="rows"/> ≤ MR. See <see cref="SgemmKernel"/> for the contract.</summary>
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, int rows, SgemmStore store, SgemmEpilogue* epilogue)
    {
        switch (rows)
        {
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
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        for (int k = 0; k < kc; k++)
        {
            Vector256<float> b0 = Vector256.Load(b + 0);
            Vector256<float> b1 = Vector256.Load(b + 8);
            { Vector256<float> a0 = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01); }
            if (TRows.Count > 1) { Vector256<float> a1 = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(a1, b0, c10); c11 = Fma.MultiplyAdd(a1, b1, c11); }
            if (TRows.Count > 2) { Vector256<float> a2 = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(a2, b0, c20); c21 = Fma.MultiplyAdd(a2, b1, c21); }
            if (TRows.Count > 3) { Vector256<float> a3 = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(a3, b0, c30); c31 = Fma.MultiplyAdd(a3, b1, c31); }
            if (TRows.Count > 4) { Vector256<float> a4 = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(a4, b0, c40); c41 = Fma.MultiplyAdd(a4, b1, c41); }
            if (TRows.Count > 5) { Vector256<float> a5 = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(a5, b0, c50); c51 = Fma.MultiplyAdd(a5, b1, c51); }
            a += 6;
            b += 16;
        }

        StoreRow(c + 0 * ldc, c00, c01, 0, store, epilogue);
        if (TRows.Count > 1) StoreRow(c + 1 * ldc, c10, c11, 1, store, epilogue);
        if (TRows.Count > 2) StoreRow(c + 2 * ldc, c20, c21, 2, store, epilogue);
        if (TRows.Count > 3) StoreRow(c + 3 * ldc, c30, c31, 3, store, epilogue);
        if (TRows.Count > 4) StoreRow(c + 4 * ldc, c40, c41, 4, store, epilogue);
        if (TRows.Count > 5) StoreRow(c + 5 * ldc, c50, c51, 5, store, epilogue);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* row, Vector256<float> v0, Vector256<float> v1, int i, SgemmStore store, SgemmEpilogue* epilogue)
    {
        if ((store & SgemmStore.Accumulate) != 0)
        {
            v0 += Vector256.Load(row + 0);
            v1 += Vector256.Load(row + 8);
        }
        if ((store & SgemmStore.Bias) != 0)
        {
            if (epilogue->RowBias != null)
            {
                Vector256<float> rb = Vector256.Create(epilogue->RowBias[i]);
                v0 += rb;
                v1 += rb;
            }
            if (epilogue->ColumnBias != null)
            {
                v0 += Vector256.Load(epilogue->ColumnBias + 0);
                v1 += Vector256.Load(epilogue->ColumnBias + 8);
            }
        }
        if ((store & SgemmStore.Clamp) != 0)
        {
            Vector256<float> lo = Vector256.Create(epilogue->Min);
            Vector256<float> hi = Vector256.Create(epilogue->Max);
            v0 = Avx.Min(Avx.Max(v0, lo), hi);
            v1 = Avx.Min(Avx.Max(v1, lo), hi);
        }
        v0.Store(row + 0);
        v1.Store(row + 8);
    }
}
