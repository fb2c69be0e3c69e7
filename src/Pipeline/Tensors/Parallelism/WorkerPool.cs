using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Pipeline.Tensors.Parallelism;

/// <summary>
/// A fixed set of worker threads for the data-parallel loops inside kernels.
/// The calling thread takes part in every loop, so a pool of <c>n</c> threads starts <c>n - 1</c> workers.
/// Workers spin briefly after a loop (kernels come back to back) and then sleep.
/// The pool serves one loop at a time: a loop started while another runs (from another thread or nested) runs
/// inline on its caller. That is what makes one model safe and still fast when many threads run it at once.
/// </summary>
internal sealed unsafe class WorkerPool : IDisposable
{
    private const int SpinIterationsBeforeSleep = 20_000;

    private readonly Thread[] _workers;
    private readonly SemaphoreSlim _wake = new(0);
    private int _busy;              // 1 while a loop owns the pool
    private int _sleepers;          // workers blocked (or about to block) on _wake
    private volatile int _generation; // bumped per loop so spinning workers see new work
    private volatile bool _disposed;

    // The loop being run. Set before the generation bump, read by workers after they observe it.
    private delegate*<void*, int, void> _invoke;
    private void* _body;
    private int _count;
    private int _next;              // next index to claim
    // Workers inside the current loop in the low bits, plus the Closed bit once the caller has finished its share:
    // a worker joins only while the loop is open, so the caller never waits for a worker that has not woken up yet.
    private int _state = Closed;
    private const int Closed = 1 << 30;
    private ExceptionDispatchInfo? _failure;

    /// <summary>A pool that runs every loop on the calling thread.</summary>
    public static WorkerPool Inline { get; } = new(1);

    /// <summary>Creates a pool of <paramref name="threadCount"/> threads, the caller included.</summary>
    public WorkerPool(int threadCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threadCount, ThreadLimits.Max);
        ThreadCount = threadCount;
        _workers = new Thread[threadCount - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"Pipeline worker {i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>The number of threads a loop can use, the caller included.</summary>
    public int ThreadCount { get; }

    /// <summary>
    /// Runs <c>body.Invoke(i)</c> for every i in [0, <paramref name="count"/>), spread over the pool, and returns when all
    /// are done. The first exception thrown by any item is rethrown here after the loop drains.
    /// </summary>
    public void For<TBody>(int count, ref TBody body) where TBody : struct, IParallelBody
    {
        if (count <= 0) return;
        if (count == 1 || _workers.Length == 0 || _disposed || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++) body.Invoke(i);
            return;
        }

        try
        {
            // The body stays on this stack frame until every worker has left the loop, so a raw pointer to it is safe.
            _invoke = &InvokeBody<TBody>;
            _body = Unsafe.AsPointer(ref body);
            _count = count;
            _next = 0;
            _failure = null;
            Volatile.Write(ref _state, 0);
            _generation++;
            // Only sleeping workers need a signal; spinning ones see the new generation by themselves.
            int sleepers = Volatile.Read(ref _sleepers);
            if (sleepers > 0) _wake.Release(sleepers);

            RunItems();

            Interlocked.Or(ref _state, Closed);
            var spin = new SpinWait();
            while ((Volatile.Read(ref _state) & ~Closed) != 0) spin.SpinOnce(-1);
            _failure?.Throw();
        }
        finally
        {
            _body = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    private static void InvokeBody<TBody>(void* body, int index) where TBody : struct, IParallelBody
        => Unsafe.AsRef<TBody>(body).Invoke(index);

    private void RunItems()
    {
        int count = _count;
        while (true)
        {
            int i = Interlocked.Increment(ref _next) - 1;
            if (i >= count) return;
            try
            {
                _invoke(_body, i);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
                Volatile.Write(ref _next, count); // stop handing out items
            }
        }
    }

    private bool TryJoin()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if ((state & Closed) != 0) return false;
            if (Interlocked.CompareExchange(ref _state, state + 1, state) == state) return true;
        }
    }

    private void WorkerLoop()
    {
        int seen = 0;
        while (true)
        {
            // Wait for a new loop: spin first (kernels arrive back to back), then sleep on the semaphore.
            int spins = 0;
            while (_generation == seen && !_disposed)
            {
                if (++spins > SpinIterationsBeforeSleep)
                {
                    Interlocked.Increment(ref _sleepers);
                    // Re-check after announcing: a loop that started before the announcement sent no signal.
                    if (_generation == seen && !_disposed) _wake.Wait();
                    Interlocked.Decrement(ref _sleepers);
                    spins = 0;
                }
                else
                {
                    Thread.SpinWait(20);
                }
            }
            if (_disposed) return;
            seen = _generation;
            if (TryJoin())
            {
                RunItems();
                Interlocked.Decrement(ref _state);
            }
        }
    }

    /// <summary>Stops the workers. Loops started afterwards run inline.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_workers.Length > 0) _wake.Release(_workers.Length);
        foreach (Thread worker in _workers) worker.Join();
    }
}
