using System.Runtime.CompilerServices;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>
/// Where the A and C operands of a batch of GEMMs live. Problem q uses A group <c>q % Groups</c> (packed panels of
/// full depth K) and writes C at <c>C + q·CProblemStride</c> with row stride <c>Ldc</c>; a conv's problems are
/// (image, group) pairs, a batched MatMul's are its matrices.
/// </summary>
internal readonly unsafe struct SgemmOperands
{
    /// <summary>Packed A panels of group 0 (<see cref="SgemmPacker.PackA(SgemmKernel, float*, nint, nint, int, int, float*)"/>).</summary>
    public float* PackedA { get; init; }

    /// <summary>Floats between the packed A of consecutive groups.</summary>
    public long AGroupStride { get; init; }

    /// <summary>Number of distinct A matrices (conv groups); problem q uses group q % Groups.</summary>
    public int Groups { get; init; }

    /// <summary>C of problem 0.</summary>
    public float* C { get; init; }

    /// <summary>Floats between rows of C.</summary>
    public nint Ldc { get; init; }

    /// <summary>Floats between the C of consecutive problems.</summary>
    public long CProblemStride { get; init; }
}

/// <summary>
/// The SGEMM driver: runs the tasks of an <see cref="SgemmPlan"/> over a <see cref="WorkerPool"/>, packing B blocks into
/// per-thread scratch and calling the plan's microkernel on every MR×NR tile, with partial tiles at the M and N edges and
/// the fused epilogue (bias, activation, accumulate) on the last K block. No allocation per call.
/// </summary>
internal static unsafe class Sgemm
{
    /// <summary>
    /// Computes every problem of <paramref name="plan"/>. <paramref name="scratch"/> must hold
    /// <see cref="SgemmPlan.ScratchBytes"/>, 64-byte aligned. A row bias has M values per group.
    /// </summary>
    public static void Run<TB>(SgemmPlan plan, in SgemmOperands operands, TB b, in SgemmOutput output, WorkerPool pool, float* scratch)
        where TB : struct, ISgemmBSource
    {
        if (plan.M == 0 || plan.N == 0) return;
        if (plan.BIsPrepacked && !b.IsPrepacked) throw new InvalidOperationException("the plan keeps no scratch to pack B; pass a prepacked B");
        int slots = Math.Min(plan.ThreadCount, pool.ThreadCount);
        float* shared = null;
        if (plan.SharedBFloats > 0 && !b.IsPrepacked)
        {
            shared = scratch + plan.SlotFloats * plan.ThreadCount;
            var pack = new PackBody<TB>(plan, b, shared);
            if (slots <= 1) pack.Invoke(0);
            else pool.For(slots, ref pack);
        }
        if (slots <= 1 || plan.Tasks == 1)
        {
            long single = 0;
            new Body<TB>(plan, operands, b, output, scratch, shared, &single, 1, plan.Tasks).Invoke(0);
            return;
        }
        // One claim counter per slot, a cache line apart, each starting at its slot's share of the tasks.
        long* counters = stackalloc long[slots * CounterStride];
        long share = (plan.Tasks + slots - 1) / slots;
        for (int s = 0; s < slots; s++) counters[s * CounterStride] = s * share;
        var body = new Body<TB>(plan, operands, b, output, scratch, shared, counters, slots, share);
        pool.For(slots, ref body);
    }

    private const int CounterStride = 64 / sizeof(long);

    /// <summary>Packs every (problem, N block, K block) of B once into the plan's shared area.</summary>
    private struct PackBody<TB>(SgemmPlan plan, TB b, float* shared) : IParallelBody
        where TB : struct, ISgemmBSource
    {
        private long _next;

        public void Invoke(int slot)
        {
            long task;
            while ((task = Interlocked.Increment(ref _next) - 1) < plan.PackTasks)
            {
                int kb = (int)(task % plan.KBlocks);
                long rest = task / plan.KBlocks;
                int nBlock = (int)(rest % plan.NBlocks), problem = (int)(rest / plan.NBlocks);
                int k0 = kb * plan.KC, kc = Math.Min(plan.KC, plan.K - k0);
                int n0 = nBlock * plan.NC, nc = Math.Min(plan.NC, plan.N - n0);
                b.Panels(plan.Kernel, problem, k0, kc, n0, nc, shared + plan.SharedBOffset(problem, nBlock, k0), out _);
            }
        }
    }

