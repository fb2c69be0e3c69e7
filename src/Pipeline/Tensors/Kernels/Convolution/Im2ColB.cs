using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Pipeline.Tensors.Kernels.Gemm;

namespace Pipeline.Tensors.Kernels.Convolution;

/// <summary>
/// A convolution's input seen as the GEMM's B matrix without materializing it: row k = (input channel, kernel offset),
/// column n = output position, value = the input under that kernel tap (zero in the padding). Each block is written
/// straight into NR-column panels: within a panel, consecutive output positions of one output row are consecutive
/// lanes, so a row segment is one contiguous copy (stride 1) or one strided gather.
/// Problem q = image·groups + group reads input channels from <c>x + q·(C/group)·plane</c>.
/// </summary>
internal readonly unsafe struct Im2ColB(ConvGeometry geometry, float* x) : ISgemmBSource
{
    /// <inheritdoc />
    public bool IsPrepacked => false;

    /// <inheritdoc />
    public float* Panels(SgemmKernel kernel, int problem, int k0, int kc, int n0, int nc, float* buffer, out nint panelStride)
    {
        int nr = kernel.NR;
        panelStride = (nint)kc * nr;
        float* source = x + (long)problem * geometry.InChannelsPerGroup * geometry.InputPlane;
        int tail = nc % nr;
        if (tail != 0)
        {
            // Unused lanes of the last panel are computed but never stored; keep them finite and cheap (no denormals).
            float* last = buffer + (nc / nr) * panelStride;
            for (int kk = 0; kk < kc; kk++) new Span<float>(last + (long)kk * nr + tail, nr - tail).Clear();
        }
        if (geometry.Rank <= 2) Panels2d(source, kernel.Isa, nr, k0, kc, n0, nc, buffer, panelStride);
        else PanelsNd(source, nr, k0, kc, n0, nc, buffer, panelStride);
        return buffer;
    }

    /// <summary>
    /// Writes rows [k0, k0 + kc) of problem <paramref name="problem"/>'s whole im2col matrix (K × outPlane) row-major with
    /// row stride <paramref name="width"/> ≥ outPlane (the extra columns are zero): one panel as wide as the output.
    /// </summary>
    public void Rows(Isa isa, int problem, int k0, int kc, int width, float* destination)
    {
        int n = geometry.OutputPlane;
        float* source = x + (long)problem * geometry.InChannelsPerGroup * geometry.InputPlane;
        if (width > n)
            for (int kk = 0; kk < kc; kk++) new Span<float>(destination + (long)kk * width + n, width - n).Clear();
        if (geometry.Rank <= 2) Panels2d(source, isa, width, k0, kc, 0, n, destination, (nint)kc * width);
        else PanelsNd(source, width, k0, kc, 0, n, destination, (nint)kc * width);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Panels2d(float* source, Isa isa, int nr, int k0, int kc, int n0, int nc, float* buffer, nint panelStride)
    {
        ConvGeometry g = geometry;
        bool is2d = g.Rank == 2;
        int inH = is2d ? g.InputSize[0] : 1, inW = g.InputSize[^1];
        int outW = g.OutputSize[^1];
        int kW = g.KernelSize[^1];
        int sH = is2d ? g.Strides[0] : 1, sW = g.Strides[^1];
        int dH = is2d ? g.Dilations[0] : 1, dW = g.Dilations[^1];
        int pH = is2d ? g.PadsBegin[0] : 0, pW = g.PadsBegin[^1];
        int kernelPlane = g.KernelPlane;
        bool masked = isa == Isa.Avx512 && (sW == 1 || sW == 2);

        // Per row k of the block: where its channel plane starts and the tap's offsets from the window origin.
        int* channelOffset = stackalloc int[kc];
        int* dy = stackalloc int[kc];
        int* dx = stackalloc int[kc];
        for (int kk = 0; kk < kc; kk++)
        {
            int k = k0 + kk;
            int channel = k / kernelPlane, tap = k - channel * kernelPlane;
            int kh = tap / kW, kw = tap - kh * kW;
            channelOffset[kk] = channel * g.InputPlane;
            dy[kk] = kh * dH - pH;
            dx[kk] = kw * dW - pW;
        }

        // Per panel: its lanes split into runs that stay on one output row (the same for every k).
        int maxSegments = nr / Math.Max(1, Math.Min(nr, outW)) + 2;
        int* segLane = stackalloc int[maxSegments];
        int* segLength = stackalloc int[maxSegments];
        int* segRow = stackalloc int[maxSegments];
        int* segColumn = stackalloc int[maxSegments];
        for (int j = 0; j < nc; j += nr)
        {
            int lanes = Math.Min(nr, nc - j);
            int segments = 0;
            int n = n0 + j;
            int oh = n / outW, ow = n - oh * outW;
            for (int lane = 0; lane < lanes;)
            {
                int length = Math.Min(outW - ow, lanes - lane);
                segLane[segments] = lane;
                segLength[segments] = length;
                segRow[segments] = oh * sH;
                segColumn[segments] = ow * sW;
                segments++;
                lane += length;
                ow += length;
                if (ow == outW)
                {
                    ow = 0;
                    oh++;
                }
            }

            float* panel = buffer + (j / nr) * panelStride;
            for (int kk = 0; kk < kc; kk++)
            {
                float* dstRow = panel + (long)kk * nr;
                float* channelPlane = source + channelOffset[kk];
                int rowShift = dy[kk], columnShift = dx[kk];
                for (int sgm = 0; sgm < segments; sgm++)
                {
                    int length = segLength[sgm];
                    float* dst = dstRow + segLane[sgm];
                    int ih = segRow[sgm] + rowShift;
                    if ((uint)ih >= (uint)inH)
                    {
                        Zero(dst, length);
                        continue;
                    }
                    float* row = channelPlane + (long)ih * inW;
                    int iw0 = segColumn[sgm] + columnShift;
                    // Lanes [lo, hi) read inside the row; the rest are padding.
                    int lo = iw0 >= 0 ? 0 : Math.Min(length, (-iw0 + sW - 1) / sW);
                    int hi = iw0 >= inW ? 0 : Math.Min(length, (inW - iw0 + sW - 1) / sW);
                    if (hi < lo) hi = lo;
                    if (masked)
                    {
                        if (sW == 1) MaskedCopy(row + iw0, dst, length, lo, hi);
                        else MaskedCopyStride2(row + iw0, dst, length, lo, hi);
                        continue;
                    }
                    Zero(dst, lo);
                    if (sW == 1) Copy(row + iw0 + lo, dst + lo, hi - lo);
                    else
                        for (int t = lo; t < hi; t++) dst[t] = row[iw0 + t * sW];
                    Zero(dst + hi, length - hi);
                }
            }
        }
    }

    /// <summary>dst[t] = t in [lo, hi) ? src[t] : 0 for t &lt; length, with masked loads (which never fault on masked lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaskedCopy(float* src, float* dst, int length, int lo, int hi)
    {
        for (int v = 0; v < length; v += 16)
        {
            Vector512<int> lane = Vector512<int>.Indices + Vector512.Create(v);
            Vector512<float> load = (Vector512.GreaterThanOrEqual(lane, Vector512.Create(lo)) & Vector512.LessThan(lane, Vector512.Create(hi))).AsSingle();
            Vector512<float> store = Vector512.LessThan(lane, Vector512.Create(length)).AsSingle();
            Avx512F.MaskStore(dst + v, store, Avx512F.MaskLoad(src + v, load, Vector512<float>.Zero));
        }
    }

    /// <summary>dst[t] = t in [lo, hi) ? src[2t] : 0 for t &lt; length: two masked loads per 16 lanes, then the even elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaskedCopyStride2(float* src, float* dst, int length, int lo, int hi)
    {
        Vector512<int> evens = Vector512<int>.Indices * 2;
        for (int v = 0; v < length; v += 16)
        {
            // Source element p (from src + 2v) belongs to lane v + p/2; only even p in [2lo, 2hi - 1) are read.
            Vector512<int> p = Vector512<int>.Indices + Vector512.Create(2 * v);
            Vector512<int> first = Vector512.Create(2 * lo), last = Vector512.Create(2 * hi - 1);
            Vector512<float> maskLow = (Vector512.GreaterThanOrEqual(p, first) & Vector512.LessThan(p, last)).AsSingle();
            Vector512<int> pHigh = p + Vector512.Create(16);
            Vector512<float> maskHigh = (Vector512.GreaterThanOrEqual(pHigh, first) & Vector512.LessThan(pHigh, last)).AsSingle();
            Vector512<float> low = Avx512F.MaskLoad(src + 2 * v, maskLow, Vector512<float>.Zero);
            Vector512<float> high = Avx512F.MaskLoad(src + 2 * v + 16, maskHigh, Vector512<float>.Zero);
            Vector512<float> packed = Avx512F.PermuteVar16x32x2(low, evens, high);
            Vector512<int> lane = Vector512<int>.Indices + Vector512.Create(v);
            Avx512F.MaskStore(dst + v, Vector512.LessThan(lane, Vector512.Create(length)).AsSingle(), packed);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PanelsNd(float* source, int nr, int k0, int kc, int n0, int nc, float* buffer, nint panelStride)
    {
        ConvGeometry g = geometry;
        int rank = g.Rank;
        Span<int> tap = stackalloc int[rank];
        Span<int> position = stackalloc int[rank];
        for (int kk = 0; kk < kc; kk++)
        {
            int k = k0 + kk;
            int channel = k / g.KernelPlane;
            int rest = k - channel * g.KernelPlane;
            for (int d = rank - 1; d >= 0; d--)
            {
                tap[d] = rest % g.KernelSize[d];
                rest /= g.KernelSize[d];
            }
            float* channelPlane = source + (long)channel * g.InputPlane;
            for (int t = 0; t < nc; t++)
            {
                int n = n0 + t;
                for (int d = rank - 1; d >= 0; d--)
                {
                    position[d] = n % g.OutputSize[d];
                    n /= g.OutputSize[d];
                }
                long offset = 0;
                bool inside = true;
                for (int d = 0; d < rank; d++)
                {
                    int i = position[d] * g.Strides[d] - g.PadsBegin[d] + tap[d] * g.Dilations[d];
                    if ((uint)i >= (uint)g.InputSize[d])
                    {
                        inside = false;
                        break;
                    }
                    offset = offset * g.InputSize[d] + i;
                }
                buffer[(t / nr) * panelStride + (long)kk * nr + t % nr] = inside ? channelPlane[offset] : 0f;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Zero(float* dst, int count)
    {
        for (int t = 0; t < count; t++) dst[t] = 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* src, float* dst, int count)
    {
        int t = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; t + 8 <= count; t += 8) Vector256.Store(Vector256.Load(src + t), dst + t);
        for (; t < count; t++) dst[t] = src[t];
    }
}
