using System.Numerics.Tensors;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tensors.Kernels.Pooling;

/// <summary>GlobalAveragePool and GlobalMaxPool: one value per (image, channel) plane, planes in parallel.</summary>
internal static unsafe class GlobalPooling
{
    /// <summary>y[p] = mean (or max) of plane p of x, for <paramref name="planes"/> planes of <paramref name="planeSize"/> elements.</summary>
    public static void Run(float* x, float* y, int planes, int planeSize, bool max, WorkerPool pool)
    {
        var body = new Body(x, y, planeSize, max);
        // Small planes are not worth a thread hand-off each: batch them into chunks of ~16K elements.
        int perChunk = Math.Max(1, 16384 / Math.Max(1, planeSize));
        body.PerChunk = perChunk;
        body.Planes = planes;
        pool.For((planes + perChunk - 1) / perChunk, ref body);
    }

    private struct Body(float* x, float* y, int planeSize, bool max) : IParallelBody
    {
        public int PerChunk;
        public int Planes;

        public readonly void Invoke(int chunk)
        {
            int end = Math.Min(Planes, (chunk + 1) * PerChunk);
            for (int p = chunk * PerChunk; p < end; p++)
            {
                var plane = new ReadOnlySpan<float>(x + (long)p * planeSize, planeSize);
                y[p] = planeSize == 0 ? 0f : max ? TensorPrimitives.Max(plane) : TensorPrimitives.Sum(plane) / planeSize;
            }
        }
    }
}
