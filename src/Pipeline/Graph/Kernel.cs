namespace Pipeline.Graph;

/// <summary>
/// A node's compiled computation for fixed shapes. Built once per plan by <see cref="Operator.CreateKernel"/>, then
/// run many times, possibly from several threads at once (each with its own buffers): a kernel keeps no per-run state
/// in fields. Per-run temporary memory is requested through <see cref="ScratchBytes"/>.
/// </summary>
internal abstract class Kernel
{
    /// <summary>
    /// Bytes of per-run scratch memory (im2col panels, packed tiles) the executor must provide, 64-byte aligned. It is
    /// planned in the arena right next to values still alive at the kernel's step, so <see cref="Run"/> must not touch
    /// a byte outside it: any alignment the kernel does itself and every thread slot it may use are part of this size
    /// (KernelScratchBoundsTests run every kernel with canaries around it).
    /// </summary>
    public virtual long ScratchBytes => 0;

    /// <summary>Computes the outputs from the inputs. Buffers never overlap unless the operator allowed it (in place).</summary>
    public abstract void Run(in KernelIO io);
}
