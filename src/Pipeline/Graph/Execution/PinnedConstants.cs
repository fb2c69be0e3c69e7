using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Pipeline.Tensors;

namespace Pipeline.Graph.Execution;

/// <summary>
/// Pins the constant tensors kernels read by pointer (weights, folded values) for the lifetime of a network, once
/// each. Freed by <see cref="Dispose"/> or the finalizer.
/// </summary>
internal sealed class PinnedConstants : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<Tensor, nint> _pointers = new(ReferenceEqualityComparer.Instance);
    private readonly List<GCHandle> _handles = [];

    /// <summary>The address of <paramref name="tensor"/>'s first element, pinning it on first use. Never zero.</summary>
    public nint Pin(Tensor tensor)
    {
        lock (_gate)
        {
            if (_pointers.TryGetValue(tensor, out nint pointer)) return pointer;
            // An empty tensor still needs a distinct non-zero address so kernels see it as present.
            if (tensor.Length == 0) pointer = 1;
            else
            {
                GCHandle handle = GCHandle.Alloc(tensor.Data, GCHandleType.Pinned);
                _handles.Add(handle);
                pointer = handle.AddrOfPinnedObject();
            }
            _pointers.Add(tensor, pointer);
            return pointer;
        }
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~PinnedConstants() => Free();

    private void Free()
    {
        lock (_gate)
        {
            foreach (GCHandle handle in _handles) handle.Free();
            _handles.Clear();
            _pointers.Clear();
        }
    }
}
