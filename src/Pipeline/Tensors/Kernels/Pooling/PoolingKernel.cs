using System.Runtime.CompilerServices;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tensors.Kernels.Pooling;

/// <summary>
/// Sliding-window pooling over N-d planes: each output takes its window's valid taps (a box, from
/// <see cref="PoolWindows"/>) through a <see cref="IWindowReducer{T}"/>. Planes (image, channel) run in parallel,
/// grouped into a few items per thread.
/// The Indices output of MaxPool is the flat input index of the selected element, over the whole tensor: row-major
/// within the plane for storage_order 0, column-major for storage_order 1.
/// </summary>
internal static unsafe class PoolingKernel
{
    /// <summary>Pools every plane of <paramref name="x"/> into <paramref name="y"/>; <paramref name="indices"/> may be null.</summary>
    public static void Run<T, TReducer>(PoolWindows windows, T* x, T* y, long* indices, bool columnMajorIndices, TReducer reducer, WorkerPool pool,
        Isa isa = Isa.Scalar)
        where T : unmanaged
        where TReducer : struct, IWindowReducer<T>
    {
        if (typeof(T) == typeof(float) && indices == null && CoversWholePlane(windows.Geometry)
            && (typeof(TReducer) == typeof(MaxReducer<float>) || typeof(TReducer) == typeof(AverageReducer)))
        {
            // A window over the whole plane (the 7×7 average pool ending a MobileNet or ResNet) is a global pool: one
            // vectorized reduction per plane instead of a window walk that leaves 15 of 16 lanes idle.
            GlobalPooling.Run((float*)x, (float*)y, windows.Geometry.Planes, windows.Geometry.InputPlane, typeof(TReducer) == typeof(MaxReducer<float>), pool);
            return;
        }
        bool fast = typeof(T) == typeof(float) && indices == null && Pool2dFloat.Supports(windows.Geometry, isa)
            && (typeof(TReducer) == typeof(MaxReducer<float>) || typeof(TReducer) == typeof(AverageReducer));
        int planes = windows.Geometry.Planes;
        int items = Items(windows.Geometry, pool.ThreadCount);
        var body = new Body<T, TReducer>(windows, x, y, indices, columnMajorIndices, reducer, fast ? isa : Isa.Scalar, planes, (planes + items - 1) / items);
        pool.For(items, ref body);
    }

    /// <summary>Window taps below which planes are not split over threads (a few µs of work even when vectorized).</summary>
    private const long MinTapsPerItem = 1 << 15;

    /// <summary>
    /// How many items the planes are grouped into: each item at least <see cref="MinTapsPerItem"/> taps, and at most
    /// twice as many items as threads. A 13×13 plane is about 0.2 µs of work, less than handing it to another core and
    /// claiming it costs: with one plane per item, 512 such planes ran slower on 2 threads than on 1.
    /// </summary>
    private static int Items(PoolGeometry g, int threads)
    {
        long taps = (long)g.Planes * g.OutputPlane;
        foreach (int k in g.KernelSize) taps *= k;
        if (threads <= 1 || taps < 2 * MinTapsPerItem) return 1;
        return (int)Math.Min(Math.Min(2L * threads, taps / MinTapsPerItem), g.Planes);
    }

    /// <summary>True when the only window is the whole input plane: one output, no padding, no dilation.</summary>
    private static bool CoversWholePlane(PoolGeometry g)
    {
        if (g.OutputPlane != 1) return false;
        for (int axis = 0; axis < g.Rank; axis++)
            if (g.KernelSize[axis] != g.InputSize[axis] || g.PadsBegin[axis] != 0 || g.PadsEnd[axis] != 0 || g.Dilations[axis] != 1) return false;
        return true;
    }

