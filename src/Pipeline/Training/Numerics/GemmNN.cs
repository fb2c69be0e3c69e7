using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Training.Numerics;

/// <summary>
/// Outer-product form: <c>C[i, j] = Σ_p A(i, p) · B[p, j]</c>, with A read through two strides (so both
/// <c>dY · W</c> and <c>dYᵀ · X</c> of a dense layer's backward pass are one call), B (kk × n) and C (m × n) row-major.
/// Every C[i, j] is one multiply-add chain over p in order, in a vector lane or in a scalar, so results are the same
/// at every vector width, for every tiling, partition and thread count.
/// </summary>
internal static unsafe class GemmNN
{
    private const int RowBlock = 16;
    private const int ColBlock = 256; // a multiple of 4 vectors at every width
    private const long InlineWork = 1 << 20; // multiply-adds below which a call runs on the caller alone: waking workers costs more

    /// <summary>Computes C (overwritten) from A (element (i, p) at <c>i·aRowStride + p·aColStride</c>) and B.</summary>
    public static void Compute(WorkerPool? pool, VectorWidth width, int m, int n, int kk,
        ReadOnlySpan<float> a, int aRowStride, int aColStride, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        if (m <= 0 || n <= 0) return;
        if (kk <= 0)
        {
            for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        if (a.Length <= (long)(m - 1) * aRowStride + (long)(kk - 1) * aColStride || b.Length < (long)(kk - 1) * ldb + n
            || c.Length < (long)(m - 1) * ldc + n || ldb < n || ldc < n)
            throw new ArgumentException("GemmNN: a buffer is smaller than its shape and stride say.");
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
        {
            var body = new Body(VectorWidths.Clamp(width), m, n, kk, pa, aRowStride, aColStride, pb, ldb, pc, ldc);
            int tasks = body.RowBlocks * body.ColBlocks;
            if (pool is null || tasks == 1 || (long)m * n * kk < InlineWork)
                Run(body.Width, m, n, kk, pa, aRowStride, aColStride, pb, ldb, pc, ldc);
            else
                pool.For(tasks, ref body);
        }
    }

    private readonly struct Body(VectorWidth width, int m, int n, int kk, float* a, int ars, int acs, float* b, int ldb, float* c, int ldc) : IParallelBody
    {
        public readonly VectorWidth Width = width;
        public int RowBlocks => (m + RowBlock - 1) / RowBlock;
        public int ColBlocks => (n + ColBlock - 1) / ColBlock;

        public void Invoke(int index)
        {
            int i0 = index / ColBlocks * RowBlock, j0 = index % ColBlocks * ColBlock;
            int rows = Math.Min(RowBlock, m - i0), cols = Math.Min(ColBlock, n - j0);
            Run(Width, rows, cols, kk, a + (long)i0 * ars, ars, acs, b + j0, ldb, c + (long)i0 * ldc + j0, ldc);
        }
    }

    private static void Run(VectorWidth width, int m, int n, int kk, float* a, int ars, int acs, float* b, int ldb, float* c, int ldc)
    {
        switch (width)
        {
            case VectorWidth.Bits512: Kernel<Vector512Ops, Vector512<float>>(m, n, kk, a, ars, acs, b, ldb, c, ldc); break;
            case VectorWidth.Bits256: Kernel<Vector256Ops, Vector256<float>>(m, n, kk, a, ars, acs, b, ldb, c, ldc); break;
            case VectorWidth.Bits128: Kernel<Vector128Ops, Vector128<float>>(m, n, kk, a, ars, acs, b, ldb, c, ldc); break;
            default: Kernel<ScalarOps, float>(m, n, kk, a, ars, acs, b, ldb, c, ldc); break;
        }
    }

    private static void Kernel<TOps, TVector>(int m, int n, int kk, float* a, int ars, int acs, float* b, int ldb, float* c, int ldc)
        where TOps : struct, IVectorOps<TVector> where TVector : struct
    {
        int v = TOps.Count;
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            float* ai = a + (long)i * ars;
            float* ci = c + (long)i * ldc;
            int j = 0;
            for (; j + 4 * v <= n; j += 4 * v) Tile4xV4<TOps, TVector>(kk, ai, ars, acs, b + j, ldb, ci + j, ldc);
            for (; j + v <= n; j += v) Tile4xV1<TOps, TVector>(kk, ai, ars, acs, b + j, ldb, ci + j, ldc);
            for (; j < n; j++) Tile4xV1<ScalarOps, float>(kk, ai, ars, acs, b + j, ldb, ci + j, ldc);
        }
        for (; i < m; i++)
        {
            float* ai = a + (long)i * ars;
            float* ci = c + (long)i * ldc;
            int j = 0;
            for (; j + 4 * v <= n; j += 4 * v) Tile1xV4<TOps, TVector>(kk, ai, acs, b + j, ldb, ci + j);
            for (; j + v <= n; j += v) Tile1xV1<TOps, TVector>(kk, ai, acs, b + j, ldb, ci + j);
            for (; j < n; j++) Tile1xV1<ScalarOps, float>(kk, ai, acs, b + j, ldb, ci + j);
        }
    }

