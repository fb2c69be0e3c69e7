using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Pipeline.Tensors;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph.Ops.Shape;

/// <summary>
/// Transpose: output axis i is input axis perm[i] (default: reversed). The kernel works on the reduced
/// <see cref="TransposePlan"/>: a plain copy, a copy of contiguous blocks, a tiled batched 2-D transpose (the
/// NCHW↔NHWC case; gathered by rows when there are only a few columns, such as an image's channels), or a general
/// strided gather.
/// </summary>
internal sealed class TransposeOperator(long[]? perm) : Operator
{
    /// <inheritdoc />
    public override string Name => "Transpose";

    private int[] Permutation(int rank, NodeIdentity node)
    {
        if (perm is null)
        {
            var reversed = new int[rank];
            for (int i = 0; i < rank; i++) reversed[i] = rank - 1 - i;
            return reversed;
        }
        if (perm.Length != rank) throw node.Fail($"perm [{string.Join(",", perm)}] has {perm.Length} entries for an input of rank {rank}");
        return Axes.NormalizeAll(perm, rank, node, "perm");
    }

    /// <inheritdoc />
    public override void InferOutputs(ShapeContext context)
    {
        int[] input = context.InputShape(0);
        int[] p = Permutation(input.Length, context.Node);
        var output = new int[input.Length];
        for (int i = 0; i < p.Length; i++) output[i] = input[p[i]];
        context.SetOutput(0, context.InputType(0), output);
    }

    /// <inheritdoc />
    public override Kernel CreateKernel(KernelContext context)
    {
        int[] input = context.Input(0).Shape;
        TransposePlan plan = TransposePlan.Create(input, Permutation(input.Length, context.Node));
        return ElementSizeDispatch.Dispatch<Factory, Kernel>(context.Input(0).Type, new Factory(plan));
    }

    /// <inheritdoc />
    public override string Describe() => perm is null ? "perm=reversed" : $"perm=[{string.Join(",", perm)}]";

    private readonly struct Factory(TransposePlan plan) : IElementFactory<Kernel>
    {
        public Kernel Create<T>() where T : unmanaged => new TransposeKernel<T>(plan);
    }
}

/// <summary>Runs a <see cref="TransposePlan"/> on elements stored as <typeparamref name="T"/>.</summary>
internal sealed unsafe class TransposeKernel<T>(TransposePlan plan) : Kernel where T : unmanaged
{
    private const int Tile = 32;

    /// <inheritdoc />
    public override void Run(in KernelIO io) => Execute(plan, io.InputPointer<T>(0), io.OutputPointer<T>(0), io.Pool);

    /// <summary>Transposes <paramref name="input"/> into <paramref name="output"/> (distinct buffers).</summary>
    public static void Execute(TransposePlan plan, T* input, T* output, WorkerPool pool)
    {
        long count = plan.ElementCount;
        if (count == 0) return;
        if (plan.IsCopy)
        {
            long bytes = count * sizeof(T);
            Buffer.MemoryCopy(input, output, bytes, bytes);
            return;
        }
        if (plan.IsBatched2D && !plan.KeepsInnerBlock)
        {
            int batch = plan.Dims.Length == 3 ? plan.Dims[0] : 1;
            int rows = plan.Dims[^2], columns = plan.Dims[^1];
            if (columns <= GatherColumns && sizeof(T) == 4 && Avx2.IsSupported)
            {
                long chunks = (long)batch * ((rows + GatherRows - 1) / GatherRows);
                var gather = new GatherBody(input, output, rows, columns, chunks, (int)Math.Min(chunks, WorkSplit.Count(count, pool.ThreadCount)));
                pool.For(gather.Items, ref gather);
                return;
            }
            // Items are bands of output rows (= input columns) of one batch entry.
            long bands = (long)batch * ((columns + Tile - 1) / Tile);
            int items = (int)Math.Min(bands, WorkSplit.Count(count, pool.ThreadCount));
            var body = new Batched2DBody(input, output, rows, columns, bands, items);
            pool.For(items, ref body);
            return;
        }
        var general = new GeneralBody(plan, input, output, WorkSplit.Count(count, pool.ThreadCount));
        pool.For(general.Items, ref general);
    }

    private readonly struct Batched2DBody(T* input, T* output, int rows, int columns, long bands, int items) : IParallelBody
    {
        public void Invoke(int index)
        {
            (long start, long end) = WorkSplit.Range(index, items, bands, 1);
            long bandsPerBatch = (columns + Tile - 1) / Tile;
            long plane = (long)rows * columns;
            for (long band = start; band < end; band++)
            {
                long b = band / bandsPerBatch;
                int c0 = (int)(band % bandsPerBatch) * Tile;
                int c1 = Math.Min(columns, c0 + Tile);
                T* source = input + b * plane;
                T* destination = output + b * plane;
                for (int r0 = 0; r0 < rows; r0 += Tile)
                {
                    int r1 = Math.Min(rows, r0 + Tile);
                    if (sizeof(T) == 4 && Avx.IsSupported)
                        Tile4ByteAvx((float*)source, (float*)destination, rows, columns, r0, r1, c0, c1);
                    else
                        TileScalar(source, destination, rows, columns, r0, r1, c0, c1);
                }
            }
        }
    }

    /// <summary>The most columns <see cref="GatherBody"/> takes: an image's few channels (NHWC→NCHW).</summary>
    private const int GatherColumns = 16;

