namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>
/// The blocking of a batch of same-shaped GEMMs C[M×N] = A[M×K]·B[K×N], fixed when a kernel is created:
/// K is cut into blocks of at most <see cref="KC"/> (so an A micro-panel stays in L1 while it sweeps a B block),
/// N into blocks of <see cref="NC"/> columns (so the packed B block stays in L2), and M into blocks of panels when N
/// alone gives too few tasks to keep every thread busy. A task is one (problem, M block, N block); threads claim tasks
/// dynamically, each with its own scratch slot for packed B.
/// </summary>
internal sealed class SgemmPlan
{
    private const int MaxKC = 512;
    private const long BlockBBytes = 384 * 1024;
    private const int TasksPerThread = 8;
    private const int MinTasksPerThread = 3;
    private const long MaxSharedBBytes = 4L * 1024 * 1024;

    /// <summary>
    /// Plans <paramref name="problems"/> GEMMs of M×N×K for <paramref name="threadCount"/> threads. With
    /// <paramref name="prepackedB"/> (constant weights on the B side, <see cref="PrepackedB"/>) no scratch is set aside
    /// for packing B.
    /// </summary>
    public SgemmPlan(SgemmKernel kernel, int m, int n, int k, int problems = 1, int threadCount = 1, bool prepackedB = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(problems, 1);
        Kernel = kernel;
        BIsPrepacked = prepackedB;
        M = m;
        N = n;
        K = k;
        Problems = problems;
        ThreadCount = Math.Max(1, threadCount);

        int nr = kernel.NR;
        KBlocks = Math.Max(1, CeilDiv(k, MaxKC));
        KC = Math.Max(1, CeilDiv(k, KBlocks));

        int maxNC = Math.Max(nr, (int)(BlockBBytes / (KC * 4L)) / nr * nr);
        int nc = maxNC;
        if (ThreadCount > 1)
        {
            // Smaller N blocks only cost A re-reads from L1/L2, so trade them for enough tasks to balance the threads.
            int wanted = ThreadCount * TasksPerThread;
            long perBlock = CeilDiv((long)n * problems, wanted);
            nc = (int)Math.Clamp(CeilDiv(perBlock, nr) * nr, Math.Min(2 * nr, maxNC), maxNC);
        }
        NC = nc;
        NBlocks = Math.Max(1, CeilDiv(n, NC));
        MPanels = CeilDiv(m, kernel.MR);
        MBlocks = 1;
        // Splitting M makes every M block of an N block pack (or im2col) the same B again, so it is the last resort:
        // only when N gives under 3 tasks per thread. At 8 (the N target) a 56×56 or 28×28 conv on 2 threads split M
        // in two and ran 10–25 % slower than with its 13–14 uneven N blocks (ConvBenchmarks).
        if (ThreadCount > 1 && (long)NBlocks * problems < (long)ThreadCount * MinTasksPerThread && MPanels > 1)
            MBlocks = (int)Math.Min(MPanels, CeilDiv((long)ThreadCount * TasksPerThread, (long)NBlocks * problems));
        MPanelsPerBlock = Math.Max(1, CeilDiv(MPanels, MBlocks));
        MBlocks = Math.Max(1, CeilDiv(MPanels, MPanelsPerBlock));
        Tasks = (long)problems * MBlocks * NBlocks;
        SlotFloats = (prepackedB ? 0 : RoundUp((long)KC * CeilDiv(NC, nr) * nr, 16)) + RoundUp(kernel.MR * nr, 16) + RoundUp(nr, 16);
        // With M blocks, every task of an N block would pack (or im2col) the same B block again: up to MBlocks times
        // the packing work, which rivals the FLOPs when N is small and K large. Pack each block once instead, shared.
        // Only from 3 M blocks and a few MB: at 2 M blocks (56×56, 28×28 planes) the shared area would leave L2 for a
        // saving of one packing pass, and that trade is not measured yet.
        long shared = (long)problems * NBlocks * k * CeilDiv(NC, nr) * nr;
        if (!prepackedB && MBlocks > 2 && shared * sizeof(float) <= MaxSharedBBytes) SharedBFloats = RoundUp(shared, 16);
    }

    /// <summary>
    /// Floats of the shared packed-B area (0 when unused): every (problem, N block) packed once, all of K, before the
    /// tasks run, when the plan splits M so several tasks read the same B block.
    /// </summary>
    public long SharedBFloats { get; }

    /// <summary>Where the shared packed B of (problem, N block) starts, relative to the shared area.</summary>
    public long SharedBOffset(int problem, int nBlock, int k0) => (((long)problem * NBlocks + nBlock) * K + k0) * RoundUp(NC, Kernel.NR);

    /// <summary>Packing tasks of the shared B: problems × N blocks × K blocks.</summary>
    public long PackTasks => (long)Problems * NBlocks * KBlocks;

    /// <summary>True when the plan keeps no scratch for packing B: every run must pass a prepacked B.</summary>
    public bool BIsPrepacked { get; }

    /// <summary>The microkernel the plan was made for.</summary>
    public SgemmKernel Kernel { get; }

    /// <summary>Rows of each C.</summary>
    public int M { get; }

    /// <summary>Columns of each C.</summary>
    public int N { get; }

    /// <summary>The shared dimension.</summary>
    public int K { get; }

    /// <summary>How many independent GEMMs of this shape one run computes (images × groups).</summary>
    public int Problems { get; }

    /// <summary>The most threads a run uses (scratch slots).</summary>
    public int ThreadCount { get; }

    /// <summary>Depth of a K block.</summary>
    public int KC { get; }

    /// <summary>Number of K blocks.</summary>
    public int KBlocks { get; }

    /// <summary>Columns of an N block (a multiple of NR).</summary>
    public int NC { get; }

    /// <summary>Number of N blocks.</summary>
    public int NBlocks { get; }

    /// <summary>Number of MR-row panels of A.</summary>
    public int MPanels { get; }

    /// <summary>Panels per M block.</summary>
    public int MPanelsPerBlock { get; }

    /// <summary>Number of M blocks.</summary>
    public int MBlocks { get; }

    /// <summary>Tasks per run: problems × M blocks × N blocks.</summary>
    public long Tasks { get; }

    /// <summary>Scratch floats per thread slot: a packed B block (unless B is prepacked), a temporary tile and a padded column-bias row.</summary>
    public long SlotFloats { get; }

    /// <summary>Scratch bytes one run needs, for <see cref="Graph.Kernel.ScratchBytes"/>.</summary>
    public long ScratchBytes => (SlotFloats * ThreadCount + SharedBFloats) * sizeof(float);

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;

    private static long RoundUp(long a, int b) => (a + b - 1) / b * b;
}