    // 4 rows × 4 vectors: 16 accumulators; per p, 4 loads of B and 4 broadcasts of A feed 16 multiply-adds.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4xV4<TOps, TVector>(int kk, float* a, int ars, int acs, float* b, int ldb, float* c, int ldc)
        where TOps : struct, IVectorOps<TVector> where TVector : struct
    {
        int v = TOps.Count;
        TVector c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVector c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TVector c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        TVector c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
        float* a0 = a, a1 = a + ars, a2 = a + 2L * ars, a3 = a + 3L * ars;
        for (int p = 0; p < kk; p++)
        {
            float* bp = b + (long)p * ldb;
            TVector y0 = TOps.Load(bp), y1 = TOps.Load(bp + v), y2 = TOps.Load(bp + 2 * v), y3 = TOps.Load(bp + 3 * v);
            long ap = (long)p * acs;
            TVector x = TOps.Broadcast(a0[ap]);
            c00 = TOps.MultiplyAdd(x, y0, c00); c01 = TOps.MultiplyAdd(x, y1, c01); c02 = TOps.MultiplyAdd(x, y2, c02); c03 = TOps.MultiplyAdd(x, y3, c03);
            x = TOps.Broadcast(a1[ap]);
            c10 = TOps.MultiplyAdd(x, y0, c10); c11 = TOps.MultiplyAdd(x, y1, c11); c12 = TOps.MultiplyAdd(x, y2, c12); c13 = TOps.MultiplyAdd(x, y3, c13);
            x = TOps.Broadcast(a2[ap]);
            c20 = TOps.MultiplyAdd(x, y0, c20); c21 = TOps.MultiplyAdd(x, y1, c21); c22 = TOps.MultiplyAdd(x, y2, c22); c23 = TOps.MultiplyAdd(x, y3, c23);
            x = TOps.Broadcast(a3[ap]);
            c30 = TOps.MultiplyAdd(x, y0, c30); c31 = TOps.MultiplyAdd(x, y1, c31); c32 = TOps.MultiplyAdd(x, y2, c32); c33 = TOps.MultiplyAdd(x, y3, c33);
        }
        float* r = c;
        TOps.Store(c00, r); TOps.Store(c01, r + v); TOps.Store(c02, r + 2 * v); TOps.Store(c03, r + 3 * v);
        r += ldc;
        TOps.Store(c10, r); TOps.Store(c11, r + v); TOps.Store(c12, r + 2 * v); TOps.Store(c13, r + 3 * v);
        r += ldc;
        TOps.Store(c20, r); TOps.Store(c21, r + v); TOps.Store(c22, r + 2 * v); TOps.Store(c23, r + 3 * v);
        r += ldc;
        TOps.Store(c30, r); TOps.Store(c31, r + v); TOps.Store(c32, r + 2 * v); TOps.Store(c33, r + 3 * v);
    }

    private static void Tile4xV1<TOps, TVector>(int kk, float* a, int ars, int acs, float* b, int ldb, float* c, int ldc)
        where TOps : struct, IVectorOps<TVector> where TVector : struct
    {
        TVector c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        float* a0 = a, a1 = a + ars, a2 = a + 2L * ars, a3 = a + 3L * ars;
        for (int p = 0; p < kk; p++)
        {
            TVector y = TOps.Load(b + (long)p * ldb);
            long ap = (long)p * acs;
            c0 = TOps.MultiplyAdd(TOps.Broadcast(a0[ap]), y, c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(a1[ap]), y, c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(a2[ap]), y, c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(a3[ap]), y, c3);
        }
        TOps.Store(c0, c); TOps.Store(c1, c + ldc); TOps.Store(c2, c + 2L * ldc); TOps.Store(c3, c + 3L * ldc);
    }

    private static void Tile1xV4<TOps, TVector>(int kk, float* a, int acs, float* b, int ldb, float* c)
        where TOps : struct, IVectorOps<TVector> where TVector : struct
    {
        int v = TOps.Count;
        TVector c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        for (int p = 0; p < kk; p++)
        {
            float* bp = b + (long)p * ldb;
            TVector x = TOps.Broadcast(a[(long)p * acs]);
            c0 = TOps.MultiplyAdd(x, TOps.Load(bp), c0);
            c1 = TOps.MultiplyAdd(x, TOps.Load(bp + v), c1);
            c2 = TOps.MultiplyAdd(x, TOps.Load(bp + 2 * v), c2);
            c3 = TOps.MultiplyAdd(x, TOps.Load(bp + 3 * v), c3);
        }
        TOps.Store(c0, c); TOps.Store(c1, c + v); TOps.Store(c2, c + 2 * v); TOps.Store(c3, c + 3 * v);
    }

    private static void Tile1xV1<TOps, TVector>(int kk, float* a, int acs, float* b, int ldb, float* c)
        where TOps : struct, IVectorOps<TVector> where TVector : struct
    {
        TVector acc = TOps.Zero;
        for (int p = 0; p < kk; p++) acc = TOps.MultiplyAdd(TOps.Broadcast(a[(long)p * acs]), TOps.Load(b + (long)p * ldb), acc);
        TOps.Store(acc, c);
    }
}