    /// <summary>Rows per work item of <see cref="GatherBody"/>.</summary>
    private const int GatherRows = 2048;

    /// <summary>
    /// [R, C] → [C, R] for a few 4-byte columns, such as an image's 3 channels moved ahead of its pixels. The tiles of
    /// <see cref="Batched2DBody"/> would be one column-strided scalar tile: here each output row is written 8 elements
    /// at a time, gathered from 8 consecutive input rows, and the items split the rows.
    /// </summary>
    private readonly struct GatherBody(T* input, T* output, int rows, int columns, long chunks, int items) : IParallelBody
    {
        public int Items => items;

        public void Invoke(int index)
        {
            (long start, long end) = WorkSplit.Range(index, items, chunks, 1);
            long chunksPerBatch = (rows + GatherRows - 1) / GatherRows;
            long plane = (long)rows * columns;
            Vector256<int> lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * columns;
            for (long chunk = start; chunk < end; chunk++)
            {
                long b = chunk / chunksPerBatch;
                int r0 = (int)(chunk % chunksPerBatch) * GatherRows, r1 = Math.Min(rows, r0 + GatherRows);
                int* source = (int*)(input + b * plane);
                int* destination = (int*)(output + b * plane);
                for (int c = 0; c < columns; c++)
                {
                    int* d = destination + (long)c * rows;
                    Vector256<int> offsets = lanes + Vector256.Create(c);
                    int r = r0;
                    for (; r + 8 <= r1; r += 8) Avx.Store(d + r, Avx2.GatherVector256(source + (long)r * columns, offsets, 4));
                    for (; r < r1; r++) d[r] = source[(long)r * columns + c];
                }
            }
        }
    }

    /// <summary>destination[c, r] = source[r, c] over one tile, element by element.</summary>
    private static void TileScalar(T* source, T* destination, int rows, int columns, int r0, int r1, int c0, int c1)
    {
        for (int c = c0; c < c1; c++)
        {
            T* d = destination + (long)c * rows;
            T* s = source + c;
            for (int r = r0; r < r1; r++) d[r] = s[(long)r * columns];
        }
    }

    /// <summary>One tile of 4-byte elements in 8×8 blocks transposed in registers; the ragged edges go element by element.</summary>
    private static void Tile4ByteAvx(float* source, float* destination, int rows, int columns, int r0, int r1, int c0, int c1)
    {
        int rFull = r0 + (r1 - r0) / 8 * 8, cFull = c0 + (c1 - c0) / 8 * 8;
        for (int r = r0; r < rFull; r += 8)
            for (int c = c0; c < cFull; c += 8)
                Transpose8x8(source + (long)r * columns + c, columns, destination + (long)c * rows + r, rows);
        if (cFull < c1) TileScalar((T*)source, (T*)destination, rows, columns, r0, r1, cFull, c1);
        if (rFull < r1) TileScalar((T*)source, (T*)destination, rows, columns, rFull, r1, c0, cFull);
    }

    /// <summary>
    /// Transposes the 8×8 block at <paramref name="s"/> (row stride <paramref name="sStride"/>) into <paramref name="d"/>:
    /// interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
    /// </summary>
    private static void Transpose8x8(float* s, int sStride, float* d, int dStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + sStride);
        Vector256<float> r2 = Avx.LoadVector256(s + 2L * sStride), r3 = Avx.LoadVector256(s + 3L * sStride);
        Vector256<float> r4 = Avx.LoadVector256(s + 4L * sStride), r5 = Avx.LoadVector256(s + 5L * sStride);
        Vector256<float> r6 = Avx.LoadVector256(s + 6L * sStride), r7 = Avx.LoadVector256(s + 7L * sStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + dStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2L * dStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3L * dStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4L * dStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5L * dStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6L * dStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7L * dStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>Walks output rows (all output axes but the last) and copies or gathers each.</summary>
    private readonly struct GeneralBody(TransposePlan plan, T* input, T* output, int items) : IParallelBody
    {
        public int Items => items;

        public void Invoke(int index)
        {
            int rank = plan.Dims.Length;
            int inner = plan.Dims[plan.Perm[rank - 1]];
            long innerStride = plan.InputStrides[plan.Perm[rank - 1]];
            long rows = plan.ElementCount / inner;
            (long start, long end) = WorkSplit.Range(index, items, rows, 1);
            if (start >= end) return;
            Span<int> counters = stackalloc int[rank - 1];
            long offset = 0, row = start;
            for (int d = rank - 2; d >= 0; d--)
            {
                int size = plan.Dims[plan.Perm[d]];
                counters[d] = (int)(row % size);
                row /= size;
                offset += counters[d] * plan.InputStrides[plan.Perm[d]];
            }
            for (long r = start; r < end; r++)
            {
                T* destination = output + r * inner;
                T* source = input + offset;
                if (innerStride == 1) new ReadOnlySpan<T>(source, inner).CopyTo(new Span<T>(destination, inner));
                else for (int i = 0; i < inner; i++) destination[i] = source[i * innerStride];
                for (int d = rank - 2; d >= 0; d--)
                {
                    long stride = plan.InputStrides[plan.Perm[d]];
                    if (++counters[d] < plan.Dims[plan.Perm[d]]) { offset += stride; break; }
                    counters[d] = 0;
                    offset -= (plan.Dims[plan.Perm[d]] - 1) * stride;
                }
            }
        }
    }
}
