using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>
/// Rearranges matrices into the panels the microkernels stream. A matrix element (r, c) is read at
/// <c>source[r * rowStride + c * columnStride]</c>, so transposed operands need no extra copy.
/// <list type="bullet">
/// <item>A side (broadcast): panels of MR rows; panel p holds, for each k, the MR values A[p·MR + i, k] (zero past M).</item>
/// <item>B side (vector loads): panels of NR columns; panel j holds, for each k, the NR values B[k, j·NR + t] (zero past N).</item>
/// </list>
/// Weights are packed once, when a kernel is created; activations are packed per run block by block.
/// </summary>
internal static unsafe class SgemmPacker
{
    /// <summary>Floats of a packed A of <paramref name="m"/> rows and <paramref name="k"/> columns.</summary>
    public static long PackedASize(SgemmKernel kernel, int m, int k) => (long)CeilDiv(m, kernel.MR) * kernel.MR * k;

    /// <summary>Floats of a packed B of <paramref name="k"/> rows and <paramref name="n"/> columns.</summary>
    public static long PackedBSize(SgemmKernel kernel, int k, int n) => (long)CeilDiv(n, kernel.NR) * kernel.NR * k;

    /// <summary>Packs all of A (m × k) into MR-row panels of full depth k at <paramref name="destination"/>.</summary>
    public static void PackA(SgemmKernel kernel, float* source, nint rowStride, nint columnStride, int m, int k, float* destination) =>
        PackA(kernel, source, rowStride, columnStride, m, k, 0, k, destination);

    /// <summary>
    /// Packs columns [k0, k0 + kc) of A (m × k) into their place in the full-depth MR-row panels at
    /// <paramref name="destination"/>, so disjoint column ranges can be packed concurrently.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(SgemmKernel kernel, float* source, nint rowStride, nint columnStride, int m, int k, int k0, int kc, float* destination)
    {
        int mr = kernel.MR;
        for (int p = 0; p * mr < m; p++)
        {
            int rows = Math.Min(mr, m - p * mr);
            float* panel = destination + (long)p * mr * k;
            float* src = source + p * mr * rowStride;
            for (int kk = k0; kk < k0 + kc; kk++)
            {
                float* dst = panel + (long)kk * mr;
                float* col = src + kk * columnStride;
                int i = 0;
                if (rowStride == 1)
                {
                    // A transposed operand (the im2col of a transposed conv): each panel column is a contiguous run.
                    new ReadOnlySpan<float>(col, rows).CopyTo(new Span<float>(dst, rows));
                    i = rows;
                }
                for (; i < rows; i++) dst[i] = col[i * rowStride];
                for (; i < mr; i++) dst[i] = 0f;
            }
        }
    }

    /// <summary>
    /// Packs B rows [k0, k0 + kc) and columns [n0, n0 + nc) into NR-column panels of depth kc, one after another at
    /// <paramref name="destination"/> (panel stride kc·NR).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(SgemmKernel kernel, float* source, nint rowStride, nint columnStride, int k0, int kc, int n0, int nc, float* destination)
    {
        int nr = kernel.NR;
        for (int j = 0; j < nc; j += nr)
        {
            int cols = Math.Min(nr, nc - j);
            float* panel = destination + (long)(j / nr) * kc * nr;
            float* src = source + k0 * rowStride + (n0 + j) * columnStride;
            if (columnStride == 1 && cols == nr)
            {
                for (int kk = 0; kk < kc; kk++) CopyRow(src + kk * rowStride, panel + (long)kk * nr, nr);
            }
            else
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    float* dst = panel + (long)kk * nr;
                    float* row = src + kk * rowStride;
                    int t = 0;
                    for (; t < cols; t++) dst[t] = row[t * columnStride];
                    for (; t < nr; t++) dst[t] = 0f;
                }
            }
        }
    }

    /// <summary>Packs all of B (k × n) into NR-column panels of full depth k (panel stride k·NR): constant weights.</summary>
    public static void PackB(SgemmKernel kernel, float* source, nint rowStride, nint columnStride, int k, int n, float* destination)
        => PackB(kernel, source, rowStride, columnStride, 0, k, 0, n, destination);

    private static void CopyRow(float* src, float* dst, int count)
    {
        int t = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; t + 8 <= count; t += 8) Vector256.Store(Vector256.Load(src + t), dst + t);
        else if (Vector128.IsHardwareAccelerated)
            for (; t + 4 <= count; t += 4) Vector128.Store(Vector128.Load(src + t), dst + t);
        for (; t < count; t++) dst[t] = src[t];
    }

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;
}
