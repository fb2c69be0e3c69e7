using System.Runtime.CompilerServices;
namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>
/// The scalar SGEMM microkernel, for machines without usable vectors: a tile of up to 4 rows × 8 columns accumulated
/// in a stack array. It is also the plainest statement of the microkernel contract.
/// </summary>
internal static unsafe class Sgemm4x8Scalar
{
    /// <summary>Rows per tile.</summary>
    public const int MR = 4;

    /// <summary>Columns per tile.</summary>
    public const int NR = 8;

    /// <summary>Runs one tile; <paramref name="rows"/> ≤ MR. See <see cref="SgemmKernel"/> for the contract.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, int rows, SgemmStore store, SgemmEpilogue* epilogue)
    {
        float* acc = stackalloc float[MR * NR];
        new Span<float>(acc, MR * NR).Clear();
        for (int k = 0; k < kc; k++)
        {
            for (int i = 0; i < rows; i++)
            {
                float ai = a[i];
                float* row = acc + i * NR;
                for (int j = 0; j < NR; j++) row[j] += ai * b[j];
            }
            a += MR;
            b += NR;
        }

        for (int i = 0; i < rows; i++)
        {
            float* dst = c + i * ldc;
            float* src = acc + i * NR;
            for (int j = 0; j < NR; j++)
            {
                float v = src[j];
                if ((store & SgemmStore.Accumulate) != 0) v += dst[j];
                if ((store & SgemmStore.Bias) != 0)
                {
                    if (epilogue->RowBias != null) v += epilogue->RowBias[i];
                    if (epilogue->ColumnBias != null) v += epilogue->ColumnBias[j];
                }
                if ((store & SgemmStore.Clamp) != 0) v = MathF.Min(MathF.Max(v, epilogue->Min), epilogue->Max);
                dst[j] = v;
            }
        }
    }
}