    /// <summary>
    /// The tasks, split into one contiguous share per slot. A slot runs its own share first and then helps with the
    /// others' remaining tasks, so a thread the OS holds back delays nobody for long. Consecutive GEMMs (a network's
    /// layers) split their columns the same way, so each thread mostly reads the activations it wrote itself: with
    /// every task claimed from one shared counter, the small convs of SqueezeNet ran slower on 2 threads than on 1,
    /// their inputs bouncing between the cores' caches.
    /// </summary>
    private readonly struct Body<TB>(SgemmPlan plan, SgemmOperands operands, TB b, SgemmOutput output, float* scratch, float* shared,
        long* counters, int slots, long share) : IParallelBody
        where TB : struct, ISgemmBSource
    {
        public void Invoke(int slot)
        {
            float* buffer = scratch + slot * plan.SlotFloats;
            for (int i = 0; i < slots; i++)
            {
                int owner = (slot + i) % slots;
                long end = Math.Min(plan.Tasks, (owner + 1) * share), task;
                while ((task = Interlocked.Increment(ref counters[owner * CounterStride]) - 1) < end) RunTask(task, buffer);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void RunTask(long task, float* buffer)
        {
            SgemmKernel kernel = plan.Kernel;
            int mr = kernel.MR, nr = kernel.NR;
            long perProblem = (long)plan.MBlocks * plan.NBlocks;
            int problem = (int)(task / perProblem);
            int rest = (int)(task % perProblem);
            int mBlock = rest / plan.NBlocks, nBlock = rest % plan.NBlocks;
            int firstPanel = mBlock * plan.MPanelsPerBlock;
            int endPanel = Math.Min(firstPanel + plan.MPanelsPerBlock, plan.MPanels);
            int n0 = nBlock * plan.NC;
            int nc = Math.Min(plan.NC, plan.N - n0);
            int m = plan.M, k = plan.K;
            int group = problem % operands.Groups;

            float* a = operands.PackedA + group * operands.AGroupStride;
            float* c = operands.C + problem * operands.CProblemStride;
            nint ldc = operands.Ldc;
            float* tempTile = buffer + (plan.SlotFloats - RoundUp(nr, 16) - RoundUp(mr * nr, 16));
            float* tempBias = buffer + (plan.SlotFloats - RoundUp(nr, 16));

            FusedActivation activation = output.Activation;
            bool clamp = activation.IsClamp;
            bool postActivation = !activation.IsClampOrNone;
            float* rowBias = output.RowBias == null ? null : output.RowBias + (long)group * m;
            bool hasBias = rowBias != null || output.ColumnBias != null;
            SgemmEpilogue epilogue = default;
            epilogue.Min = activation.ClampMin;
            epilogue.Max = activation.ClampMax;

            for (int kb = 0; kb < plan.KBlocks; kb++)
            {
                int k0 = kb * plan.KC;
                int kc = Math.Min(plan.KC, k - k0);
                nint panelStride;
                float* panels;
                if (shared != null)
                {
                    panels = shared + plan.SharedBOffset(problem, nBlock, k0);
                    panelStride = (nint)kc * nr;
                }
                else panels = b.Panels(kernel, problem, k0, kc, n0, nc, buffer, out panelStride);
                bool last = kb == plan.KBlocks - 1;
                SgemmStore store = kb > 0 || output.AccumulateIntoC ? SgemmStore.Accumulate : SgemmStore.Overwrite;
                if (last && hasBias) store |= SgemmStore.Bias;
                if (last && clamp) store |= SgemmStore.Clamp;

                for (int p = firstPanel; p < endPanel; p++)
                {
                    int row0 = p * mr;
                    int rows = Math.Min(mr, m - row0);
                    float* ap = a + (long)row0 * k + (long)k0 * mr;
                    epilogue.RowBias = rowBias == null ? null : rowBias + row0;
                    for (int j = 0; j < nc; j += nr)
                    {
                        int cols = Math.Min(nr, nc - j);
                        int col = n0 + j;
                        float* bp = panels + (j / nr) * panelStride;
                        float* ct = c + row0 * ldc + col;
                        if (cols == nr)
                        {
                            epilogue.ColumnBias = output.ColumnBias == null ? null : output.ColumnBias + col;
                            kernel.Run(kc, ap, bp, ct, ldc, rows, store, &epilogue);
                        }
                        else
                        {
                            // A partial tile goes through a full-width temporary so the microkernel never needs masks.
                            if (output.ColumnBias != null)
                            {
                                new Span<float>(tempBias, nr).Clear();
                                new ReadOnlySpan<float>(output.ColumnBias + col, cols).CopyTo(new Span<float>(tempBias, cols));
                                epilogue.ColumnBias = tempBias;
                            }
                            if ((store & SgemmStore.Accumulate) != 0)
                                for (int i = 0; i < rows; i++)
                                    new ReadOnlySpan<float>(ct + i * ldc, cols).CopyTo(new Span<float>(tempTile + i * nr, cols));
                            if (cols <= kernel.NarrowColumns) kernel.RunNarrow(kc, ap, bp, tempTile, nr, rows, cols, store, &epilogue);
                            else kernel.Run(kc, ap, bp, tempTile, nr, rows, store, &epilogue);
                            for (int i = 0; i < rows; i++)
                                new ReadOnlySpan<float>(tempTile + i * nr, cols).CopyTo(new Span<float>(ct + i * ldc, cols));
                        }
                        if (last && postActivation)
                            for (int i = 0; i < rows; i++) ActivationEpilogue.Apply(activation, new Span<float>(ct + i * ldc, cols));
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static long RoundUp(long a, int b) => (a + b - 1) / b * b;
    }
}
