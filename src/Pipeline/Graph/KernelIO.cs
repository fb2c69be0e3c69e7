using System.Runtime.CompilerServices;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Graph;

/// <summary>
/// The buffers of one kernel run. Every buffer is pinned for the run, so kernels may hand raw pointers to
/// <see cref="WorkerPool"/> loops. Element counts come from the shapes the kernel was built for.
/// </summary>
internal readonly unsafe ref struct KernelIO
{
    private readonly ReadOnlySpan<nint> _inputs;
    private readonly ReadOnlySpan<long> _inputBytes;
    private readonly ReadOnlySpan<nint> _outputs;
    private readonly ReadOnlySpan<long> _outputBytes;

    /// <summary>Creates the view. Absent inputs and unused outputs have a zero pointer.</summary>
    public KernelIO(ReadOnlySpan<nint> inputs, ReadOnlySpan<long> inputBytes, ReadOnlySpan<nint> outputs,
        ReadOnlySpan<long> outputBytes, nint scratch, long scratchBytes, WorkerPool pool)
    {
        _inputs = inputs;
        _inputBytes = inputBytes;
        _outputs = outputs;
        _outputBytes = outputBytes;
        ScratchPointer = scratch;
        ScratchBytes = scratchBytes;
        Pool = pool;
    }

    /// <summary>The threads this run may use. Loops on a busy pool run inline, so always go through it.</summary>
    public WorkerPool Pool { get; }

    /// <summary>Start of this run's scratch memory (64-byte aligned), <see cref="Kernel.ScratchBytes"/> long.</summary>
    public nint ScratchPointer { get; }

    /// <summary>The scratch size in bytes.</summary>
    public long ScratchBytes { get; }

    /// <summary>True when input <paramref name="i"/> is present.</summary>
    public bool HasInput(int i) => i < _inputs.Length && _inputs[i] != 0;

    /// <summary>True when output <paramref name="i"/> must be written.</summary>
    public bool HasOutput(int i) => i < _outputs.Length && _outputs[i] != 0;

    /// <summary>Input <paramref name="i"/> as a typed pointer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T* InputPointer<T>(int i) where T : unmanaged => (T*)_inputs[i];

    /// <summary>Output <paramref name="i"/> as a typed pointer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T* OutputPointer<T>(int i) where T : unmanaged => (T*)_outputs[i];

    /// <summary>Input <paramref name="i"/> as a typed span.</summary>
    public ReadOnlySpan<T> Input<T>(int i) where T : unmanaged
        => new((void*)_inputs[i], checked((int)(_inputBytes[i] / sizeof(T))));

    /// <summary>Output <paramref name="i"/> as a typed span.</summary>
    public Span<T> Output<T>(int i) where T : unmanaged
        => new((void*)_outputs[i], checked((int)(_outputBytes[i] / sizeof(T))));

    /// <summary>The scratch memory as a typed span.</summary>
    public Span<T> Scratch<T>() where T : unmanaged => new((void*)ScratchPointer, checked((int)(ScratchBytes / sizeof(T))));
}
