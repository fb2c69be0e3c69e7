using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>
/// The 128-bit vector SGEMM microkernel: a tile of up to 6 rows × 8 columns (2 vectors of 4) kept in
/// 12 accumulator registers; each k step loads 2 vectors of B and broadcasts one A value per row.
/// The row count is a type argument so that each partial-M tile gets its own specialized body with no dead rows.
/// </summary>
internal static unsafe class Sgemm6x8Vector128
{
    /// <summary>Rows per tile.</summary>
    public const int MR = 6;

    /// <summary>Columns per tile.</summary>
    public const int NR = 8;

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
        Vector128<float> c00 = default, c01 = default;
        Vector128<float> c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default;
        Vector128<float> c40 = default, c41 = default;
        Vector128<float> c50 = default, c51 = default;
        for (int k = 0; k < kc; k++)
        {
            Vector128<float> b0 = Vector128.Load(b + 0);
            Vector128<float> b1 = Vector128.Load(b + 4);
            { Vector128<float> a0 = Vector128.Create(a[0]); c00 = Vector128.MultiplyAddEstimate(a0, b0, c00); c01 = Vector128.MultiplyAddEstimate(a0, b1, c01); }
            if (TRows.Count > 1) { Vector128<float> a1 = Vector128.Create(a[1]); c10 = Vector128.MultiplyAddEstimate(a1, b0, c10); c11 = Vector128.MultiplyAddEstimate(a1, b1, c11); }
            if (TRows.Count > 2) { Vector128<float> a2 = Vector128.Create(a[2]); c20 = Vector128.MultiplyAddEstimate(a2, b0, c20); c21 = Vector128.MultiplyAddEstimate(a2, b1, c21); }
            if (TRows.Count > 3) { Vector128<float> a3 = Vector128.Create(a[3]); c30 = Vector128.MultiplyAddEstimate(a3, b0, c30); c31 = Vector128.MultiplyAddEstimate(a3, b1, c31); }
            if (TRows.Count > 4) { Vector128<float> a4 = Vector128.Create(a[4]); c40 = Vector128.MultiplyAddEstimate(a4, b0, c40); c41 = Vector128.MultiplyAddEstimate(a4, b1, c41); }
            if (TRows.Count > 5) { Vector128<float> a5 = Vector128.Create(a[5]); c50 = Vector128.MultiplyAddEstimate(a5, b0, c50); c51 = Vector128.MultiplyAddEstimate(a5, b1, c51); }
            a += 6;
            b += 8;
        }

        StoreRow(c + 0 * ldc, c00, c01, 0, store, epilogue);
        if (TRows.Count > 1) StoreRow(c + 1 * ldc, c10, c11, 1, store, epilogue);
        if (TRows.Count > 2) StoreRow(c + 2 * ldc, c20, c21, 2, store, epilogue);
        if (TRows.Count > 3) StoreRow(c + 3 * ldc, c30, c31, 3, store, epilogue);
        if (TRows.Count > 4) StoreRow(c + 4 * ldc, c40, c41, 4, store, epilogue);
        if (TRows.Count > 5) StoreRow(c + 5 * ldc, c50, c51, 5, store, epilogue);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* row, Vector128<float> v0, Vector128<float> v1, int i, SgemmStore store, SgemmEpilogue* epilogue)
    {
        if ((store & SgemmStore.Accumulate) != 0)
        {
            v0 += Vector128.Load(row + 0);
            v1 += Vector128.Load(row + 4);
        }
        if ((store & SgemmStore.Bias) != 0)
        {
            if (epilogue->RowBias != null)
            {
                Vector128<float> rb = Vector128.Create(epilogue->RowBias[i]);
                v0 += rb;
                v1 += rb;
            }
            if (epilogue->ColumnBias != null)
            {
                v0 += Vector128.Load(epilogue->ColumnBias + 0);
                v1 += Vector128.Load(epilogue->ColumnBias + 4);
            }
        }
        if ((store & SgemmStore.Clamp) != 0)
        {
            Vector128<float> lo = Vector128.Create(epilogue->Min);
            Vector128<float> hi = Vector128.Create(epilogue->Max);
            v0 = Vector128.MinNative(Vector128.MaxNative(v0, lo), hi);
            v1 = Vector128.MinNative(Vector128.MaxNative(v1, lo), hi);
        }
        v0.Store(row + 0);
        v1.Store(row + 4);
    }
}
