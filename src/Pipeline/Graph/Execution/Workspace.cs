namespace Pipeline.Graph.Execution;

/// <summary>
/// The working memory of one run of one plan: a single 64-byte-aligned native block holding every intermediate value
/// and every kernel's scratch at its planned offset. Native memory because a batch's activations can exceed the 2 GB a
/// managed array may hold (see <see cref="LargeBlock"/>); freed by <see cref="Dispose"/> or, as a last resort, the finalizer.
/// </summary>
internal sealed unsafe class Workspace : IDisposable
{
    private void* _memory;
    private readonly long _bytes;

    public Workspace(long bytes)
    {
        _bytes = Math.Max(bytes, 64);
        _memory = LargeBlock.Allocate(_bytes);
        GC.AddMemoryPressure(_bytes);
    }

    /// <summary>The start of the block (64-byte aligned).</summary>
    public nint Pointer => (nint)_memory;

    /// <summary>Frees the block.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~Workspace() => Free();

    private void Free()
    {
        void* memory = _memory;
        if (memory == null) return;
        _memory = null;
        LargeBlock.Free(memory, _bytes);
        GC.RemoveMemoryPressure(_bytes);
    }
}

/// <summary>
/// The workspaces of one plan. A run rents one and returns it, so concurrent runs never share memory and steady-state
/// runs allocate nothing (the free list is a fixed array guarded by a lock).
/// </summary>
internal sealed class WorkspacePool : IDisposable
{
    private readonly long _bytes;
    private readonly object _gate = new();
    private Workspace[] _free = new Workspace[4];
    private int _count;
    private bool _disposed;

    public WorkspacePool(long bytes) => _bytes = bytes;

    /// <summary>Bytes per workspace.</summary>
    public long Bytes => _bytes;

    public Workspace Rent()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_count > 0)
            {
                Workspace w = _free[--_count];
                _free[_count] = null!;
                return w;
            }
        }
        return new Workspace(_bytes);
    }

    public void Return(Workspace workspace)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                if (_count == _free.Length) Array.Resize(ref _free, _free.Length * 2);
                _free[_count++] = workspace;
                return;
            }
        }
        workspace.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            for (int i = 0; i < _count; i++) _free[i].Dispose();
            _count = 0;
        }
    }
}