    private readonly struct Body<T, TReducer>(PoolWindows windows, T* x, T* y, long* indices, bool columnMajor, TReducer reducer, Isa fastIsa,
        int planes, int planesPerItem) : IParallelBody
        where T : unmanaged
        where TReducer : struct, IWindowReducer<T>
    {
        public void Invoke(int item)
        {
            int end = Math.Min(planes, (item + 1) * planesPerItem);
            for (int plane = item * planesPerItem; plane < end; plane++) Plane(plane);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Plane(int plane)
        {
            PoolGeometry g = windows.Geometry;
            T* input = x + (long)plane * g.InputPlane;
            T* output = y + (long)plane * g.OutputPlane;
            long* outIndices = indices == null ? null : indices + (long)plane * g.OutputPlane;
            long planeBase = (long)plane * g.InputPlane;
            TReducer r = reducer;
            if (fastIsa != Isa.Scalar)
            {
                bool average = typeof(TReducer) == typeof(AverageReducer);
                bool includePad = average && ((AverageReducer)(object)r).CountIncludePad;
                Pool2dFloat.Plane(windows, (float*)input, (float*)output, average, includePad, fastIsa);
            }
            else if (g.Rank <= 2) Plane2d(g, input, output, outIndices, planeBase, ref r);
            else PlaneNd(g, input, output, outIndices, planeBase, ref r);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Plane2d(PoolGeometry g, T* input, T* output, long* outIndices, long planeBase, ref TReducer r)
        {
            bool is2d = g.Rank == 2;
            int outH = is2d ? g.OutputSize[0] : 1, outW = g.OutputSize[^1];
            int inH = is2d ? g.InputSize[0] : 1, inW = g.InputSize[^1];
            int dH = is2d ? g.Dilations[0] : 1, dW = g.Dilations[^1];
            int wAxis = g.Rank - 1;
            int[] startW = windows.Start[wAxis], firstW = windows.First[wAxis], endW = windows.End[wAxis], paddedW = windows.PaddedCount[wAxis];
            for (int oh = 0; oh < outH; oh++)
            {
                int startH = is2d ? windows.Start[0][oh] : 0, firstH = is2d ? windows.First[0][oh] : 0;
                int endH = is2d ? windows.End[0][oh] : 1, paddedH = is2d ? windows.PaddedCount[0][oh] : 1;
                for (int ow = 0; ow < outW; ow++)
                {
                    r.Reset();
                    for (int th = firstH; th < endH; th++)
                    {
                        int rowOffset = (startH + th * dH) * inW;
                        T* row = input + rowOffset;
                        for (int tw = firstW[ow]; tw < endW[ow]; tw++)
                        {
                            int iw = startW[ow] + tw * dW;
                            r.Add(row[iw], rowOffset + iw);
                        }
                    }
                    int valid = (endH - firstH) * (endW[ow] - firstW[ow]);
                    output[oh * outW + ow] = r.Finish(valid, paddedH * paddedW[ow], out int arg);
                    if (outIndices != null)
                    {
                        long index = arg;
                        if (columnMajor && arg >= 0) index = (long)(arg % inW) * inH + arg / inW;
                        outIndices[oh * outW + ow] = planeBase + index;
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void PlaneNd(PoolGeometry g, T* input, T* output, long* outIndices, long planeBase, ref TReducer r)
        {
            int rank = g.Rank;
            Span<int> o = stackalloc int[rank];
            Span<int> t = stackalloc int[rank];
            for (int op = 0; op < g.OutputPlane; op++)
            {
                int rest = op;
                for (int d = rank - 1; d >= 0; d--)
                {
                    o[d] = rest % g.OutputSize[d];
                    rest /= g.OutputSize[d];
                }
                int valid = 1, padded = 1;
                bool empty = false;
                for (int d = 0; d < rank; d++)
                {
                    valid *= windows.End[d][o[d]] - windows.First[d][o[d]];
                    padded *= windows.PaddedCount[d][o[d]];
                    t[d] = windows.First[d][o[d]];
                    if (windows.End[d][o[d]] == windows.First[d][o[d]]) empty = true;
                }
                r.Reset();
                while (!empty)
                {
                    int offset = 0;
                    for (int d = 0; d < rank; d++) offset = offset * g.InputSize[d] + windows.Start[d][o[d]] + t[d] * g.Dilations[d];
                    r.Add(input[offset], offset);
                    int axis = rank - 1;
                    while (axis >= 0 && ++t[axis] == windows.End[axis][o[axis]])
                    {
                        t[axis] = windows.First[axis][o[axis]];
                        axis--;
                    }
                    if (axis < 0) break;
                }
                output[op] = r.Finish(valid, padded, out int arg);
                if (outIndices != null)
                {
                    long index = arg;
                    if (columnMajor && arg >= 0)
                    {
                        // Reverse the axis order of the row-major offset.
                        long col = 0, remaining = arg;
                        for (int d = rank - 1; d >= 0; d--)
                        {
                            long coordinate = remaining % g.InputSize[d];
                            remaining /= g.InputSize[d];
                            col += coordinate * ColumnStride(g, d);
                        }
                        index = col;
                    }
                    outIndices[op] = planeBase + index;
                }
            }
        }

        private static long ColumnStride(PoolGeometry g, int axis)
        {
            long stride = 1;
            for (int d = 0; d < axis; d++) stride *= g.InputSize[d];
            return stride;
        }
    }
}
