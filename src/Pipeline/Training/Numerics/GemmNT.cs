using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Training.Numerics;

/// <summary>
/// Dense layer forward, dot-product form: <c>C[i, j] = bias[j] + Σ_p A[i, p] · B[j, p]</c>, with A (m × k), B (n × k)
/// and C (m × n) all row-major. B is a weight matrix stored one output per row, the layout of a linear layer.
/// Every C[i, j] is one vector accumulator over p, then a fixed horizontal sum, then the scalar tail, then the bias,
/// whichever tile computes it: results do not depend on tiling, on the partition into tasks or on the thread count
/// (they do depend on the vector width, which is fixed per machine).
/// </summary>
internal static unsafe class GemmNT
{
    private const int RowBlock = 16;   // rows per parallel task (a multiple of the 4-row tile)
    private const int ColBlock = 64;   // columns per parallel task (a multiple of the 4-column tile)
    private const long InlineWork = 1 << 20; // multiply-adds below which a call runs on the caller alone: waking workers costs more

    /// <summary>Computes C from A, B and an optional bias (empty span: none), spread over <paramref name="pool"/> when worth it.</summary>
    public static void Compute(WorkerPool? pool, VectorWidth width, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, ReadOnlySpan<float> bias, Span<float> c, int ldc)
    {
        if (m <= 0 || n <= 0) return;
        Check(a.Length >= (long)(m - 1) * lda + k && b.Length >= (long)(n - 1) * ldb + k && c.Length >= (long)(m - 1) * ldc + n
              && (bias.IsEmpty || bias.Length >= n) && lda >= k && ldb >= k && ldc >= n);
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pbias = bias) fixed (float* pc = c)
        {
            var body = new Body(VectorWidths.Clamp(width), m, n, k, pa, lda, pb, ldb, bias.IsEmpty ? null : pbias, pc, ldc);
            int tasks = body.RowBlocks * body.ColBlocks;
            if (pool is null || tasks == 1 || (long)m * n * k < InlineWork)
                Run(body.Width, m, n, k, pa, lda, pb, ldb, body.Bias, pc, ldc);
            else
                pool.For(tasks, ref body);
        }
    }

    private static void Check(bool ok)
    {
        if (!ok) throw new ArgumentException("GemmNT: a buffer is smaller than its shape and stride say.");
    }

    private readonly struct Body(VectorWidth width, int m, int n, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc) : IParallelBody
    {
        public readonly VectorWidth Width = width;
        public readonly float* Bias = bias;
        public int RowBlocks => (m + RowBlock - 1) / RowBlock;
        public int ColBlocks => (n + ColBlock - 1) / ColBlock;

        public void Invoke(int index)
        {
            int i0 = index / ColBlocks * RowBlock, j0 = index % ColBlocks * ColBlock;
            int rows = Math.Min(RowBlock, m - i0), cols = Math.Min(ColBlock, n - j0);
            Run(Width, rows, cols, k, a + (long)i0 * lda, lda, b + (long)j0 * ldb, ldb, Bias == null ? null : Bias + j0, c + (long)i0 * ldc + j0, ldc);
        }
    }

    private static void Run(VectorWidth width, int m, int n, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc)
    {
        switch (width)
        {
            case VectorWidth.Bits512: Kernel<Vector512Ops, Vector512<float>>(m, n, k, a, lda, b, ldb, bias, c, ldc); break;
            case VectorWidth.Bits256: Kernel<Vector256Ops, Vector256<float>>(m, n, k, a, lda, b, ldb, bias, c, ldc); break;
            case VectorWidth.Bits128: Kernel<Vector128Ops, Vector128<float>>(m, n, k, a, lda, b, ldb, bias, c, ldc); break;
            default: Kernel<ScalarOps, float>(m, n, k, a, lda, b, ldb, bias, c, ldc); break;
        }
    }

    private static void Kernel<TOps, TVector>(int m, int n, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc)
        where TOps : struct, IVectorOps<TVector> where TVector : struct
    {
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            int j = 0;
            for (; j + 4 <= n; j += 4) Tile4x4<TOps, TVector>(k, a + (long)i * lda, lda, b + (long)j * ldb, ldb, bias, j, c + (long)i * ldc + j, ldc);
            for (; j < n; j++)
                for (int r = 0; r < 4; r++) Tile1x1<TOps, TVector>(k, a + (long)(i + r) * lda, b + (long)j * ldb, bias, j, c + (long)(i + r) * ldc + j);
        }
        for (; i < m; i++)
        {
            int j = 0;
            for (; j + 4 <= n; j += 4) Tile1x4<TOps, TVector>(k, a + (long)i * lda, b + (long)j * ldb, ldb, bias, j, c + (long)i * ldc + j);
            for (; j < n; j++) Tile1x1<TOps, TVector>(k, a + (long)i * lda, b + (long)j * ldb, bias, j, c + (long)i * ldc + j);
        }
    }

    // 4 rows of A × 4 rows of B: 16 independent accumulators, 8 loads per 16 multiply-adds.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4<TOps, TVector>(int k, float* a, int lda, float* b, int ldb, float* bias, int j, float* c, int ldc)
        where TOps : struct, IVectorOps<TVector> where TVector : struct
    {
        float* a0 = a, a1 = a + lda, a2 = a + 2L * lda, a3 = a + 3L * lda;
        float* b0 = b, b1 = b + ldb, b2 = b + 2L * ldb, b3 = b + 3L * ldb;
        TVector c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVector c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TVector c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        TVector c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
        int p = 0;
        for (; p + TOps.Count <= k; p += TOps.Count)
        {
            TVector x0 = TOps.Load(a0 + p), x1 = TOps.Load(a1 + p), x2 = TOps.Load(a2 + p), x3 = TOps.Load(a3 + p);
            TVector w = TOps.Load(b0 + p);
            c00 = TOps.MultiplyAdd(x0, w, c00); c10 = TOps.MultiplyAdd(x1, w, c10); c20 = TOps.MultiplyAdd(x2, w, c20); c30 = TOps.MultiplyAdd(x3, w, c30);
            w = TOps.Load(b1 + p);
            c01 = TOps.MultiplyAdd(x0, w, c01); c11 = TOps.MultiplyAdd(x1, w, c11); c21 = TOps.MultiplyAdd(x2, w, c21); c31 = TOps.MultiplyAdd(x3, w, c31);
            w = TOps.Load(b2 + p);
            c02 = TOps.MultiplyAdd(x0, w, c02); c12 = TOps.MultiplyAdd(x1, w, c12); c22 = TOps.MultiplyAdd(x2, w, c22); c32 = TOps.MultiplyAdd(x3, w, c32);
            w = TOps.Load(b3 + p);
            c03 = TOps.MultiplyAdd(x0, w, c03); c13 = TOps.MultiplyAdd(x1, w, c13); c23 = TOps.MultiplyAdd(x2, w, c23); c33 = TOps.MultiplyAdd(x3, w, c33);
        }
        float* r0 = c, r1 = c + ldc, r2 = c + 2L * ldc, r3 = c + 3L * ldc;
        r0[0] = Finish<TOps, TVector>(c00, a0, b0, p, k, bias, j); r0[1] = Finish<TOps, TVector>(c01, a0, b1, p, k, bias, j + 1);
        r0[2] = Finish<TOps, TVector>(c02, a0, b2, p, k, bias, j + 2); r0[3] = Finish<TOps, TVector>(c03, a0, b3, p, k, bias, j + 3);
        r1[0] = Finish<TOps, TVector>(c10, a1, b0, p, k, bias, j); r1[1] = Finish<TOps, TVector>(c11, a1, b1, p, k, bias, j + 1);
        r1[2] = Finish<TOps, TVector>(c12, a1, b2, p, k, bias, j + 2); r1[3] = Finish<TOps, TVector>(c13, a1, b3, p, k, bias, j + 3);
        r2[0] = Finish<TOps, TVector>(c20, a2, b0, p, k, bias, j); r2[1] = Finish<TOps, TVector>(c21, a2, b1, p, k, bias, j + 1);
        r2[2] = Finish<TOps, TVector>(c22, a2, b2, p, k, bias, j + 2); r2[3] = Finish<TOps, TVector>(c23, a2, b3, p, k, bias, j + 3);
        r3[0] = Finish<TOps, TVector>(c30, a3, b0, p, k, bias, j); r3[1] = Finish<TOps, TVector>(c31, a3, b1, p, k, bias, j + 1);
        r3[2] = Finish<TOps, TVector>(c32, a3, b2, p, k, bias, j + 2); r3[3] = Finish<TOps, TVector>(c33, a3, b3, p, k, bias, j + 3);
    }

    // One row of A × 4 rows of B: the single-vector prediction path.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x4<TOps, TVector>(int k, float* a, float* b, int ldb, float* bias, int j, float* c)
        where TOps : struct, IVectorOps<TVector> where TVector : struct
    {
        float* b0 = b, b1 = b + ldb, b2 = b + 2L * ldb, b3 = b + 3L * ldb;
        TVector c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        int p = 0;
        for (; p + TOps.Count <= k; p += TOps.Count)
        {
            TVector x = TOps.Load(a + p);
            c0 = TOps.MultiplyAdd(x, TOps.Load(b0 + p), c0);
            c1 = TOps.MultiplyAdd(x, TOps.Load(b1 + p), c1);
            c2 = TOps.MultiplyAdd(x, TOps.Load(b2 + p), c2);
            c3 = TOps.MultiplyAdd(x, TOps.Load(b3 + p), c3);
        }
        c[0] = Finish<TOps, TVector>(c0, a, b0, p, k, bias, j);
        c[1] = Finish<TOps, TVector>(c1, a, b1, p, k, bias, j + 1);
        c[2] = Finish<TOps, TVector>(c2, a, b2, p, k, bias, j + 2);
        c[3] = Finish<TOps, TVector>(c3, a, b3, p, k, bias, j + 3);
    }

    private static void Tile1x1<TOps, TVector>(int k, float* a, float* b, float* bias, int j, float* c)
        where TOps : struct, IVectorOps<TVector> where TVector : struct
    {
        TVector acc = TOps.Zero;
        int p = 0;
        for (; p + TOps.Count <= k; p += TOps.Count) acc = TOps.MultiplyAdd(TOps.Load(a + p), TOps.Load(b + p), acc);
        *c = Finish<TOps, TVector>(acc, a, b, p, k, bias, j);
    }

    // The one way every accumulator ends: horizontal sum, scalar tail in order, then the bias.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish<TOps, TVector>(TVector acc, float* a, float* b, int p, int k, float* bias, int j)
        where TOps : struct, IVectorOps<TVector> where TVector : struct
    {
        float sum = TOps.Sum(acc);
        for (; p < k; p++) sum = float.MultiplyAddEstimate(a[p], b[p], sum);
        return bias == null ? sum : sum + bias[j];
    }
}
