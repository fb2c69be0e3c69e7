namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>
/// One SGEMM microkernel with its tile shape, chosen together once per instruction set (XNNPACK's "config"):
/// weights packed for a kernel only work with that kernel.
/// <para>
/// The microkernel contract: <c>Run(kc, a, b, c, ldc, rows, store, epilogue)</c> computes
/// C[rows × NR] (=|+=) A_panel · B_panel over kc steps, where <c>a</c> points into an MR-row packed panel (kc steps of
/// MR floats), <c>b</c> into an NR-column packed panel (kc steps of NR floats), and <c>c</c> at the tile's first
/// element with row stride <c>ldc</c>; then applies the <see cref="SgemmEpilogue"/> as <see cref="SgemmStore"/> says.
/// Partial columns are the driver's job (it passes a temporary tile); partial rows are the kernel's (rows ≤ MR).
/// </para>
/// <para>
/// A kernel may also have a narrow variant for a partial column panel of at most <see cref="NarrowColumns"/> columns:
/// the same contract plus the column count, computing those columns with the same bits as the full kernel would.
/// </para>
/// </summary>
internal sealed unsafe class SgemmKernel
{
    private SgemmKernel(string name, Isa isa, int mr, int nr, delegate*<int, float*, float*, float*, nint, int, SgemmStore, SgemmEpilogue*, void> run,
        int narrowColumns = 0, delegate*<int, float*, float*, float*, nint, int, int, SgemmStore, SgemmEpilogue*, void> runNarrow = null)
    {
        Name = name;
        Isa = isa;
        MR = mr;
        NR = nr;
        Run = run;
        NarrowColumns = narrowColumns;
        RunNarrow = runNarrow;
    }

    /// <summary>The kernel's name, with its tile and ISA.</summary>
    public string Name { get; }

    /// <summary>The instruction set it needs.</summary>
    public Isa Isa { get; }

    /// <summary>Rows of A (and C) per tile.</summary>
    public int MR { get; }

    /// <summary>Columns of B (and C) per tile.</summary>
    public int NR { get; }

    /// <summary>The microkernel.</summary>
    public delegate*<int, float*, float*, float*, nint, int, SgemmStore, SgemmEpilogue*, void> Run { get; }

    /// <summary>The widest partial column panel <see cref="RunNarrow"/> takes; 0 when the kernel has no narrow variant.</summary>
    public int NarrowColumns { get; }

    /// <summary>The narrow variant: <c>RunNarrow(kc, a, b, c, ldc, rows, columns, store, epilogue)</c>, or null.</summary>
    public delegate*<int, float*, float*, float*, nint, int, int, SgemmStore, SgemmEpilogue*, void> RunNarrow { get; }

    private static readonly SgemmKernel Avx512 = new(nameof(Sgemm14x32Avx512), Isa.Avx512, Sgemm14x32Avx512.MR, Sgemm14x32Avx512.NR, &Sgemm14x32Avx512.Run,
        SgemmNarrow14Avx512.MaxColumns, &SgemmNarrow14Avx512.Run);
    private static readonly SgemmKernel Avx2 = new(nameof(Sgemm6x16Avx2), Isa.Avx2, Sgemm6x16Avx2.MR, Sgemm6x16Avx2.NR, &Sgemm6x16Avx2.Run);
    private static readonly SgemmKernel Vector128 = new(nameof(Sgemm6x8Vector128), Isa.Vector128, Sgemm6x8Vector128.MR, Sgemm6x8Vector128.NR, &Sgemm6x8Vector128.Run);
    private static readonly SgemmKernel Scalar = new(nameof(Sgemm4x8Scalar), Isa.Scalar, Sgemm4x8Scalar.MR, Sgemm4x8Scalar.NR, &Sgemm4x8Scalar.Run);

    /// <summary>The kernel for <see cref="KernelIsa.Current"/>.</summary>
    public static SgemmKernel Current => For(KernelIsa.Current);

    /// <summary>The kernel for <paramref name="isa"/>.</summary>
    public static SgemmKernel For(Isa isa) => isa switch
    {
        Isa.Avx512 => Avx512,
        Isa.Avx2 => Avx2,
        Isa.Vector128 => Vector128,
        _ => Scalar,
    };

    /// <inheritdoc />
    public override string ToString() => Name;
}
