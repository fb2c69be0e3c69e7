namespace Pipeline.Tensors.Kernels.Gemm;

/// <summary>
/// Where the B operand of a batch of GEMMs comes from: panels already packed at load (constant weights), a plain
/// matrix packed block by block, or an implicit matrix built on the fly (a convolution's im2col). A struct type
/// argument, so the driver calls it directly. Implementations keep no mutable state: blocks are made concurrently.
/// </summary>
internal unsafe interface ISgemmBSource
{
    /// <summary>
    /// Makes B rows [k0, k0 + kc) and columns [n0, n0 + nc) of problem <paramref name="problem"/> available as NR-column
    /// panels, packing them into <paramref name="buffer"/> (kc·⌈nc/NR⌉·NR floats) when they are not packed already.
    /// Returns the first panel; <paramref name="panelStride"/> receives the distance in floats between panels.
    /// </summary>
    float* Panels(SgemmKernel kernel, int problem, int k0, int kc, int n0, int nc, float* buffer, out nint panelStride);

    /// <summary>True when <see cref="Panels"/> only points into panels packed already (no packing work to share).</summary>
    bool IsPrepacked { get; }
}

/// <summary>B packed once, in full-depth panels (<see cref="SgemmPacker.PackB(SgemmKernel, float*, nint, nint, int, int, float*)"/>).</summary>
internal readonly unsafe struct PrepackedB(float* packed, int k, long problemStride = 0) : ISgemmBSource
{
    /// <inheritdoc />
    public bool IsPrepacked => true;

    /// <inheritdoc />
    public float* Panels(SgemmKernel kernel, int problem, int k0, int kc, int n0, int nc, float* buffer, out nint panelStride)
    {
        panelStride = (nint)k * kernel.NR;
        return packed + problem * problemStride + (long)(n0 / kernel.NR) * k * kernel.NR + (long)k0 * kernel.NR;
    }
}

/// <summary>A plain B matrix per problem (element (k, n) at <c>base + problem·problemStride + k·rowStride + n·columnStride</c>), packed per block.</summary>
internal readonly unsafe struct StridedB(float* source, nint rowStride, nint columnStride, long problemStride = 0) : ISgemmBSource
{
    /// <inheritdoc />
    public bool IsPrepacked => false;

    /// <inheritdoc />
    public float* Panels(SgemmKernel kernel, int problem, int k0, int kc, int n0, int nc, float* buffer, out nint panelStride)
    {
        SgemmPacker.PackB(kernel, source + problem * problemStride, rowStride, columnStride, k0, kc, n0, nc, buffer);
        panelStride = (nint)kc * kernel.NR;
        return buffer;
    }
}
